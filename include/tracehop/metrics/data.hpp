#pragma once
// What a collection produces and an exporter receives: plain values, grouped as OTLP groups
// them (resource, then instrumentation scope, then metric, then points).

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "tracehop/metrics/instrument.hpp"
#include "tracehop/trace/tracer.hpp"

namespace tracehop::metrics {

/// OTLP's AggregationTemporality numbers.
enum class Temporality : std::uint8_t { Delta = 1, Cumulative = 2 };

/// A sampled measurement kept beside a point: what connects a bucket to its trace.
struct Exemplar {
  /// The measurement's attributes that the point's do not have (a view kept only some keys).
  trace::Attributes filtered_attributes;
  trace::TimePoint time;
  std::variant<std::int64_t, double> value;
  /// Both invalid (all zero) when the measurement was made outside a span.
  trace::TraceId trace_id;
  trace::SpanId span_id;
};

/// A sum's or a gauge's point.
struct NumberPoint {
  trace::Attributes attributes;
  trace::TimePoint start_time;
  trace::TimePoint time;
  std::variant<std::int64_t, double> value;
  std::vector<Exemplar> exemplars;
};

/// An explicit-bucket histogram's point: bucket i counts the values in
/// (boundaries[i-1], boundaries[i]], the last one those above the last boundary.
struct HistogramPoint {
  trace::Attributes attributes;
  trace::TimePoint start_time;
  trace::TimePoint time;
  std::uint64_t count = 0;
  double sum = 0;
  std::optional<double> min;
  std::optional<double> max;
  std::vector<double> boundaries;
  std::vector<std::uint64_t> bucket_counts;
  std::vector<Exemplar> exemplars;
};

enum class MetricType : std::uint8_t { Sum, Gauge, Histogram };

struct MetricData {
  std::string name;
  std::string description;
  std::string unit;
  MetricType type = MetricType::Sum;
  /// Sums and histograms (a gauge has none).
  Temporality temporality = Temporality::Cumulative;
  /// Sums: a counter's (it only goes up).
  bool monotonic = false;
  /// Sums and gauges.
  std::vector<NumberPoint> numbers;
  /// Histograms.
  std::vector<HistogramPoint> histograms;
};

struct ScopeMetrics {
  trace::InstrumentationScope scope;
  std::vector<MetricData> metrics;
};

struct ResourceMetrics {
  trace::Resource resource;
  std::vector<ScopeMetrics> scopes;
};

}  // namespace tracehop::metrics
