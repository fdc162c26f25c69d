#pragma once
// The telemetry set-up every command shares: a tracer and a meter provider configured from the
// OpenTelemetry environment variables with the command's own flags on top, the --spans-out and
// --metrics-out files, and the flush at exit.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tracehop/metrics/meter.hpp"
#include "tracehop/metrics/sdk_metrics.hpp"
#include "tracehop/prometheus/reader.hpp"
#include "tracehop/trace/exporter.hpp"
#include "tracehop/trace/sampler.hpp"
#include "tracehop/trace/span_processor.hpp"
#include "tracehop/trace/tracer.hpp"

namespace tracehop::cli {

struct TelemetryOptions {
  /// service.name; empty: OTEL_SERVICE_NAME (or the SDK default).
  std::string service_name;
  /// Replaces OTEL_TRACES_EXPORTER. Unset: OTEL_TRACES_EXPORTER's, or the default (otlp) when an
  /// OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT is set, else none.
  std::optional<std::string> exporters;
  /// Replaces OTEL_TRACES_SAMPLER.
  trace::SamplerPtr sampler;
  /// Every finished span as OTLP/JSON lines to this file ("-": standard output).
  std::string spans_out;
  /// The metrics as OTLP/JSON lines to this file ("-": standard output): a collection every
  /// OTEL_METRIC_EXPORT_INTERVAL (60 s) and a last one at exit.
  std::string metrics_out;
  /// Serve the metrics to Prometheus (`GET /metrics`) at this host and port (0: any free one).
  std::optional<prometheus::ReaderOptions> prometheus;
};

/// Opens `path` for OTLP/JSON lines behind a batch processor; throws std::system_error if the
/// file cannot be opened.
std::shared_ptr<trace::SpanProcessor> spans_out_processor(const std::string& path);

/// A reader that appends OTLP/JSON metrics lines to `path` (periodic, and at shutdown); throws
/// std::system_error if the file cannot be opened.
std::shared_ptr<metrics::MetricReader> metrics_out_reader(const std::string& path);

/// The readers for the environment's metrics exporters: OTEL_METRICS_EXPORTER's, or otlp when an
/// OTLP endpoint is set, else none (as for spans: no collector is waited for unless asked for).
/// Without `serving`, those that serve scrapes on a port (prometheus) are left out: for a second
/// service in one process, which cannot have the port too.
std::vector<std::shared_ptr<metrics::MetricReader>> command_metric_readers(bool serving = true);

/// Providers for one command, installed as the global ones, with the global propagator from
/// OTEL_PROPAGATORS. The meter provider only when a reader wants its metrics (OTEL_METRICS_EXPORTER,
/// --metrics-out): otherwise nothing is measured. Flushes and shuts down (once) on shutdown() or
/// destruction.
class Telemetry {
 public:
  explicit Telemetry(const TelemetryOptions& options);
  ~Telemetry();
  Telemetry(const Telemetry&) = delete;
  Telemetry& operator=(const Telemetry&) = delete;

  /// nullptr when OTEL_SDK_DISABLED=true.
  const std::shared_ptr<trace::TracerProvider>& provider() const noexcept { return provider_; }
  void shutdown() noexcept;
  /// Where Prometheus scrapes (TelemetryOptions::prometheus), or "".
  std::string prometheus_url() const;

  /// The batch processors' figures (the exporters' and --spans-out's), added up; after
  /// shutdown(), final. nullopt when no span goes to any exporter.
  std::optional<trace::BatchSpanProcessor::Stats> export_stats() const noexcept;

 private:
  std::shared_ptr<trace::TracerProvider> provider_;
  std::shared_ptr<metrics::MeterProvider> meters_;
  std::shared_ptr<prometheus::PrometheusReader> prometheus_;
  std::vector<metrics::SpanProcessorMetrics> processor_metrics_;
  std::vector<std::shared_ptr<trace::SpanProcessor>> exporting_;  // kept after shutdown, for their figures
};

}  // namespace tracehop::cli
