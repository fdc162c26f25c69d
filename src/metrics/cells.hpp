#pragma once
// The aggregations' per-series state (internal): a sum (lock-free), a last value (lock-free),
// an explicit-bucket histogram (under a spin lock held for a few stores), and the exemplar
// reservoirs beside them; sums and histograms a stripe a CPU. What each collects into a point
// lives in storage.cpp.

#include <sys/rseq.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstddef>
#include <limits>
#include <memory>
#include <optional>
#include <thread>
#include <variant>

#include "attribute_set.hpp"
#include "tracehop/metrics/data.hpp"

namespace tracehop::metrics::detail {

/// Held for a handful of stores; a waiter spins on a plain load, then yields.
class SpinLock {
 public:
  void lock() noexcept {
    if (!flag_.exchange(true, std::memory_order_acquire)) [[likely]]
      return;
    contended();
  }
  bool try_lock() noexcept { return !flag_.exchange(true, std::memory_order_acquire); }
  void unlock() noexcept { flag_.store(false, std::memory_order_release); }

 private:
  [[gnu::noinline]] void contended() noexcept {
    for (int spins = 0; flag_.exchange(true, std::memory_order_acquire);)
      while (flag_.load(std::memory_order_relaxed))
        if (++spins > 64) std::this_thread::yield();
  }
  std::atomic<bool> flag_{false};
};

/// A uniform integer in [0, n) from a per-thread generator: which offer a reservoir keeps.
std::uint64_t random_below(std::uint64_t n) noexcept;

/// How many stripes a contended cell has: the CPUs, at most 4, rounded down to a power of two.
/// Threads recording into one series each write their own stripe (on its own cache lines), so
/// two threads are not slower together than one; a collection adds the stripes up.
std::size_t stripe_count() noexcept;
/// A stripe for a thread without the CPU number: threads take turns, in the order they ask.
std::size_t next_thread_stripe() noexcept;
/// The stripe of the CPU this thread runs on, read from the kernel's rseq area that glibc
/// registers for each thread: two threads running at once never share one (up to
/// stripe_count() CPUs); a thread moved meanwhile only shares a lock for a moment. Without rseq
/// (an older kernel, valgrind), each thread keeps the stripe it was given first.
[[gnu::always_inline]] inline std::size_t my_stripe() noexcept {
#if defined(RSEQ_SIG) && __has_builtin(__builtin_thread_pointer)
  if (__rseq_size > 0) {
    const auto* area = reinterpret_cast<const volatile struct rseq*>(
        static_cast<const char*>(__builtin_thread_pointer()) + __rseq_offset);
    const auto cpu = static_cast<std::int32_t>(area->cpu_id);
    if (cpu >= 0) return static_cast<std::size_t>(cpu);
  }
#endif
  static constinit thread_local std::size_t mine = ~std::size_t{0};
  if (mine == ~std::size_t{0}) [[unlikely]]
    mine = next_thread_stripe();
  return mine;
}
/// `T`s, one a stripe, each on cache lines of its own.
template <class T>
class Striped {
 public:
  template <class... A>
  explicit Striped(const A&... a) : n_(stripe_count()), items_(std::make_unique<Padded[]>(n_)) {  // a power of two
    for (std::size_t i = 0; i < n_; ++i) items_[i].item.emplace(a...);
  }
  [[gnu::always_inline]] T& mine() noexcept { return *items_[my_stripe() & (n_ - 1)].item; }
  std::size_t size() const noexcept { return n_; }
  T& operator[](std::size_t i) noexcept { return *items_[i].item; }

 private:
  struct alignas(64) Padded {
    std::optional<T> item;
  };
  std::size_t n_;
  std::unique_ptr<Padded[]> items_;
};

/// One exemplar slot, kept by reservoir sampling: the k-th measurement offered in an interval
/// replaces the kept one with probability 1/k, so each is kept with the same chance. Guarded by
/// its cell's lock.
struct ExemplarSlot {
  std::uint64_t offered = 0;  // this interval
  bool set = false;
  std::variant<std::int64_t, double> value;
  trace::TimePoint time;
  trace::TraceId trace_id;
  trace::SpanId span_id;
  trace::Attributes filtered;  // only with a key filter (the one case that may allocate)

  template <class T>
  void offer(T v, const trace::SpanContext& context, AttributeList given, const KeyFilter* filter) {
    ++offered;
    if (offered > 1 && random_below(offered) != 0) return;
    set = true;
    value = v;
    time = trace::Clock::now();
    trace_id = context.trace_id();
    span_id = context.span_id();
    if (filter) {
      filtered.clear();
      filtered_out(given, *filter, filtered);
    }
  }
  /// Appends the kept exemplar, then starts a new interval (a delta point forgets it; a
  /// cumulative one keeps it until a newer measurement replaces it).
  void collect(std::vector<Exemplar>& out, bool delta) {
    if (set) out.push_back({filtered, time, value, trace_id, span_id});
    reset(delta);
  }
  void reset(bool delta) noexcept {
    offered = 0;
    if (delta) set = false;
  }
};

/// One exemplar of several stripes' slots of a bucket (each under its stripe's lock, held by
/// the caller): a slot is picked with a chance in proportion to the measurements offered to it
/// this interval (one for a kept slot of an earlier interval), so every measurement still had
/// the same chance; then each slot starts a new interval.
template <class SlotAt>
void collect_one_of(std::size_t stripes, SlotAt&& slot_at, std::vector<Exemplar>& out, bool delta) {
  ExemplarSlot* chosen = nullptr;
  std::uint64_t total = 0;
  for (std::size_t s = 0; s < stripes; ++s) {
    ExemplarSlot& slot = slot_at(s);
    if (!slot.set) continue;
    const std::uint64_t weight = slot.offered > 0 ? slot.offered : 1;
    total += weight;
    if (random_below(total) < weight) chosen = &slot;
  }
  if (chosen) out.push_back({chosen->filtered, chosen->time, chosen->value, chosen->trace_id, chosen->span_id});
  for (std::size_t s = 0; s < stripes; ++s) slot_at(s).reset(delta);
}

/// Counter, UpDownCounter: a running sum, a stripe a thread.
template <class T>
struct SumCell {
  struct Stripe {
    explicit Stripe(bool exemplars) : slot(exemplars ? std::make_unique<ExemplarSlot>() : nullptr) {}
    std::atomic<T> value{0};
    SpinLock lock;  // guards the slot
    std::unique_ptr<ExemplarSlot> slot;
  };
  explicit SumCell(bool exemplars) : stripes(exemplars) {}
  std::atomic<bool> touched{false};  // measured since the last delta collection (read-mostly)
  Striped<Stripe> stripes;
};

/// Gauge: the last value.
template <class T>
struct LastValueCell {
  explicit LastValueCell(bool exemplars) : slot(exemplars ? std::make_unique<ExemplarSlot>() : nullptr) {}
  std::atomic<T> value{0};
  std::atomic<bool> touched{false};
  SpinLock lock;
  std::unique_ptr<ExemplarSlot> slot;
};

/// Histogram: count, sum, min, max and a count a bucket, with an exemplar slot a bucket (the
/// specification's aligned-histogram-bucket reservoir); a stripe a thread.
struct HistogramCell {
  struct Stripe {
    Stripe(std::size_t buckets, bool exemplars)
        : counts(std::make_unique<std::uint64_t[]>(buckets)),
          slots(exemplars ? std::make_unique<ExemplarSlot[]>(buckets) : nullptr) {}
    SpinLock lock;  // guards everything below
    std::uint64_t count = 0;
    double sum = 0;
    double min = std::numeric_limits<double>::infinity();
    double max = -std::numeric_limits<double>::infinity();
    std::unique_ptr<std::uint64_t[]> counts;
    std::unique_ptr<ExemplarSlot[]> slots;
  };
  HistogramCell(std::size_t buckets, bool exemplars) : stripes(buckets, exemplars) {}
  Striped<Stripe> stripes;
};

/// An observable instrument's series: what its callback observed in the current collection,
/// and what was reported before (a delta is the difference).
template <class T>
struct ObservedCell {
  explicit ObservedCell(bool) {}
  T value{};
  bool observed = false;  // in this collection
  T reported{};
  bool reported_before = false;
};

}  // namespace tracehop::metrics::detail
