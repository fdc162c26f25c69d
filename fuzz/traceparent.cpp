// parse_traceparent never crashes; what it accepts formats back to a header it accepts again
// with the same ids and known flags.
#include <cstdint>
#include <string_view>

#include "fuzz_check.hpp"
#include "tracehop/trace/propagation.hpp"

using namespace tracehop::trace;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto sc = parse_traceparent(input);
  if (!sc) return 0;
  FUZZ_CHECK(sc->valid() && sc->remote());
  const auto again = parse_traceparent(format_traceparent(*sc));
  FUZZ_CHECK(again);
  FUZZ_CHECK(again->trace_id() == sc->trace_id() && again->span_id() == sc->span_id());
  FUZZ_CHECK(again->trace_flags().bits() == (sc->trace_flags().bits() & 0x03));
  return 0;
}
