#pragma once
// Small text helpers shared by the HTTP layer's parsers (internal).

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

}  // namespace tracehop::http::detail
