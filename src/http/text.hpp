#pragma once
// Small text helpers shared by the HTTP layer's parsers (internal).

#include <ctime>
#include <iomanip>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>

namespace tracehop::http::detail {

/// Without leading and trailing spaces and tabs (HTTP's optional white space).
inline std::string_view trim_ows(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

inline std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  return out;
}

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
