// The parsers of OTEL_* values never crash: OTEL_RESOURCE_ATTRIBUTES, OTEL_TRACES_SAMPLER(_ARG)
// and OTEL_PROPAGATORS.
#include <cstdint>
#include <string_view>

#include "fuzz_check.hpp"
#include "tracehop/log.hpp"
#include "tracehop/trace/propagation.hpp"
#include "tracehop/trace/resource.hpp"
#include "tracehop/trace/sampler.hpp"

using namespace tracehop::trace;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const bool quiet = [] {
    tracehop::set_log_level(tracehop::LogLevel::None);  // bad values are logged: not news here
    return true;
  }();
  (void)quiet;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  if (auto attrs = Resource::parse_attribute_list(input))
    for (const auto& kv : *attrs) FUZZ_CHECK(!kv.key.view().empty());
  const auto split = input.find('\n');
  const auto name = input.substr(0, split);
  const auto arg = split == std::string_view::npos ? std::string_view{} : input.substr(split + 1);
  FUZZ_CHECK(sampler_from_name(name, arg) != nullptr);
  FUZZ_CHECK(propagator_from_names(input) != nullptr);
  return 0;
}
