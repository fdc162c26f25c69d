#pragma once
// The SDK's random ids (internal): a wyrand generator per thread, seeded from the operating
// system on first use and again in a forked child (ids.cpp). Inline, so that a span of a
// provider with the default RandomIdGenerator draws its ids without a virtual call.

#include <cstdint>
#include <cstring>

#include "tracehop/trace/ids.hpp"

namespace tracehop::trace::detail {

// wyrand: a 64-bit state stepped by a constant and mixed by one 64x64->128 multiply. It passes
// BigCrush and PractRand, and costs a handful of instructions (a trace id takes two calls).
class Generator {
  __extension__ using u128 = unsigned __int128;  // GCC and Clang on 64-bit targets

 public:
  std::uint64_t next() noexcept {
    if (!seeded_) [[unlikely]]
      seed();
    state_ += 0xa0761d6478bd642fULL;
    const u128 m = static_cast<u128>(state_) * (state_ ^ 0xe7037ed1a0b428dbULL);
    return static_cast<std::uint64_t>(m >> 64) ^ static_cast<std::uint64_t>(m);
  }
  /// A forked child must not repeat its parent's ids: it reseeds on next use.
  void forget_seed() noexcept { seeded_ = false; }

 private:
  void seed() noexcept;
  std::uint64_t state_ = 0;
  bool seeded_ = false;
};

// Constant-initialized and trivially destructible: reached without a TLS wrapper call.
inline thread_local Generator tls_rng;

/// A random trace id, never all-zero (with 128 random bits all but impossible, but never emitted).
inline TraceId random_trace_id() noexcept {
  std::uint64_t hi, lo;
  do {
    hi = tls_rng.next();
    lo = tls_rng.next();
  } while ((hi | lo) == 0);
  TraceId::Bytes b;
  std::memcpy(b.data(), &hi, 8);
  std::memcpy(b.data() + 8, &lo, 8);
  return TraceId(b);
}

/// A random span id, never all-zero.
inline SpanId random_span_id() noexcept {
  std::uint64_t v;
  do v = tls_rng.next();
  while (v == 0);
  SpanId::Bytes b;
  std::memcpy(b.data(), &v, 8);
  return SpanId(b);
}

}  // namespace tracehop::trace::detail
