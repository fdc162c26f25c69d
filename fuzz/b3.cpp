// The B3 propagator never crashes on any single header or set of X-B3-* headers, and what it
// extracts it injects back to an equivalent context.
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "tracehop/trace/propagation.hpp"

using namespace tracehop::trace;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  // Lines: the first is the b3 header (may be empty), then X-B3-TraceId, SpanId, Sampled, Flags.
  static const char* const names[] = {"b3", "X-B3-TraceId", "X-B3-SpanId", "X-B3-Sampled", "X-B3-Flags"};
  MapCarrier carrier;
  std::size_t pos = 0;
  for (const char* name : names) {
    if (pos > input.size()) break;
    const auto nl = input.find('\n', pos);
    const auto line = input.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    if (!line.empty()) carrier.add(name, std::string(line));
    pos = nl == std::string_view::npos ? input.size() + 1 : nl + 1;
  }
  for (auto format : {B3Format::Single, B3Format::Multi}) {
    const auto p = b3_propagator(format);
    const Context ctx = p->extract(carrier, Context{});
    const auto& sc = ctx.span().span_context();
    if (!sc.valid()) continue;
    MapCarrier out;
    p->inject(out, ctx);
    const auto back = p->extract(out, Context{}).span().span_context();
    FUZZ_CHECK(back.trace_id() == sc.trace_id() && back.span_id() == sc.span_id());
    FUZZ_CHECK(back.sampled() == sc.sampled());
  }
  return 0;
}
