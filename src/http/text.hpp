#pragma once
// Small text helpers shared by the HTTP layer's parsers (internal).

#include <array>
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

// RFC 9110 tchar, as a table: every header name sent or received is checked.
inline constexpr auto kTokenChars = [] {
  std::array<bool, 256> t{};
  for (int c = '0'; c <= '9'; ++c) t[static_cast<std::size_t>(c)] = true;
  for (int c = 'a'; c <= 'z'; ++c) t[static_cast<std::size_t>(c)] = t[static_cast<std::size_t>(c - 32)] = true;
  for (char c : std::string_view("!#$%&'*+-.^_`|~")) t[static_cast<unsigned char>(c)] = true;
  return t;
}();

/// An RFC 9110 token: a method or a field name.
inline bool is_token(std::string_view t) noexcept {
  if (t.empty()) return false;
  for (char c : t)
    if (!kTokenChars[static_cast<unsigned char>(c)]) [[unlikely]] return false;
  return true;
}

/// A field value that cannot end its line early: no CR, LF or NUL (which would let the sender
/// of the value smuggle header fields or a second message).
inline bool is_field_value(std::string_view v) noexcept {
  for (char c : v)
    if (c == '\r' || c == '\n' || c == '\0') [[unlikely]] return false;
  return true;
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
