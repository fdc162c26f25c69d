// parse_baggage never crashes and respects the limits; the baggage it yields formats to a header
// that parses back to the same entries.
#include <cstdint>
#include <string_view>

#include "fuzz_check.hpp"
#include "tracehop/trace/propagation.hpp"

using namespace tracehop::trace;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const Baggage b = parse_baggage(input);
  FUZZ_CHECK(b.size() <= 180);
  const auto header = format_baggage(b);
  FUZZ_CHECK(header.size() <= 8192);
  const Baggage again = parse_baggage(header);
  // Re-encoding can make a header longer than the input was: compare only what fitted.
  FUZZ_CHECK(again.size() <= b.size());
  for (std::size_t i = 0; i < again.size(); ++i) FUZZ_CHECK(again.entries()[i] == b.entries()[i]);
  return 0;
}
