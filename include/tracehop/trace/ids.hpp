#pragma once
// Trace and span identifiers, trace flags, and the random source that makes them.

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <optional>
#include <string>
#include <string_view>

namespace tracehop::trace {

namespace detail {
/// Parses exactly `2 * N` lowercase hex digits; uppercase is rejected (W3C trace context).
template <std::size_t N>
std::optional<std::array<std::uint8_t, N>> parse_lower_hex(std::string_view hex) noexcept;
/// Writes `bytes` as lowercase hex into `out`, which has room for 2 * bytes.size() characters.
void write_hex(const std::uint8_t* bytes, std::size_t n, char* out) noexcept;
}  // namespace detail

/// A fixed-size identifier (16 bytes for a trace, 8 for a span). All-zero is the invalid id.
template <std::size_t N>
class Id {
  static_assert(N % 8 == 0, "ids are whole 64-bit words");

 public:
  static constexpr std::size_t size = N;
  using Bytes = std::array<std::uint8_t, N>;

  constexpr Id() noexcept = default;
  constexpr explicit Id(const Bytes& bytes) noexcept : bytes_(bytes) {}

  /// Parses 2*N lowercase hex digits; nullopt on anything else. An all-zero id parses (it is
  /// well-formed) but is not valid().
  static std::optional<Id> from_hex(std::string_view hex) noexcept {
    auto bytes = detail::parse_lower_hex<N>(hex);
    if (!bytes) return std::nullopt;
    return Id(*bytes);
  }

  constexpr bool valid() const noexcept {
    if (std::is_constant_evaluated()) {
      for (auto b : bytes_)
        if (b != 0) return true;
      return false;
    }
    std::uint64_t any = 0;  // word by word: this runs for every span started
    for (std::size_t i = 0; i < N; i += 8) {
      std::uint64_t word;
      std::memcpy(&word, bytes_.data() + i, 8);
      any |= word;
    }
    return any != 0;
  }
  constexpr const Bytes& bytes() const noexcept { return bytes_; }

  /// Lowercase hex, 2*N characters.
  std::string to_hex() const {
    std::string s(2 * N, '\0');
    detail::write_hex(bytes_.data(), N, s.data());
    return s;
  }
  /// Writes 2*N lowercase hex characters to `out`.
  void write_hex(char* out) const noexcept { detail::write_hex(bytes_.data(), N, out); }

  friend constexpr bool operator==(const Id&, const Id&) = default;

 private:
  Bytes bytes_{};
};

using TraceId = Id<16>;
using SpanId = Id<8>;

/// The W3C trace-flags byte. Bit 0: sampled. Bit 1 (Trace Context Level 2): the trace id's
/// right-most 7 bytes are random.
class TraceFlags {
 public:
  static constexpr std::uint8_t kSampled = 0x01;
  static constexpr std::uint8_t kRandom = 0x02;

  constexpr TraceFlags() noexcept = default;
  constexpr explicit TraceFlags(std::uint8_t bits) noexcept : bits_(bits) {}

  constexpr bool sampled() const noexcept { return bits_ & kSampled; }
  constexpr bool random() const noexcept { return bits_ & kRandom; }
  constexpr std::uint8_t bits() const noexcept { return bits_; }
  constexpr TraceFlags with_sampled(bool on) const noexcept {
    return TraceFlags(on ? bits_ | kSampled : bits_ & ~kSampled);
  }
  constexpr TraceFlags with_random(bool on) const noexcept {
    return TraceFlags(on ? bits_ | kRandom : bits_ & ~kRandom);
  }
  friend constexpr bool operator==(TraceFlags, TraceFlags) = default;

 private:
  std::uint8_t bits_ = 0;
};

/// Makes trace and span ids. The SDK's default draws from a per-thread wyrand generator seeded
/// from the operating system (and reseeded in a forked child), so ids are unique across threads
/// and processes and never all-zero.
class IdGenerator {
 public:
  virtual ~IdGenerator() = default;
  virtual TraceId new_trace_id() = 0;
  virtual SpanId new_span_id() = 0;
  /// True when trace ids carry at least 56 random bits in their right-most 7 bytes, so new
  /// traces may set the W3C Level 2 random flag.
  virtual bool trace_ids_are_random() const noexcept { return false; }
};

/// The default generator (thread-safe, lock-free).
class RandomIdGenerator final : public IdGenerator {
 public:
  TraceId new_trace_id() override;
  SpanId new_span_id() override;
  bool trace_ids_are_random() const noexcept override { return true; }
};

/// A 64-bit value from the calling thread's generator.
std::uint64_t random_u64() noexcept;

}  // namespace tracehop::trace
