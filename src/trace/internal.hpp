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

#include "tracehop/trace/span.hpp"
#include "tracehop/trace/span_limits.hpp"
#include "tracehop/trace/span_processor.hpp"

namespace tracehop::trace::detail {

// --- environment ---
/// The variable's value with surrounding white space removed; nullopt if unset or empty.
std::optional<std::string> env(const char* name);
/// A non-negative integer variable; nullopt (and a logged warning) when set but malformed.
std::optional<std::uint64_t> env_uint(const char* name);
/// true/false (case-insensitive); anything else is logged and treated as false.
bool env_bool(const char* name);

std::string_view trim_ows(std::string_view s) noexcept;  // spaces and tabs
bool iequals(std::string_view a, std::string_view b) noexcept;
std::string to_lower(std::string_view s);

/// Percent-decoding; nullopt on a malformed escape.
std::optional<std::string> percent_decode(std::string_view s);
/// Percent-encodes every byte outside the W3C baggage-octet set (and '%').
std::string percent_encode_baggage(std::string_view s);
bool is_token_char(char c) noexcept;  // RFC 9110 tchar

/// The process's short name (for unknown_service:<name>).
std::string process_name();

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

/// Truncates attribute lists to `limit`, counting what was cut.
void apply_count_limit(Attributes& attrs, std::size_t limit, std::uint32_t& dropped);

}  // namespace tracehop::trace::detail
