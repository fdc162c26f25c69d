#include "telemetry.hpp"

#include "common/env.hpp"
#include "common/text.hpp"
#include "tracehop/otlp/exporter.hpp"  // registers OTEL_TRACES_EXPORTER=otlp
#include "tracehop/otlp/json.hpp"
#include "tracehop/prometheus/reader.hpp"  // registers OTEL_METRICS_EXPORTER=prometheus
#include "tracehop/configure.hpp"
#include "tracehop/trace/propagation.hpp"
#include "tracehop/trace/span_processor.hpp"

namespace tracehop::cli {

std::shared_ptr<trace::SpanProcessor> spans_out_processor(const std::string& path) {
  return std::make_shared<trace::BatchSpanProcessor>(std::make_unique<otlp::OtlpJsonFileExporter>(path));
}

std::shared_ptr<metrics::MetricReader> metrics_out_reader(const std::string& path) {
  return std::make_shared<metrics::PeriodicExportingMetricReader>(
      std::make_unique<otlp::OtlpJsonMetricsFileExporter>(path, metrics::temporality_from_env()));
}

std::vector<std::shared_ptr<metrics::MetricReader>> command_metric_readers(bool serving) {
  using tracehop::detail::env;
  const auto named = env("OTEL_METRICS_EXPORTER");
  const bool asked = named || env("OTEL_EXPORTER_OTLP_ENDPOINT") || env("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT");
  if (!asked) return metric_readers_from_env("none");
  if (serving || !named) return metric_readers_from_env();
  std::string kept;
  for (const auto& name : tracehop::detail::split_list(*named))
    if (tracehop::detail::ascii_lower(name) != "prometheus") kept += (kept.empty() ? "" : ",") + name;
  return metric_readers_from_env(kept.empty() ? "none" : kept);
}

namespace {

// As command-line tracing tools (otel-cli) do: OTLP only when asked for, by an exporter named or
// an endpoint given, so that a command run with no collector around neither waits for one at
// exit nor complains about it.
std::optional<std::string> default_exporters() {
  using tracehop::detail::env;
  if (env("OTEL_TRACES_EXPORTER") || env("OTEL_EXPORTER_OTLP_ENDPOINT") || env("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"))
    return std::nullopt;  // the environment's choice (an endpoint alone: the default, otlp)
  return "none";
}

}  // namespace

Telemetry::Telemetry(const TelemetryOptions& options) {
  ProviderOverrides overrides;
  overrides.exporters = "none";  // the exporters' processors are added below, and kept
  overrides.sampler = options.sampler;
  if (!options.service_name.empty())
    overrides.resource = trace::Resource(trace::Attributes{trace::KeyValue{"service.name", options.service_name}});
  trace::set_global_propagator(trace::propagator_from_env());
  provider_ = provider_from_env(overrides);
  if (provider_) {
    exporting_ = span_processors_from_env(options.exporters ? options.exporters : default_exporters());
    if (!options.spans_out.empty()) exporting_.push_back(spans_out_processor(options.spans_out));
    for (const auto& processor : exporting_) provider_->add_span_processor(processor);
  }
  trace::set_tracer_provider(provider_);

  overrides.metrics_exporters = "none";
  overrides.metric_readers = command_metric_readers();
  if (!options.metrics_out.empty()) overrides.metric_readers.push_back(metrics_out_reader(options.metrics_out));
  if (options.prometheus) {
    prometheus_ = std::make_shared<prometheus::PrometheusReader>(*options.prometheus);
    overrides.metric_readers.push_back(prometheus_);
  }
  if (!overrides.metric_readers.empty()) meters_ = meter_provider_from_env(overrides);
  metrics::set_meter_provider(meters_);
  if (meters_) processor_metrics_ = observe_batch_processors(meters_->get_meter("tracehop.sdk", TRACEHOP_VERSION), exporting_);
}

std::optional<trace::BatchSpanProcessor::Stats> Telemetry::export_stats() const noexcept {
  std::optional<trace::BatchSpanProcessor::Stats> sum;
  for (const auto& processor : exporting_) {
    const auto* batch = dynamic_cast<const trace::BatchSpanProcessor*>(processor.get());
    if (!batch) continue;
    const auto s = batch->stats();
    if (!sum) sum.emplace();
    sum->queued += s.queued;
    sum->dropped_queue_full += s.dropped_queue_full;
    sum->dropped_after_shutdown += s.dropped_after_shutdown;
    sum->exported += s.exported;
    sum->export_failed += s.export_failed;
    sum->dropped_shutdown_timeout += s.dropped_shutdown_timeout;
  }
  return sum;
}

Telemetry::~Telemetry() { shutdown(); }

std::string Telemetry::prometheus_url() const { return prometheus_ ? prometheus_->url() : ""; }

void Telemetry::shutdown() noexcept {
  if (meters_) {
    if (provider_) provider_->force_flush();  // (the processors' figures in the last collection are final)
    meters_->shutdown();  // the last collection of every reader
    metrics::set_meter_provider(nullptr);
    meters_.reset();
  }
  if (!provider_) return;
  provider_->shutdown();
  trace::set_tracer_provider(nullptr);
  provider_.reset();
}

}  // namespace tracehop::cli
