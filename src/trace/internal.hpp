#pragma once
// Shared internals of the trace layer (not installed).

#include <chrono>
#include <cstdint>
#include <memory>
#include <atomic>
#include <mutex>
#include <thread>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/env.hpp"
#include "common/text.hpp"
#include "tracehop/trace/span.hpp"
#include "tracehop/trace/span_limits.hpp"
#include "tracehop/trace/span_processor.hpp"

namespace tracehop::trace::detail {

// The helpers every layer shares (src/common), under the names this layer uses.
using tracehop::detail::ascii_lower;
using tracehop::detail::env;
using tracehop::detail::env_bool;
using tracehop::detail::env_uint;
using tracehop::detail::iequals;
using tracehop::detail::is_token;
using tracehop::detail::percent_decode;
using tracehop::detail::split_list;
using tracehop::detail::trim;
using tracehop::detail::trim_ows;

/// Appends a key and value built in place (one move of each, not two).
inline void emplace_attribute(Attributes& attrs, AttributeKey&& key, AttributeValue&& value) {
#if defined(__cpp_aggregate_paren_init) && __cpp_aggregate_paren_init >= 201902L
  attrs.emplace_back(std::move(key), std::move(value));
#else
  attrs.push_back(KeyValue{std::move(key), std::move(value)});
#endif
}

/// One of 64 bits for a non-empty attribute key (from its length and last character: the keys
/// of one span rarely share both), 0 for an empty one. A set of these tells a key surely absent.
inline std::uint64_t key_bit(std::string_view key) noexcept {
  if (key.empty()) return 0;
  return std::uint64_t{1} << ((key.size() * 8 + static_cast<unsigned char>(key.back())) & 63);
}

// --- spans ---

/// A span's lock: held for a few dozen instructions and almost never contended, so a spin lock
/// costs a fraction of a pthread mutex (which would dominate a span's cost).
class SpinLock {
 public:
  void lock() noexcept {
    while (locked_.exchange(true, std::memory_order_acquire)) {
      for (int spins = 0; locked_.load(std::memory_order_relaxed); ++spins) {
        if (spins < 64) {
#if defined(__x86_64__) || defined(__i386__)
          __builtin_ia32_pause();
#endif
        } else {
          std::this_thread::yield();  // the holder may be descheduled on a busy machine
        }
      }
    }
  }
  void unlock() noexcept { locked_.store(false, std::memory_order_release); }

 private:
  std::atomic<bool> locked_{false};
};
class ProviderState;

struct ProcessorList {
  std::vector<std::shared_ptr<SpanProcessor>> processors;
};

/// A sampled span's state. Recycled whole: when the last handle to an ended span lets go (often
/// on the batch processor's thread), the span goes back to a pool as it is, and the next span
/// started takes it, clears it on the starting thread and fills it again. So what a span's data
/// holds (its attribute list, a long string value) is allocated and freed by the thread that
/// starts spans, where malloc serves it from a per-thread cache, and the list's storage is not
/// even freed: a cross-thread free costs glibc several hundred instructions. The shared_ptr's
/// control block lives inside the span, so a span costs no allocation once the pool is warm.
class RecordingSpan {
 public:
  SpinLock mu;
  bool ended = false;
  SpanData data;
  std::chrono::steady_clock::time_point steady_start;
  /// The key_bit()s of data.attributes' keys: a key whose bit is not set is not in the list, so
  /// setting it needs no search.
  std::uint64_t key_bits = 0;

  /// Takes a span from the pool (cleared here, on the starting thread) or makes a new one, for
  /// a provider's processors and limits; its handle is share()'s.
  static RecordingSpan* acquire(std::shared_ptr<ProviderState> provider, const ProcessorList* processors,
                                const SpanLimits* limits);
  /// The first handle to an acquired span. When the last copy goes, the span returns to the pool.
  static std::shared_ptr<RecordingSpan> share(RecordingSpan* span);

  const SpanLimits& limits() const noexcept { return *limits_; }
  const ProcessorList& processors() const noexcept { return *processors_; }
  /// Called once, by end(): the ended span must not keep its provider alive (an exporter that
  /// keeps spans, as the in-memory one does, would otherwise close an ownership cycle).
  std::shared_ptr<ProviderState> release_provider() noexcept { return std::move(provider_); }

 private:
  template <class T>
  friend struct InSpanAllocator;
  void clear() noexcept;
  static void release(RecordingSpan* span) noexcept;

  std::shared_ptr<ProviderState> provider_;  // keeps processors_ and limits_ alive until end()
  const ProcessorList* processors_ = nullptr;
  const SpanLimits* limits_ = nullptr;
  alignas(std::max_align_t) unsigned char control_block_[48];
};

}  // namespace tracehop::trace::detail
