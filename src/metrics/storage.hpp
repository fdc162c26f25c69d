#pragma once
// A metric stream's storage (internal): what one view (or the default) makes of one instrument
// for one reader. The instrument records into each of its storages; the reader collects its own.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "attribute_set.hpp"
#include "tracehop/metrics/data.hpp"
#include "tracehop/metrics/meter.hpp"

namespace tracehop::metrics::detail {

enum class Aggregation : std::uint8_t { Sum, LastValue, Histogram };

/// An instrument as it was made.
struct InstrumentDescriptor {
  std::string name;
  InstrumentKind kind = InstrumentKind::Counter;
  bool is_double = false;
  std::string unit;
  std::string description;
  std::vector<double> advice;  // bucket boundaries, validated
};

struct StreamConfig {
  std::string name;
  std::string description;
  std::string unit;
  InstrumentKind kind = InstrumentKind::Counter;
  bool is_double = false;
  Aggregation aggregation = Aggregation::Sum;
  std::vector<double> boundaries;  // histograms
  std::optional<KeyFilter> filter;
  std::size_t cardinality_limit = 2000;
  Temporality temporality = Temporality::Cumulative;
  bool exemplars = true;  // the provider's filter is not always_off
};

inline bool is_observable(InstrumentKind k) noexcept {
  return k == InstrumentKind::ObservableCounter || k == InstrumentKind::ObservableUpDownCounter ||
         k == InstrumentKind::ObservableGauge;
}
inline bool is_monotonic(InstrumentKind k) noexcept {
  return k == InstrumentKind::Counter || k == InstrumentKind::ObservableCounter;
}

class Storage {
 public:
  explicit Storage(StreamConfig config, std::size_t reader);
  virtual ~Storage() = default;

  /// A synchronous measurement; `exemplar` is the context to keep with it, or nullptr.
  virtual void record(std::int64_t value, const Given& attributes, const trace::SpanContext* exemplar) noexcept = 0;
  virtual void record(double value, const Given& attributes, const trace::SpanContext* exemplar) noexcept = 0;
  /// An observable instrument's value now (during a collection).
  virtual void observe(std::int64_t, AttributeList) noexcept {}
  virtual void observe(double, AttributeList) noexcept {}
  /// Appends the stream's metric to `out` when it has points.
  virtual void collect(std::vector<MetricData>& out, trace::TimePoint now) = 0;

  const StreamConfig& config() const noexcept { return config_; }
  std::size_t reader() const noexcept { return reader_; }

 protected:
  MetricData metric(MetricType type) const;
  const KeyFilter* filter() const noexcept { return config_.filter ? &*config_.filter : nullptr; }
  bool delta() const noexcept { return config_.temporality == Temporality::Delta; }
  /// The point's start: the stream's for cumulative, the last collection's for delta.
  trace::TimePoint start_time() const noexcept { return delta() ? last_collection_ : created_; }

  StreamConfig config_;
  std::size_t reader_;
  trace::TimePoint created_;
  trace::TimePoint last_collection_;
};

std::unique_ptr<Storage> make_storage(StreamConfig config, std::size_t reader);

/// The specification's default explicit-bucket boundaries.
const std::vector<double>& default_boundaries();

}  // namespace tracehop::metrics::detail
