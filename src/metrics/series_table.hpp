#pragma once
// One stream's series (internal): found by their attributes without a lock, added under one;
// a thread's last series a table found first, by a compare alone.
// An open-addressing table of pointers, at most half full, read with acquire loads; a series is
// written whole before it is published, and never moves or goes away while the stream lives.
// A grown table replaces the old one, which stays allocated for a reader still probing it. At
// the cardinality limit, new attribute sets go to the overflow series (otel.metric.overflow).

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "attribute_set.hpp"
#include "tracehop/log.hpp"

namespace tracehop::metrics::detail {

template <class Cell>
struct Series {
  template <class... A>
  Series(std::uint64_t h, AttributeList normalized, A&&... a)
      : hash(h), key(normalized), cell(std::forward<A>(a)...) {}
  std::uint64_t hash;
  SeriesKey key;
  Cell cell;
};

/// The series a thread last found in a table, for a few tables: a measurement that repeats its
/// attribute set in the same order (one call site, the usual case) skips the hash and the probe,
/// and one that repeats its AttributeSet compares nothing. A slot names its table, and the set,
/// by ids never reused, so one left by a table or a set that is gone is never taken for
/// another's; a table's series live as long as it does.
struct LastSeries {
  std::uint64_t table = 0;
  std::uint64_t set = 0;  // 0: found for a list
  const void* series = nullptr;
};
inline constexpr std::size_t kLastSeriesSlots = 16;
extern constinit thread_local LastSeries last_series[kLastSeriesSlots];
std::uint64_t next_table_id() noexcept;  // from 1

template <class Cell>
class SeriesTable {
 public:
  using Entry = Series<Cell>;

  /// `limit`: series including the overflow one (at least 2). `name`: the stream's, for the log.
  SeriesTable(std::size_t limit, const KeyFilter* filter, std::string name)
      : limit_(limit < 2 ? 2 : limit), filter_(filter), name_(std::move(name)), id_(next_table_id()) {
    tables_.push_back(std::make_unique<Table>(8));
    table_.store(tables_.back().get(), std::memory_order_release);
  }

  /// The series of `given`, its cell made from `cell_args` if new. Throws only what making
  /// one throws.
  template <class... A>
  Entry& find(const Given& given, const A&... cell_args) {
    if (Entry* s = remembered(given)) return *s;
    return find_and_remember(given, cell_args...);
  }

  /// The series this thread last found here, if it is the one of `given`: find()'s fast half.
  Entry* remembered(const Given& given) const noexcept {
    const LastSeries& last = last_series[id_ % kLastSeriesSlots];
    if (last.table != id_) return nullptr;
    auto* s = static_cast<Entry*>(const_cast<void*>(last.series));
    if (given.set != 0 ? last.set == given.set : filter_ == nullptr && s->key.matches_in_order(given.list)) return s;
    return nullptr;
  }
  /// find()'s slow half: looks the series up (adding it if new) and remembers it.
  template <class... A>
  [[gnu::noinline]] Entry& find_and_remember(const Given& given, const A&... cell_args) {
    Entry& found = lookup(given, cell_args...);
    last_series[id_ % kLastSeriesSlots] = {id_, given.set, &found};
    return found;
  }

  bool is_overflow(const Entry& e) const noexcept { return &e == overflow_.load(std::memory_order_relaxed); }

  /// Calls f(Entry&) for every series (the overflow one last), holding the lock that adding
  /// takes: recording into existing series goes on meanwhile.
  template <class F>
  void for_each(F&& f) {
    std::lock_guard lock(mutex_);
    for (auto& s : series_) f(*s);
    if (overflow_owner_) f(*overflow_owner_);
  }

 private:
  struct Table {
    explicit Table(std::size_t capacity)
        : mask(capacity - 1), slots(std::make_unique<std::atomic<Entry*>[]>(capacity)) {}
    std::size_t mask;
    std::unique_ptr<std::atomic<Entry*>[]> slots;
  };

  template <class... A>
  Entry& lookup(const Given& g, const A&... cell_args) {
    const AttributeList given = g.list;
    const std::uint64_t h = g.set != 0 && filter_ == nullptr ? g.hash : hash_set(given, filter_);
    const Table* t = table_.load(std::memory_order_acquire);
    for (std::size_t i = h & t->mask;; i = (i + 1) & t->mask) {
      Entry* s = t->slots[i].load(std::memory_order_acquire);
      if (s == nullptr) break;
      if (s->hash == h && s->key.matches(given, filter_)) return *s;
    }
    // Full: a set not found is a new one (or repeats a key, which is not worth a lock here).
    if (Entry* o = overflow_.load(std::memory_order_acquire)) return *o;
    return add(given, cell_args...);
  }

  template <class... A>
  Entry& add(AttributeList given, const A&... cell_args) {
    std::lock_guard lock(mutex_);
    const std::vector<Attribute> attrs = normalize(given, filter_);
    const std::uint64_t h = hash_set(attrs, nullptr);
    Table* t = tables_.back().get();
    for (std::size_t i = h & t->mask;; i = (i + 1) & t->mask) {
      Entry* s = t->slots[i].load(std::memory_order_relaxed);
      if (s == nullptr) break;
      if (s->hash == h && s->key.matches(attrs, nullptr)) return *s;  // added meanwhile, or repeated keys
    }
    if (series_.size() + 1 >= limit_) return overflow(cell_args...);
    series_.push_back(std::make_unique<Entry>(h, attrs, cell_args...));
    Entry* added = series_.back().get();
    if (2 * series_.size() > t->mask + 1) {
      tables_.push_back(std::make_unique<Table>(2 * (t->mask + 1)));
      t = tables_.back().get();
      for (auto& s : series_) insert(*t, s.get(), std::memory_order_relaxed);
      table_.store(t, std::memory_order_release);  // publishes the table and every series in it
    } else {
      insert(*t, added, std::memory_order_release);
    }
    return *added;
  }

  static void insert(Table& t, Entry* s, std::memory_order order) {
    std::size_t i = s->hash & t.mask;
    while (t.slots[i].load(std::memory_order_relaxed) != nullptr) i = (i + 1) & t.mask;
    t.slots[i].store(s, order);
  }

  template <class... A>
  Entry& overflow(const A&... cell_args) {
    if (!overflow_owner_) {
      static constexpr Attribute kOverflow[] = {{"otel.metric.overflow", true}};
      overflow_owner_ = std::make_unique<Entry>(0, kOverflow, cell_args...);
      overflow_.store(overflow_owner_.get(), std::memory_order_release);
      log_warn("metric stream '" + name_ + "' reached its cardinality limit of " + std::to_string(limit_) +
               " series: new attribute sets are aggregated into otel.metric.overflow=true");
    }
    return *overflow_owner_;
  }

  std::atomic<const Table*> table_{nullptr};
  std::mutex mutex_;  // guards what follows
  std::vector<std::unique_ptr<Table>> tables_;  // the current one last
  std::vector<std::unique_ptr<Entry>> series_;
  std::unique_ptr<Entry> overflow_owner_;
  std::atomic<Entry*> overflow_{nullptr};  // set once full
  const std::size_t limit_;
  const KeyFilter* filter_;
  const std::string name_;
  const std::uint64_t id_;
};

}  // namespace tracehop::metrics::detail
