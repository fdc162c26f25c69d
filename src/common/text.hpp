#pragma once
// The small text helpers every layer needs, written once (internal, not installed): ASCII case,
// trimming, RFC 9110 tokens and field values, percent-decoding, lists, type names.
//
// Two trims on purpose: HTTP's optional white space is spaces and tabs only (RFC 9110 5.6.3),
// while configuration values (OTEL_* variables, list items) lose every ASCII white space.

#include <array>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace tracehop::detail {

constexpr char ascii_lower(char c) noexcept { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; }

inline std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = ascii_lower(c);
  return out;
}

constexpr bool is_ascii_space(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/// Without leading and trailing ASCII white space: how every configuration value is read.
constexpr std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && is_ascii_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_ascii_space(s.back())) s.remove_suffix(1);
  return s;
}

/// Without leading and trailing spaces and tabs: HTTP's optional white space.
constexpr std::string_view trim_ows(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

/// Calls `f(item)` for each item of an HTTP list (RFC 9110 §5.6.1): comma-separated, each without
/// its optional white space, empty ones left out. Nothing is copied.
template <class F>
void for_each_list_item(std::string_view list, F&& f) {
  for (;;) {
    const auto comma = list.find(',');
    if (const auto item = trim_ows(list.substr(0, comma)); !item.empty()) f(item);
    if (comma == std::string_view::npos) return;
    list.remove_prefix(comma + 1);
  }
}

/// The items of a comma-separated list, trimmed, empty ones left out.
inline std::vector<std::string> split_list(std::string_view s, char separator = ',') {
  std::vector<std::string> out;
  while (!s.empty()) {
    const auto at = s.find(separator);
    if (const auto item = trim(s.substr(0, at)); !item.empty()) out.emplace_back(item);
    if (at == std::string_view::npos) break;
    s.remove_prefix(at + 1);
  }
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

constexpr bool is_token_char(char c) noexcept { return kTokenChars[static_cast<unsigned char>(c)]; }

/// An RFC 9110 token: a method, a field name, a baggage key. Eight characters a test (every
/// field name sent and received is checked).
constexpr bool is_token(std::string_view t) noexcept {
  if (t.size() < 8) {
    for (char c : t)
      if (!is_token_char(c)) [[unlikely]] return false;
    return !t.empty();
  }
  const auto eight_ok = [&t](std::size_t i) {
    const char* p = t.data() + i;
    // Summed, not and-ed with &&: no branch a character.
    return is_token_char(p[0]) + is_token_char(p[1]) + is_token_char(p[2]) + is_token_char(p[3]) +
               is_token_char(p[4]) + is_token_char(p[5]) + is_token_char(p[6]) + is_token_char(p[7]) ==
           8;
  };
  for (std::size_t i = 0; i + 8 <= t.size(); i += 8)
    if (!eight_ok(i)) [[unlikely]] return false;
  return t.size() % 8 == 0 || eight_ok(t.size() - 8);  // the last eight, overlapping
}

/// Scanning text eight bytes a step (SWAR), for the checks that run on every header and every
/// exported string.
namespace swar {
constexpr std::uint64_t kOnes = 0x0101010101010101, kHighs = 0x8080808080808080;
inline std::uint64_t load8(const char* p) noexcept {
  std::uint64_t x;
  std::memcpy(&x, p, 8);
  return x;
}
/// Whether a byte of `x` is below `n` (at most 128).
constexpr bool has_below(std::uint64_t x, unsigned char n) noexcept { return ((x - kOnes * n) & ~x & kHighs) != 0; }
/// Whether a byte of `x` is `c`.
constexpr bool has_byte(std::uint64_t x, char c) noexcept {
  return has_below(x ^ (kOnes * static_cast<unsigned char>(c)), 1);
}
/// Whether `s` has any of the bytes `a`, `b`, `c`.
inline bool has_any_of(std::string_view s, char a, char b, char c) noexcept {
  std::size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    const std::uint64_t x = load8(s.data() + i);
    if (has_byte(x, a) || has_byte(x, b) || has_byte(x, c)) return true;
  }
  for (; i < s.size(); ++i)
    if (s[i] == a || s[i] == b || s[i] == c) return true;
  return false;
}
/// `x` with its bytes 'A' to 'Z' in lower case.
constexpr std::uint64_t ascii_lower(std::uint64_t x) noexcept {
  const std::uint64_t low7 = x & ~kHighs;  // (a byte's high bit would carry into the next)
  const std::uint64_t from_a = low7 + kOnes * (0x80 - 'A');  // high bit set: at least 'A'
  const std::uint64_t past_z = low7 + kOnes * (0x7F - 'Z');  // high bit set: past 'Z'
  return x | (((from_a ^ past_z) & ~x & kHighs) >> 2);       // 0x80 >> 2 is the case bit
}
}  // namespace swar

/// Equal but for ASCII case (header names, enum-like configuration values); eight bytes a step
/// (every field name a response is searched for).
constexpr bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  if (!std::is_constant_evaluated() && a.size() >= 8) {
    const auto differ = [&](std::size_t i) {
      return swar::ascii_lower(swar::load8(a.data() + i)) != swar::ascii_lower(swar::load8(b.data() + i));
    };
    for (std::size_t i = 0; i + 8 <= a.size(); i += 8)
      if (differ(i)) return false;
    return a.size() % 8 == 0 || !differ(a.size() - 8);  // the last eight, overlapping
  }
  for (std::size_t i = 0; i < a.size(); ++i)
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  return true;
}

/// iequals against a name known in lower case ("content-length"): only `s` is folded.
inline bool iequals_lower(std::string_view s, std::string_view lower) noexcept {
  if (s.size() != lower.size()) return false;
  std::size_t i = 0;
  for (; i + 8 <= s.size(); i += 8)
    if (swar::ascii_lower(swar::load8(s.data() + i)) != swar::load8(lower.data() + i)) return false;
  for (; i < s.size(); ++i)
    if (ascii_lower(s[i]) != lower[i]) return false;
  return true;
}

/// A field value that cannot end its line early: no CR, LF or NUL (which would let the sender
/// of the value smuggle header fields or a second message). Eight bytes a step: it runs on every
/// header field of every request.
inline bool is_field_value(std::string_view v) noexcept {
  if (v.size() < 8) {
    for (char c : v)
      if (c == '\r' || c == '\n' || c == '\0') [[unlikely]] return false;
    return true;
  }
  const auto eight_ok = [&v](std::size_t i) {
    const std::uint64_t x = swar::load8(v.data() + i);
    if (!swar::has_below(x, 0x20)) [[likely]] return true;  // no control character: one test, not three
    return !(swar::has_byte(x, '\0') || swar::has_byte(x, '\r') || swar::has_byte(x, '\n'));
  };
  for (std::size_t i = 0; i + 8 <= v.size(); i += 8)
    if (!eight_ok(i)) [[unlikely]] return false;
  return v.size() % 8 == 0 || eight_ok(v.size() - 8);  // the last eight, overlapping
}

/// `v` in decimal at `out` (at most 20 characters); returns the end. Eight digits at a time in
/// 32-bit arithmetic, two a step: about a third of std::to_chars' instructions for the 19-digit
/// nanosecond timestamps OTLP/JSON writes (two or more a span).
char* write_decimal(char* out, std::uint64_t v) noexcept;

/// Percent-decoding; nullopt on a malformed escape.
inline std::optional<std::string> percent_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    if (i + 2 >= s.size()) return std::nullopt;
    unsigned v = 0;
    const auto [end, ec] = std::from_chars(s.data() + i + 1, s.data() + i + 3, v, 16);
    if (ec != std::errc{} || end != s.data() + i + 3) return std::nullopt;
    out += static_cast<char>(v);
    i += 2;
  }
  return out;
}

/// Short strings hashed and compared without a loop: the metrics' series and the HTTP
/// instrumentation's kinds of request are found by them on every measurement.
// 64x64 -> 128-bit multiply, folded: wyhash's mixing step.
[[gnu::always_inline]] inline std::uint64_t mum(std::uint64_t a, std::uint64_t b) noexcept {
  __extension__ using u128 = unsigned __int128;  // GCC and Clang on 64-bit targets
  const u128 m = static_cast<u128>(a) * b;
  return static_cast<std::uint64_t>(m >> 64) ^ static_cast<std::uint64_t>(m);
}

inline constexpr std::uint64_t kHash0 = 0xa0761d6478bd642fULL;
inline constexpr std::uint64_t kHash1 = 0xe7037ed1a0b428dbULL;

// A string of up to 16 bytes as two words, without a loop (overlapping loads).
[[gnu::always_inline]] inline void load_short(const char* p, std::size_t n, std::uint64_t& a, std::uint64_t& b) noexcept {
  if (n >= 8) {
    std::memcpy(&a, p, 8);
    std::memcpy(&b, p + n - 8, 8);
  } else if (n >= 4) {
    std::uint32_t x, y;
    std::memcpy(&x, p, 4);
    std::memcpy(&y, p + n - 4, 4);
    a = x;
    b = y;
  } else {
    const auto* u = reinterpret_cast<const unsigned char*>(p);
    a = n == 0 ? 0 : (u[0] | static_cast<std::uint64_t>(u[n / 2]) << 8 | static_cast<std::uint64_t>(u[n - 1]) << 16);
    b = 0;
  }
}

std::uint64_t hash_long(std::string_view s) noexcept;  // over 16 bytes (common.cpp)

[[gnu::always_inline]] inline std::uint64_t hash_string(std::string_view s) noexcept {
  if (s.size() > 16) [[unlikely]]
    return hash_long(s);
  std::uint64_t a, b;
  load_short(s.data(), s.size(), a, b);
  return mum(a ^ kHash0, b ^ kHash1 ^ s.size());
}

[[gnu::always_inline]] inline bool same_string(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  if (a.size() > 16) [[unlikely]]
    return std::memcmp(a.data(), b.data(), a.size()) == 0;
  std::uint64_t a0, a1, b0, b1;
  load_short(a.data(), a.size(), a0, a1);
  load_short(b.data(), b.size(), b0, b1);
  return ((a0 ^ b0) | (a1 ^ b1)) == 0;
}

/// A C++ type's readable name, from its mangled one.
std::string demangle(const char* mangled);
/// The type of the exception `e` holds ("std::runtime_error", "int"), demangled.
std::string exception_type(const std::exception_ptr& e);

}  // namespace tracehop::detail
