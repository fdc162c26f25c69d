#pragma once
// OTLP/JSON: finished spans as one ExportTraceServiceRequest on a single line, a collection of
// metrics as one ExportMetricsServiceRequest (the OpenTelemetry Collector's file-exporter format:
// lowercase hex ids, enums as integers, 64-bit integers as strings), and exporters that append
// such lines to a file. In the protobuf-free library tracehop::otlp_json (`--spans-out` and
// `--metrics-out` need no gRPC).

#include <chrono>
#include <fstream>
#include <iosfwd>
#include <mutex>
#include <span>
#include <string>

#include "tracehop/metrics/exporter.hpp"
#include "tracehop/trace/exporter.hpp"

namespace tracehop::otlp {

/// One OTLP/JSON ExportTraceServiceRequest, spans grouped by resource and instrumentation scope
/// (first-seen order), as the protobuf encoding groups them.
std::string to_otlp_json(std::span<const trace::SpanDataPtr> spans);

/// Appends one to_otlp_json line per export call to a file (or a stream), flushed each time.
class OtlpJsonFileExporter final : public trace::SpanExporter {
 public:
  /// Opens `path` for appending; throws std::system_error if it cannot be opened. "-" means
  /// standard output.
  explicit OtlpJsonFileExporter(const std::string& path);
  explicit OtlpJsonFileExporter(std::ostream& out);
  trace::ExportResult export_spans(std::span<const trace::SpanDataPtr> spans) noexcept override;
  bool force_flush(std::chrono::milliseconds timeout) noexcept override;
  bool shutdown(std::chrono::milliseconds timeout) noexcept override;

 private:
  std::ofstream file_;
  std::ostream* out_;
  bool shut_down_ = false;
};

/// One OTLP/JSON ExportMetricsServiceRequest: the collection's resource, its scopes, metrics and
/// points (exemplars with their trace and span ids).
std::string to_otlp_json(const metrics::ResourceMetrics& metrics);

/// Appends one to_otlp_json line per collection (an empty one is skipped) to a file (or a
/// stream), flushed each time; thread-safe.
class OtlpJsonMetricsFileExporter final : public metrics::MetricExporter {
 public:
  /// Opens `path` for appending; throws std::system_error if it cannot be opened. "-" means
  /// standard output.
  explicit OtlpJsonMetricsFileExporter(const std::string& path,
                                       metrics::TemporalitySelector preference = metrics::cumulative_temporality);
  explicit OtlpJsonMetricsFileExporter(std::ostream& out,
                                       metrics::TemporalitySelector preference = metrics::cumulative_temporality);
  metrics::ExportResult export_metrics(const metrics::ResourceMetrics& metrics) noexcept override;
  metrics::TemporalitySelector temporality() const noexcept override { return temporality_; }
  bool shutdown(std::chrono::milliseconds timeout) noexcept override;

 private:
  std::mutex mutex_;
  std::ofstream file_;
  std::ostream* out_;
  metrics::TemporalitySelector temporality_;
  bool shut_down_ = false;
};

}  // namespace tracehop::otlp
