#include "tracehop/trace/ids.hpp"

#include <pthread.h>
#include <unistd.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <algorithm>
#include <atomic>
#include <cstring>
#include <chrono>
#include <random>
#include <thread>

#include "random.hpp"

namespace tracehop::trace {
namespace detail {

namespace {

// 0x00-0x0f for '0'-'9' and 'a'-'f', 0xff for every other byte (uppercase included: W3C ids
// are lowercase).
constexpr std::array<std::uint8_t, 256> kHexValue = [] {
  std::array<std::uint8_t, 256> t{};
  t.fill(0xff);
  for (int c = '0'; c <= '9'; ++c) t[static_cast<std::size_t>(c)] = static_cast<std::uint8_t>(c - '0');
  for (int c = 'a'; c <= 'f'; ++c) t[static_cast<std::size_t>(c)] = static_cast<std::uint8_t>(c - 'a' + 10);
  return t;
}();

// Two hex characters per byte value.
constexpr std::array<char, 512> kHexPairs = [] {
  std::array<char, 512> t{};
  constexpr char digits[] = "0123456789abcdef";
  for (int b = 0; b < 256; ++b) {
    t[static_cast<std::size_t>(2 * b)] = digits[b >> 4];
    t[static_cast<std::size_t>(2 * b + 1)] = digits[b & 0xf];
  }
  return t;
}();

}  // namespace

template <std::size_t N>
std::optional<std::array<std::uint8_t, N>> parse_lower_hex(std::string_view hex) noexcept {
  if (hex.size() != 2 * N) return std::nullopt;
  std::array<std::uint8_t, N> out{};
  std::uint8_t bad = 0;
  for (std::size_t i = 0; i < N; ++i) {
    const std::uint8_t hi = kHexValue[static_cast<unsigned char>(hex[2 * i])];
    const std::uint8_t lo = kHexValue[static_cast<unsigned char>(hex[2 * i + 1])];
    bad |= static_cast<std::uint8_t>(hi | lo);  // 0xff marks a non-hex character
    out[i] = static_cast<std::uint8_t>(hi << 4 | lo);
  }
  if (bad & 0xf0) return std::nullopt;
  return out;
}
template std::optional<std::array<std::uint8_t, 16>> parse_lower_hex<16>(std::string_view) noexcept;
template std::optional<std::array<std::uint8_t, 8>> parse_lower_hex<8>(std::string_view) noexcept;
template std::optional<std::array<std::uint8_t, 1>> parse_lower_hex<1>(std::string_view) noexcept;

// Every traceparent and every OTLP/JSON span writes 24-32 id bytes: eight a step with SSE2 (each
// byte's two nibbles side by side, then '0'-'9' or 'a'-'f' for all sixteen at once), the rest
// from a table.
void write_hex(const std::uint8_t* bytes, std::size_t n, char* out) noexcept {
  std::size_t i = 0;
#if defined(__SSE2__)
  const __m128i low_nibbles = _mm_set1_epi8(0x0f);
  for (; i + 8 <= n; i += 8) {
    const __m128i v = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(bytes + i));
    const __m128i hi = _mm_and_si128(_mm_srli_epi16(v, 4), low_nibbles);
    const __m128i lo = _mm_and_si128(v, low_nibbles);
    const __m128i nibbles = _mm_unpacklo_epi8(hi, lo);  // hi0 lo0 hi1 lo1 ...
    const __m128i letters = _mm_and_si128(_mm_cmpgt_epi8(nibbles, _mm_set1_epi8(9)), _mm_set1_epi8('a' - '0' - 10));
    const __m128i ascii = _mm_add_epi8(_mm_add_epi8(nibbles, _mm_set1_epi8('0')), letters);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + 2 * i), ascii);
  }
#endif
  for (; i < n; ++i) std::memcpy(out + 2 * i, &kHexPairs[2 * std::size_t{bytes[i]}], 2);
}

}  // namespace detail

namespace detail {

void Generator::seed() noexcept {
  seeded_ = true;
  std::uint64_t mix = 0;
  try {
    std::random_device rd;
    mix = (std::uint64_t{rd()} << 32) ^ rd();
  } catch (...) {
    // No entropy device: fall back on time, address, process and thread below.
  }
  mix ^= static_cast<std::uint64_t>(std::chrono::high_resolution_clock::now().time_since_epoch().count());
  mix ^= reinterpret_cast<std::uintptr_t>(this);
  mix ^= std::hash<std::thread::id>{}(std::this_thread::get_id()) << 1;
  mix ^= static_cast<std::uint64_t>(::getpid()) << 40;
  // splitmix64: one step spreads the mixed bits over the whole state.
  std::uint64_t z = mix + 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  state_ = z ^ (z >> 31);
}

namespace {
// In a forked child only the forking thread exists; its generator must reseed. (getpid() per
// id would be a system call on current glibc: far too slow.)
const bool atfork_registered = [] {
  ::pthread_atfork(nullptr, nullptr, [] { tls_rng.forget_seed(); });
  return true;
}();
}  // namespace

}  // namespace detail

std::uint64_t random_u64() noexcept { return detail::tls_rng.next(); }

TraceId RandomIdGenerator::new_trace_id() { return detail::random_trace_id(); }

SpanId RandomIdGenerator::new_span_id() { return detail::random_span_id(); }

}  // namespace tracehop::trace
