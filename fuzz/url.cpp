// parse_url never crashes and throws nothing but InvalidURL; what it accepts is an http(s) URL
// with a host that parses again to the same URL (normalisation is idempotent), and resolving
// a reference against it stays well-formed.
#include <cstdint>
#include <string_view>

#include "fuzz_check.hpp"
#include "tracehop/http/errors.hpp"
#include "tracehop/http/url.hpp"

using namespace tracehop::http;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto nl = input.find('\n');
  const auto text = input.substr(0, nl);
  try {
    const Url u = parse_url(text);
    const auto origin = origin_of(u);
    FUZZ_CHECK(origin.scheme == "http" || origin.scheme == "https");
    FUZZ_CHECK(origin.port != 0);
    FUZZ_CHECK(!request_target(u).empty() && request_target(u).front() == '/');
    FUZZ_CHECK(parse_url(u.buffer()).buffer() == u.buffer());
    if (nl != std::string_view::npos) {
      try {
        const Url r = resolve_url(u, input.substr(nl + 1));
        FUZZ_CHECK(parse_url(r.buffer()).buffer() == r.buffer());
      } catch (const InvalidURL&) {
      }
    }
  } catch (const InvalidURL&) {
  }
  return 0;
}
