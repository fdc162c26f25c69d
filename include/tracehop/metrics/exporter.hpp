#pragma once
// MetricExporter: where collected metrics go; the console and in-memory exporters. (OTLP: the
// tracehop::otlp library.)

#include <chrono>
#include <iosfwd>
#include <mutex>
#include <vector>

#include "tracehop/metrics/data.hpp"
#include "tracehop/trace/exporter.hpp"

namespace tracehop::metrics {

using trace::ExportResult;

/// Which temporality a reader asks for, by instrument kind.
using TemporalitySelector = Temporality (*)(InstrumentKind) noexcept;
/// Every kind cumulative (Prometheus' way; the default).
Temporality cumulative_temporality(InstrumentKind) noexcept;
/// The specification's "delta" preference: counters and histograms (synchronous or not) delta,
/// up-down counters cumulative.
Temporality delta_temporality(InstrumentKind) noexcept;
/// "lowmemory": synchronous counters and histograms delta, everything else cumulative.
Temporality low_memory_temporality(InstrumentKind) noexcept;
/// OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE (cumulative, delta, lowmemory; case-
/// insensitive). Unset: cumulative; anything else is logged and cumulative.
TemporalitySelector temporality_from_env();

/// A reader never calls one exporter concurrently. An exporter bounds each export's time itself
/// and never throws.
class MetricExporter {
 public:
  virtual ~MetricExporter() = default;
  virtual ExportResult export_metrics(const ResourceMetrics& metrics) noexcept = 0;
  /// The temporality this exporter wants, which its reader collects.
  virtual TemporalitySelector temporality() const noexcept { return cumulative_temporality; }
  virtual bool force_flush(std::chrono::milliseconds /*timeout*/) noexcept { return true; }
  /// Told before the last export at shutdown: an exporter that retries may stop retrying (the
  /// OTLP ones make one attempt), so that a receiver that is down does not hold up the exit.
  virtual void before_last_export() noexcept {}
  /// After shutdown every export fails.
  virtual bool shutdown(std::chrono::milliseconds timeout) noexcept = 0;
};

/// Writes each collection readably: a block a metric, a line a point (histograms with their
/// buckets and exemplars' trace ids).
class ConsoleMetricExporter final : public MetricExporter {
 public:
  /// Writes to std::cout.
  ConsoleMetricExporter();
  explicit ConsoleMetricExporter(std::ostream& out, TemporalitySelector preference = cumulative_temporality);
  ExportResult export_metrics(const ResourceMetrics& metrics) noexcept override;
  TemporalitySelector temporality() const noexcept override { return temporality_; }
  bool shutdown(std::chrono::milliseconds timeout) noexcept override;

 private:
  std::ostream* out_;
  TemporalitySelector temporality_;
  bool shut_down_ = false;
};

/// Keeps every collection it is given, for tests and for programs that read their own metrics.
class InMemoryMetricExporter final : public MetricExporter {
 public:
  explicit InMemoryMetricExporter(TemporalitySelector preference = cumulative_temporality)
      : temporality_(preference) {}
  ExportResult export_metrics(const ResourceMetrics& metrics) noexcept override;
  TemporalitySelector temporality() const noexcept override { return temporality_; }
  bool shutdown(std::chrono::milliseconds timeout) noexcept override;

  std::vector<ResourceMetrics> collections() const;
  void clear();

 private:
  TemporalitySelector temporality_;
  mutable std::mutex mutex_;
  std::vector<ResourceMetrics> collections_;
  bool shut_down_ = false;
};

}  // namespace tracehop::metrics
