// Content-Encoding decoding never crashes: every outcome is a body or a ClientPayloadError, and
// the decoded size stays within the limit.
#include <cstdint>
#include <string>
#include <string_view>

#include "content_encoding.hpp"
#include "fuzz_check.hpp"
#include "tracehop/http/errors.hpp"

using namespace tracehop::http;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto nl = input.find('\n');
  const auto encoding = input.substr(0, nl);
  const std::string body(nl == std::string_view::npos ? std::string_view{} : input.substr(nl + 1));
  constexpr std::size_t kLimit = 1 << 20;
  try {
    const auto out = detail::decode_content(body, encoding, kLimit);
    FUZZ_CHECK(out.size() <= kLimit || encoding.empty());
  } catch (const ClientPayloadError&) {
  }
  try {
    if (auto inflater = detail::Inflater::for_encoding(encoding)) {
      std::size_t total = 0;
      for (std::size_t i = 0; i < body.size(); i += 7) total += inflater->feed(std::string_view(body).substr(i, 7)).size();
      (void)total;
    }
  } catch (const ClientPayloadError&) {
  }
  return 0;
}
