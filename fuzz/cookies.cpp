// CookieJar::update never crashes on any Set-Cookie value, and never stores a cookie for a domain
// the response's host does not belong to.
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "tracehop/http/cookies.hpp"

using namespace tracehop::http;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  static const Url url = parse_url("https://www.example.test/a/b");
  CookieJar jar;
  Headers h;
  std::size_t pos = 0;
  while (pos <= input.size()) {
    const auto nl = input.find('\n', pos);
    h.add("Set-Cookie", input.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos));
    if (nl == std::string_view::npos) break;
    pos = nl + 1;
  }
  jar.update(url, h);
  for (const auto& c : jar.cookies()) {
    const std::string host = "www.example.test";
    FUZZ_CHECK(c.domain == host || (host.size() > c.domain.size() && host.ends_with("." + c.domain)));
  }
  (void)jar.header_for(url);
  return 0;
}
