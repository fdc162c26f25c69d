// TraceState::parse never crashes; an accepted header round-trips, and every member obeys the
// W3C key and value rules and the 32-member limit, no key twice.
#include <cstdint>
#include <string_view>

#include "fuzz_check.hpp"
#include "tracehop/trace/trace_state.hpp"

using tracehop::trace::TraceState;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto ts = TraceState::parse(input);
  if (!ts) return 0;
  FUZZ_CHECK(ts->size() <= TraceState::kMaxMembers);
  for (const auto& [k, v] : ts->members()) FUZZ_CHECK(TraceState::valid_key(k) && TraceState::valid_value(v));
  for (std::size_t i = 0; i < ts->size(); ++i)
    for (std::size_t j = i + 1; j < ts->size(); ++j) FUZZ_CHECK(ts->members()[i].first != ts->members()[j].first);
  const auto again = TraceState::parse(ts->to_header());
  FUZZ_CHECK(again && *again == *ts);
  return 0;
}
