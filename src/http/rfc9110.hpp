#pragma once
// What RFC 9110 defines that several parts of the HTTP layer check (internal): idempotent
// methods (9.2.2) and the IMF-fixdate (5.6.7); tokens, field values and OWS come from the
// helpers every layer shares.

#include <ctime>
#include <iomanip>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>

#include "common/text.hpp"

namespace tracehop::http::detail {

using tracehop::detail::ascii_lower;
using tracehop::detail::is_field_value;
using tracehop::detail::is_token;
using tracehop::detail::trim_ows;

/// The methods RFC 9110 calls idempotent.
inline bool idempotent(std::string_view m) noexcept {
  return m == "GET" || m == "HEAD" || m == "OPTIONS" || m == "PUT" || m == "DELETE" || m == "TRACE";
}

/// An IMF-fixdate ("Wed, 21 Oct 2015 07:28:00 GMT"), the form servers send in Expires and
/// Retry-After, as seconds since the epoch (a time_t: the years servers send may lie beyond
/// what system_clock's nanoseconds hold).
inline std::optional<std::time_t> parse_imf_fixdate(std::string_view text) {
  std::tm tm{};
  std::istringstream in{std::string(trim_ows(text))};
  in >> std::get_time(&tm, "%a, %d %b %Y %H:%M:%S");
  if (in.fail()) return std::nullopt;
  return timegm(&tm);
}

}  // namespace tracehop::http::detail
