// The streams' storages: a measurement into a series, a series into a point.

#include "storage.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <mutex>
#include <thread>

#include "cells.hpp"
#include "series_table.hpp"

namespace tracehop::metrics::detail {

Storage::Storage(StreamConfig config, std::size_t reader)
    : config_(std::move(config)), reader_(reader), created_(trace::Clock::now()), last_collection_(created_) {}

MetricData Storage::metric(MetricType type) const {
  MetricData m;
  m.name = config_.name;
  m.description = config_.description;
  m.unit = config_.unit;
  m.type = type;
  m.temporality = config_.temporality;
  m.monotonic = is_monotonic(config_.kind);
  return m;
}

const std::vector<double>& default_boundaries() {
  static const std::vector<double> b{0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000};
  return b;
}

constinit thread_local LastSeries last_series[kLastSeriesSlots];

std::size_t stripe_count() noexcept {
  static const std::size_t n = std::bit_floor(std::clamp<std::size_t>(std::thread::hardware_concurrency(), 1, 4));
  return n;
}

std::size_t next_thread_stripe() noexcept {
  static std::atomic<std::size_t> next{0};
  return next.fetch_add(1, std::memory_order_relaxed);
}

std::uint64_t next_table_id() noexcept {
  static std::atomic<std::uint64_t> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}

namespace {

void collect_slot(SpinLock& lock, ExemplarSlot* slot, std::vector<Exemplar>& out, bool delta) {
  if (!slot) return;
  std::lock_guard guard(lock);
  slot->collect(out, delta);
}

// What every storage shares: its series table, and a measurement of either type converted to
// the instrument's before Derived::add() takes it.
template <class Derived, class T, class Cell>
class TableStorage : public Storage {
 public:
  TableStorage(StreamConfig c, std::size_t reader)
      : Storage(std::move(c), reader), table_(config_.cardinality_limit, filter(), config_.name) {}
  void record(std::int64_t v, const Given& a, const trace::SpanContext* e) noexcept final {
    static_cast<Derived*>(this)->add(static_cast<T>(v), a, e);
  }
  void record(double v, const Given& a, const trace::SpanContext* e) noexcept final {
    static_cast<Derived*>(this)->add(static_cast<T>(v), a, e);
  }

 protected:
  SeriesTable<Cell> table_;
};

template <class T, Aggregation A>
using NumberCell = std::conditional_t<A == Aggregation::Sum, SumCell<T>, LastValueCell<T>>;

// A sum (an atomic a stripe) or a last value (one atomic), and their exemplar slots.
template <class T, Aggregation A>
class NumberStorage final : public TableStorage<NumberStorage<T, A>, T, NumberCell<T, A>> {
  using Cell = NumberCell<T, A>;
  using Base = TableStorage<NumberStorage<T, A>, T, Cell>;
  using Base::config_, Base::table_, Base::delta, Base::filter, Base::start_time, Base::last_collection_;
  static constexpr bool kSum = A == Aggregation::Sum;

 public:
  using Base::Base;

  void collect(std::vector<MetricData>& out, trace::TimePoint now) override {
    MetricData m = this->metric(kSum ? MetricType::Sum : MetricType::Gauge);
    table_.for_each([&](auto& s) {
      Cell& c = s.cell;
      T v{};
      if constexpr (kSum) {
        for (std::size_t i = 0; i < c.stripes.size(); ++i) {
          auto& value = c.stripes[i].value;
          v += delta() ? value.exchange(0, std::memory_order_relaxed) : value.load(std::memory_order_relaxed);
        }
      } else {
        v = c.value.load(std::memory_order_relaxed);
      }
      if (delta() && !c.touched.exchange(false, std::memory_order_relaxed) && v == 0) return;
      NumberPoint p{s.key.attributes(), start_time(), now, v, {}};
      if constexpr (kSum) {
        if (config_.exemplars) collect_exemplars(c, p.exemplars);
      } else {
        collect_slot(c.lock, c.slot.get(), p.exemplars, delta());
      }
      m.numbers.push_back(std::move(p));
    });
    last_collection_ = now;
    if (!m.numbers.empty()) out.push_back(std::move(m));
  }

  // As a histogram's: the remembered series with no call but tail calls.
  void add(T v, const Given& a, const trace::SpanContext* e) noexcept {
    if (auto* s = table_.remembered(a)) [[likely]]
      return add_to(s->cell, v, a, e);
    return add_slow(v, a, e);
  }

 private:
  // The series not remembered: looked up (remembered() has already said no).
  [[gnu::noinline]] void add_slow(T v, const Given& a, const trace::SpanContext* e) noexcept {
    try {
      add_to(table_.find_and_remember(a, config_.exemplars).cell, v, a, e);
    } catch (...) {
      // Out of memory making a series: the measurement is lost, nothing else is.
    }
  }
  [[gnu::always_inline]] void add_to(Cell& c, T v, const Given& a, const trace::SpanContext* e) noexcept {
    auto& place = [&]() -> auto& {
      if constexpr (kSum) return c.stripes.mine();
      else return c;
    }();
    if constexpr (kSum)
      place.value.fetch_add(v, std::memory_order_relaxed);
    else
      place.value.store(v, std::memory_order_relaxed);
    // After the value: a collection that sees the flag cleared still takes the value.
    if (!c.touched.load(std::memory_order_relaxed)) c.touched.store(true, std::memory_order_relaxed);
    if (e && place.slot) [[unlikely]]
      return offer(place, v, a, e);
  }
  template <class Place>
  [[gnu::noinline]] void offer(Place& place, T v, const Given& a, const trace::SpanContext* e) noexcept {
    std::lock_guard guard(place.lock);
    try {
      place.slot->offer(v, *e, a.list, filter());
    } catch (...) {
      // Out of memory keeping a filtered attribute: the exemplar is lost, the measurement is not.
    }
  }

  void collect_exemplars(Cell& c, std::vector<Exemplar>& out) {
    const std::size_t n = c.stripes.size();
    for (std::size_t i = 0; i < n; ++i) c.stripes[i].lock.lock();
    collect_one_of(n, [&](std::size_t i) -> ExemplarSlot& { return *c.stripes[i].slot; }, out, delta());
    for (std::size_t i = 0; i < n; ++i) c.stripes[i].lock.unlock();
  }
};

// A histogram's bucket boundaries padded with +inf to a power of two, for a search of a fixed
// number of steps (unrolled) without branches on the comparisons, which a measurement cannot
// predict.
class BucketSearch {
 public:
  explicit BucketSearch(const std::vector<double>& b) {
    std::size_t size = kSmall;  // (the usual case: one fixed search)
    while (size < b.size() + 1) size *= 2;
    padded_ = b;
    padded_.resize(size, std::numeric_limits<double>::infinity());
  }
  /// The bucket of `d` (not NaN): how many boundaries are below it (an upper bound is inclusive).
  [[gnu::always_inline]] std::size_t bucket(double d) const noexcept {
    const double* a = padded_.data();
    std::size_t pos = 0;
    if (padded_.size() == kSmall) [[likely]] {
#pragma GCC unroll 4
      for (std::size_t step = kSmall / 2; step > 0; step /= 2) pos += a[pos + step - 1] < d ? step : 0;
    } else {
      for (std::size_t step = padded_.size() / 2; step > 0; step /= 2) pos += a[pos + step - 1] < d ? step : 0;
    }
    return pos + (a[pos] < d);
  }

 private:
  static constexpr std::size_t kSmall = 16;  // up to 15 boundaries (the default's and the HTTP conventions')
  std::vector<double> padded_;
};

template <class T>
class HistogramStorage final : public TableStorage<HistogramStorage<T>, T, HistogramCell> {
  using Base = TableStorage<HistogramStorage<T>, T, HistogramCell>;
  using Base::config_, Base::table_, Base::delta, Base::filter, Base::start_time, Base::last_collection_;

 public:
  HistogramStorage(StreamConfig c, std::size_t reader) : Base(std::move(c), reader), search_(config_.boundaries) {}

  void collect(std::vector<MetricData>& out, trace::TimePoint now) override {
    MetricData m = this->metric(MetricType::Histogram);
    const std::size_t n = config_.boundaries.size() + 1;
    table_.for_each([&](auto& s) {
      auto& stripes = s.cell.stripes;
      HistogramPoint p{s.key.attributes(), start_time(), now};
      p.boundaries = config_.boundaries;
      p.bucket_counts.resize(n);
      double min = std::numeric_limits<double>::infinity(), max = -min;
      for (std::size_t k = 0; k < stripes.size(); ++k) stripes[k].lock.lock();
      for (std::size_t k = 0; k < stripes.size(); ++k) {
        auto& c = stripes[k];
        p.count += c.count;
        p.sum += c.sum;
        min = std::min(min, c.min);
        max = std::max(max, c.max);
        for (std::size_t i = 0; i < n; ++i) p.bucket_counts[i] += c.counts[i];
      }
      if (p.count > 0 && config_.exemplars)
        for (std::size_t i = 0; i < n; ++i)
          collect_one_of(stripes.size(), [&](std::size_t k) -> ExemplarSlot& { return stripes[k].slots[i]; },
                         p.exemplars, delta());
      if (delta())
        for (std::size_t k = 0; k < stripes.size(); ++k) {
          auto& c = stripes[k];
          c.count = 0;
          c.sum = 0;
          c.min = std::numeric_limits<double>::infinity();
          c.max = -std::numeric_limits<double>::infinity();
          std::fill(c.counts.get(), c.counts.get() + n, 0);
        }
      for (std::size_t k = 0; k < stripes.size(); ++k) stripes[k].lock.unlock();
      if (p.count == 0) return;  // (a delta series without measurements since the last time)
      p.min = min;
      p.max = max;
      m.histograms.push_back(std::move(p));
    });
    last_collection_ = now;
    if (!m.histograms.empty()) out.push_back(std::move(m));
  }

  // A measurement into the series this thread last found, found again by its set's id (or its
  // list's compare), under a lock taken at once, goes without any call but tail calls, so no
  // register is saved; anything else goes the slow way.
  void add(T v, const Given& a, const trace::SpanContext* e) noexcept {
    if (a.set == 0) return add_list(v, a, e);
    return add_remembered(v, a, e);
  }

 private:
  using Stripe = HistogramCell::Stripe;

  [[gnu::noinline]] void add_list(T v, const Given& a, const trace::SpanContext* e) noexcept {
    return add_remembered(v, a, e);
  }
  [[gnu::always_inline]] void add_remembered(T v, const Given& a, const trace::SpanContext* e) noexcept {
    auto* s = table_.remembered(a);
    if (s == nullptr) [[unlikely]]
      return add_slow(v, a, e, nullptr);
    Stripe& c = s->cell.stripes.mine();
    const double d = static_cast<double>(v);
    const std::size_t i = search_.bucket(d);  // (before the lock: it is held for the stores only)
    if (!c.lock.try_lock()) [[unlikely]]
      return add_slow(v, a, e, s);
    update(c, d, i);
    if (e && c.slots) [[unlikely]]
      return offer_and_unlock(c, i, v, a, e);
    c.lock.unlock();
  }
  // `found`: the remembered series, whose stripe's lock was taken (this waits for it); nullptr:
  // none was remembered, and remembered() has already said so (it is not asked again).
  [[gnu::noinline]] void add_slow(T v, const Given& a, const trace::SpanContext* e,
                                  Series<HistogramCell>* found) noexcept {
    try {
      auto& series = found ? *found : table_.find_and_remember(a, config_.boundaries.size() + 1, config_.exemplars);
      Stripe& c = series.cell.stripes.mine();
      const double d = static_cast<double>(v);
      const std::size_t i = search_.bucket(d);
      std::lock_guard guard(c.lock);
      update(c, d, i);
      if (e && c.slots) c.slots[i].offer(v, *e, a.list, filter());
    } catch (...) {
      // Out of memory making a series: the measurement is lost, nothing else is.
    }
  }
  // Under the stripe's lock: counts `d`, of bucket `i`.
  [[gnu::always_inline]] static void update(Stripe& c, double d, std::size_t i) noexcept {
    ++c.count;
    c.sum += d;
    c.min = std::min(c.min, d);
    c.max = std::max(c.max, d);
    ++c.counts[i];
  }
  [[gnu::noinline]] void offer_and_unlock(Stripe& c, std::size_t i, T v, const Given& a,
                                          const trace::SpanContext* e) noexcept {
    try {
      c.slots[i].offer(v, *e, a.list, filter());
    } catch (...) {
      // Out of memory keeping a filtered attribute: the exemplar is lost, the measurement is not.
    }
    c.lock.unlock();
  }

  BucketSearch search_;
};

// An observable instrument's stream: written only by its callbacks, during a collection.
template <class T, Aggregation A>
class ObservedStorage final : public TableStorage<ObservedStorage<T, A>, T, ObservedCell<T>> {
  using Base = TableStorage<ObservedStorage<T, A>, T, ObservedCell<T>>;
  using Base::table_, Base::delta, Base::start_time, Base::last_collection_;

 public:
  using Base::Base;
  void add(T, const Given&, const trace::SpanContext*) noexcept {}  // (no synchronous measurement)
  void observe(std::int64_t v, AttributeList a) noexcept override { set(static_cast<T>(v), a); }
  void observe(double v, AttributeList a) noexcept override { set(static_cast<T>(v), a); }

  void collect(std::vector<MetricData>& out, trace::TimePoint now) override {
    MetricData m = this->metric(A == Aggregation::Sum ? MetricType::Sum : MetricType::Gauge);
    table_.for_each([&](auto& s) {
      ObservedCell<T>& c = s.cell;
      if (!c.observed) return;  // not reported by this collection's callbacks
      T v = c.value;
      if (A == Aggregation::Sum && delta()) v -= c.reported_before ? c.reported : T{};
      c.reported = c.value;
      c.reported_before = true;
      c.observed = false;
      if (table_.is_overflow(s)) c.value = T{};
      m.numbers.push_back({s.key.attributes(), start_time(), now, v, {}});
    });
    last_collection_ = now;
    if (!m.numbers.empty()) out.push_back(std::move(m));
  }

 private:
  void set(T v, AttributeList a) noexcept {
    try {
      auto& s = table_.find(Given{a}, false);
      // Several sets beyond the limit share the overflow series: their sum is its value.
      s.cell.value = A == Aggregation::Sum && table_.is_overflow(s) ? s.cell.value + v : v;
      s.cell.observed = true;
    } catch (...) {
    }
  }
};

template <class T>
std::unique_ptr<Storage> make_typed(StreamConfig config, std::size_t reader) {
  const bool observable = is_observable(config.kind);
  switch (config.aggregation) {
    case Aggregation::Sum:
      if (observable) return std::make_unique<ObservedStorage<T, Aggregation::Sum>>(std::move(config), reader);
      return std::make_unique<NumberStorage<T, Aggregation::Sum>>(std::move(config), reader);
    case Aggregation::LastValue:
      if (observable) return std::make_unique<ObservedStorage<T, Aggregation::LastValue>>(std::move(config), reader);
      return std::make_unique<NumberStorage<T, Aggregation::LastValue>>(std::move(config), reader);
    case Aggregation::Histogram:
      return std::make_unique<HistogramStorage<T>>(std::move(config), reader);
  }
  return nullptr;
}

}  // namespace

std::unique_ptr<Storage> make_storage(StreamConfig config, std::size_t reader) {
  return config.is_double ? make_typed<double>(std::move(config), reader)
                          : make_typed<std::int64_t>(std::move(config), reader);
}

}  // namespace tracehop::metrics::detail
