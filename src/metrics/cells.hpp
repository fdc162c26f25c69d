#pragma once
// The aggregations' per-series state (internal): a sum (lock-free), a last value (lock-free),
// an explicit-bucket histogram (under a spin lock held for a few stores), and the exemplar
// reservoirs beside them. What each collects into a point lives in storage.cpp.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <limits>
#include <memory>
#include <thread>
#include <variant>

#include "attribute_set.hpp"
#include "tracehop/metrics/data.hpp"

namespace tracehop::metrics::detail {

/// Held for a handful of stores; a waiter spins on a plain load, then yields.
class SpinLock {
 public:
  void lock() noexcept {
    for (int spins = 0; flag_.exchange(true, std::memory_order_acquire);)
      while (flag_.load(std::memory_order_relaxed))
        if (++spins > 64) std::this_thread::yield();
  }
  void unlock() noexcept { flag_.store(false, std::memory_order_release); }

 private:
  std::atomic<bool> flag_{false};
};

/// A uniform integer in [0, n) from a per-thread generator: which offer a reservoir keeps.
std::uint64_t random_below(std::uint64_t n) noexcept;

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
    offered = 0;
    if (delta) set = false;
  }
};

/// Counter, UpDownCounter: a running sum.
template <class T>
struct SumCell {
  explicit SumCell(bool exemplars) : slot(exemplars ? std::make_unique<ExemplarSlot>() : nullptr) {}
  std::atomic<T> value{0};
  std::atomic<bool> touched{false};  // measured since the last delta collection
  SpinLock lock;                     // guards the slot
  std::unique_ptr<ExemplarSlot> slot;
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
/// specification's aligned-histogram-bucket reservoir).
struct HistogramCell {
  HistogramCell(std::size_t buckets, bool exemplars)
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
