// The shared helpers' out-of-line parts; compiled into the bottom layer (tracehop::trace), so
// every layer above has them.
#include <cxxabi.h>

#include <cstdlib>
#include <typeinfo>

#include "common/env.hpp"
#include "common/text.hpp"
#include "tracehop/log.hpp"

namespace tracehop::detail {

namespace {

constexpr std::array<char, 200> kDigitPairs = [] {
  std::array<char, 200> t{};
  for (int i = 0; i < 100; ++i) {
    t[static_cast<std::size_t>(2 * i)] = static_cast<char>('0' + i / 10);
    t[static_cast<std::size_t>(2 * i + 1)] = static_cast<char>('0' + i % 10);
  }
  return t;
}();

// Exactly eight digits of `x` (< 10^8), leading zeros included.
void write_8_digits(char* out, std::uint32_t x) noexcept {
  for (int i = 3; i >= 0; --i) {
    std::memcpy(out + 2 * i, &kDigitPairs[2 * (x % 100)], 2);
    x /= 100;
  }
}

}  // namespace

char* write_decimal(char* out, std::uint64_t v) noexcept {
  if (v < 100'000'000) return std::to_chars(out, out + 8, static_cast<std::uint32_t>(v)).ptr;
  const std::uint64_t top = v / 100'000'000;
  out = write_decimal(out, top);
  write_8_digits(out, static_cast<std::uint32_t>(v - top * 100'000'000));
  return out + 8;
}

std::string demangle(const char* mangled) {
  int status = 0;
  char* d = abi::__cxa_demangle(mangled, nullptr, nullptr, &status);
  std::string out = status == 0 && d ? d : mangled;
  std::free(d);
  return out;
}

std::string exception_type(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    return demangle(typeid(ex).name());
  } catch (...) {
    const auto* type = abi::__cxa_current_exception_type();
    return type ? demangle(type->name()) : "unknown";
  }
}

std::optional<std::string> env(const char* name) {
  const char* v = std::getenv(name);
  if (!v) return std::nullopt;
  const auto s = trim(v);
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
  if (!iequals(*v, "false")) log_warn(std::string(name) + "='" + *v + "' is neither true nor false; taken as false");
  return false;
}

std::vector<std::string> env_list(const char* name) {
  const char* v = std::getenv(name);
  return v ? split_list(v) : std::vector<std::string>{};
}

std::uint64_t hash_long(std::string_view s) noexcept {
  std::uint64_t h = kHash0 ^ s.size();
  std::size_t i = 0;
  for (; i + 16 <= s.size(); i += 16) {
    std::uint64_t a, b;
    std::memcpy(&a, s.data() + i, 8);
    std::memcpy(&b, s.data() + i + 8, 8);
    h = mum(a ^ kHash1, b ^ h);
  }
  std::uint64_t a, b;
  load_short(s.data() + s.size() - 16, 16, a, b);  // the last 16 bytes (s is longer than 16)
  return mum(a ^ kHash1, b ^ h);
}

}  // namespace tracehop::detail
