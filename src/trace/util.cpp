#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <fstream>

#include "internal.hpp"
#include "tracehop/trace/log.hpp"

namespace tracehop::trace::detail {

std::string_view trim_ows(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x + 32);
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y + 32);
    if (x != y) return false;
  }
  return true;
}

std::string to_lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  return out;
}

std::optional<std::string> env(const char* name) {
  const char* v = std::getenv(name);
  if (!v) return std::nullopt;
  auto s = trim_ows(v);
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.remove_suffix(1);
  if (s.empty()) return std::nullopt;
  return std::string(s);
}

std::optional<std::uint64_t> env_uint(const char* name) {
  auto v = env(name);
  if (!v) return std::nullopt;
  std::uint64_t out = 0;
  auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), out);
  if (ec != std::errc{} || p != v->data() + v->size()) {
    log_warn(std::string(name) + "='" + *v + "' is not a non-negative integer; ignored");
    return std::nullopt;
  }
  return out;
}

bool env_bool(const char* name) {
  auto v = env(name);
  if (!v) return false;
  if (iequals(*v, "true")) return true;
  if (!iequals(*v, "false"))
    log_warn(std::string(name) + "='" + *v + "' is neither true nor false; taken as false");
  return false;
}

std::optional<std::string> percent_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    if (i + 2 >= s.size()) return std::nullopt;
    unsigned v = 0;
    auto [p, ec] = std::from_chars(s.data() + i + 1, s.data() + i + 3, v, 16);
    if (ec != std::errc{} || p != s.data() + i + 3) return std::nullopt;
    out += static_cast<char>(v);
    i += 2;
  }
  return out;
}

// baggage-octet = %x21 / %x23-2B / %x2D-3A / %x3C-5B / %x5D-7E
std::string percent_encode_baggage(std::string_view s) {
  static constexpr char digits[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    const bool octet = c == 0x21 || (c >= 0x23 && c <= 0x2B && c != 0x25) ||
                       (c >= 0x2D && c <= 0x3A) || (c >= 0x3C && c <= 0x5B) ||
                       (c >= 0x5D && c <= 0x7E);
    if (octet) {
      out += ch;
    } else {
      out += '%';
      out += digits[c >> 4];
      out += digits[c & 0xf];
    }
  }
  return out;
}

bool is_token_char(char c) noexcept {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+': case '-':
    case '.': case '^': case '_': case '`': case '|': case '~':
      return true;
    default:
      return false;
  }
}

std::string process_name() {
  std::ifstream comm("/proc/self/comm");
  std::string name;
  if (comm && std::getline(comm, name) && !name.empty()) return name;
  return "tracehop";
}

void apply_count_limit(Attributes& attrs, std::size_t limit, std::uint32_t& dropped) {
  if (attrs.size() <= limit) return;
  dropped += static_cast<std::uint32_t>(attrs.size() - limit);
  attrs.erase(attrs.begin() + static_cast<std::ptrdiff_t>(limit), attrs.end());
}

}  // namespace tracehop::trace::detail
