#include "tracehop/trace/ids.hpp"

#include <pthread.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <random>
#include <thread>

namespace tracehop::trace {
namespace detail {

namespace {
constexpr int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}
}  // namespace

template <std::size_t N>
std::optional<std::array<std::uint8_t, N>> parse_lower_hex(std::string_view hex) noexcept {
  if (hex.size() != 2 * N) return std::nullopt;
  std::array<std::uint8_t, N> out{};
  for (std::size_t i = 0; i < N; ++i) {
    int hi = hex_value(hex[2 * i]), lo = hex_value(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out[i] = static_cast<std::uint8_t>(hi << 4 | lo);
  }
  return out;
}
template std::optional<std::array<std::uint8_t, 16>> parse_lower_hex<16>(std::string_view) noexcept;
template std::optional<std::array<std::uint8_t, 8>> parse_lower_hex<8>(std::string_view) noexcept;
template std::optional<std::array<std::uint8_t, 1>> parse_lower_hex<1>(std::string_view) noexcept;

void write_hex(const std::uint8_t* bytes, std::size_t n, char* out) noexcept {
  static constexpr char digits[] = "0123456789abcdef";
  for (std::size_t i = 0; i < n; ++i) {
    out[2 * i] = digits[bytes[i] >> 4];
    out[2 * i + 1] = digits[bytes[i] & 0xf];
  }
}

}  // namespace detail

namespace {

std::uint64_t splitmix64(std::uint64_t& x) noexcept {
  std::uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// Bumped in a forked child so every thread's generator reseeds instead of repeating the
// parent's ids (getpid() is a system call on current glibc: too slow to ask per id).
std::atomic<std::uint64_t> fork_generation{1};
const bool atfork_registered = [] {
  ::pthread_atfork(nullptr, nullptr, [] { fork_generation.fetch_add(1, std::memory_order_relaxed); });
  return true;
}();

// xoshiro256**: fast, 256 bits of state, passes BigCrush; one instance per thread.
class Xoshiro {
 public:
  std::uint64_t next() noexcept {
    if (generation_ != fork_generation.load(std::memory_order_relaxed)) seed();
    const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }

 private:
  static std::uint64_t rotl(std::uint64_t x, int k) noexcept { return (x << k) | (x >> (64 - k)); }
  void seed() noexcept {
    generation_ = fork_generation.load(std::memory_order_relaxed);
    const auto pid = static_cast<std::uint64_t>(::getpid());
    std::uint64_t mix = 0;
    try {
      std::random_device rd;
      mix = (std::uint64_t{rd()} << 32) ^ rd();
    } catch (...) {
      // No entropy device: fall back on time, address and thread id below.
    }
    mix ^= static_cast<std::uint64_t>(
        std::chrono::high_resolution_clock::now().time_since_epoch().count());
    mix ^= reinterpret_cast<std::uintptr_t>(this);
    mix ^= std::hash<std::thread::id>{}(std::this_thread::get_id()) << 1;
    mix ^= pid << 40;
    for (auto& s : s_) s = splitmix64(mix);
  }
  std::uint64_t s_[4] = {0, 0, 0, 0};
  std::uint64_t generation_ = 0;
};

thread_local Xoshiro tls_rng;

template <std::size_t N>
void fill(std::array<std::uint8_t, N>& bytes) noexcept {
  for (std::size_t i = 0; i < N; i += 8) {
    std::uint64_t v = tls_rng.next();
    for (std::size_t j = 0; j < 8; ++j) bytes[i + j] = static_cast<std::uint8_t>(v >> (8 * j));
  }
}

}  // namespace

std::uint64_t random_u64() noexcept { return tls_rng.next(); }

TraceId RandomIdGenerator::new_trace_id() {
  TraceId::Bytes b;
  do fill(b);
  while (!TraceId(b).valid());
  return TraceId(b);
}

SpanId RandomIdGenerator::new_span_id() {
  SpanId::Bytes b;
  do fill(b);
  while (!SpanId(b).valid());
  return SpanId(b);
}

}  // namespace tracehop::trace
