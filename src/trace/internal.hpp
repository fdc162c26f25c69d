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

class RecordingSpan {
 public:
  RecordingSpan(std::shared_ptr<ProviderState> provider, const ProcessorList* processors,
                const SpanLimits* limits)
      : provider_(std::move(provider)), processors_(processors), limits_(limits) {}

  SpinLock mu;
  bool ended = false;
  SpanData data;
  std::chrono::steady_clock::time_point steady_start;

  const SpanLimits& limits() const noexcept { return *limits_; }
  const ProcessorList& processors() const noexcept { return *processors_; }
  /// Called once, by end(): the ended span must not keep its provider alive (an exporter that
  /// keeps spans, as the in-memory one does, would otherwise close an ownership cycle).
  std::shared_ptr<ProviderState> release_provider() noexcept { return std::move(provider_); }

 private:
  std::shared_ptr<ProviderState> provider_;  // keeps processors_ and limits_ alive
  const ProcessorList* processors_;
  const SpanLimits* limits_;
};

/// Fixed-size blocks for recording spans, recycled across threads. A span is allocated on the
/// thread that starts it and freed on the batch processor's thread; malloc handles that pattern
/// badly (the freeing thread's cache never serves the allocating one), so ended spans' blocks
/// come back through a lock-free queue instead. Bounded: beyond kCapacity spare blocks, memory
/// goes back to the heap.
namespace span_pool {
inline constexpr std::size_t kBlockSize = 512;
inline constexpr std::size_t kCapacity = 4096;
void* allocate();
void deallocate(void* block) noexcept;
}  // namespace span_pool

template <class T>
struct SpanPoolAllocator {
  using value_type = T;
  SpanPoolAllocator() = default;
  template <class U>
  SpanPoolAllocator(const SpanPoolAllocator<U>&) noexcept {}  // NOLINT(google-explicit-constructor)
  T* allocate(std::size_t n) {
    if (n * sizeof(T) <= span_pool::kBlockSize && alignof(T) <= alignof(std::max_align_t))
      return static_cast<T*>(span_pool::allocate());
    return static_cast<T*>(::operator new(n * sizeof(T)));
  }
  void deallocate(T* p, std::size_t n) noexcept {
    if (n * sizeof(T) <= span_pool::kBlockSize && alignof(T) <= alignof(std::max_align_t))
      span_pool::deallocate(p);
    else
      ::operator delete(p);
  }
  template <class U>
  bool operator==(const SpanPoolAllocator<U>&) const noexcept { return true; }
};

}  // namespace tracehop::trace::detail
