#pragma once
// One call that wires the SDK, both signals, from the OpenTelemetry environment variables (in
// tracehop::metrics, the layer that sees both).

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tracehop/metrics/meter.hpp"
#include "tracehop/metrics/sdk_metrics.hpp"
#include "tracehop/trace/exporter.hpp"
#include "tracehop/trace/span_processor.hpp"
#include "tracehop/trace/tracer.hpp"

namespace tracehop {

/// Makes the exporter named `name` in OTEL_TRACES_EXPORTER. Other layers register theirs
/// (tracehop::otlp registers "otlp").
using SpanExporterFactory = std::function<std::unique_ptr<trace::SpanExporter>()>;
void register_span_exporter(std::string name, SpanExporterFactory factory);

/// Makes the exporter named `name` in OTEL_METRICS_EXPORTER (tracehop::otlp registers "otlp").
using MetricExporterFactory = std::function<std::unique_ptr<metrics::MetricExporter>()>;
void register_metric_exporter(std::string name, MetricExporterFactory factory);
/// The metric exporter named `name` (console, or a registered name); nullptr if there is none.
std::unique_ptr<metrics::MetricExporter> make_metric_exporter(std::string_view name);
/// A pull reader for OTEL_METRICS_EXPORTER (tracehop::prometheus registers "prometheus"): a name
/// registered so is made by its factory instead of an exporter behind a periodic reader.
using MetricReaderFactory = std::function<std::shared_ptr<metrics::MetricReader>()>;
void register_metric_reader(std::string name, MetricReaderFactory factory);

/// What a program sets itself (a command-line flag, say), replacing the environment variable.
struct ProviderOverrides {
  /// Replaces OTEL_TRACES_EXPORTER ("console", "otlp", "none", a comma-separated list).
  std::optional<std::string> exporters;
  /// Merged over the environment's resource (service.name here wins over OTEL_SERVICE_NAME).
  std::optional<trace::Resource> resource;
  /// Replaces OTEL_TRACES_SAMPLER(_ARG).
  trace::SamplerPtr sampler;
  /// Added after the exporters' processors (say, a processor that enriches or filters spans).
  std::vector<std::shared_ptr<trace::SpanProcessor>> processors;
  /// Replaces OTEL_METRICS_EXPORTER ("console", "otlp", "none", a comma-separated list).
  std::optional<std::string> metrics_exporters;
  /// Added after the exporters' readers (say, a file's, or a pull reader for a scrape).
  std::vector<std::shared_ptr<metrics::MetricReader>> metric_readers;
  /// Views of the meter provider.
  std::vector<metrics::View> views;
};

/// A tracer provider as configure_from_env() makes it, with `overrides` applied; installs
/// nothing global. nullptr when OTEL_SDK_DISABLED=true.
std::shared_ptr<trace::TracerProvider> provider_from_env(const ProviderOverrides& overrides);

/// The processors for OTEL_TRACES_EXPORTER (or `exporters`, which replaces it; unset and
/// unconfigured: otlp): a SimpleSpanProcessor for console, which shows each span as it ends, a
/// BatchSpanProcessor (OTEL_BSP_*) for every other exporter. A name that is not available is
/// logged and left out.
std::vector<std::shared_ptr<trace::SpanProcessor>> span_processors_from_env(
    const std::optional<std::string>& exporters = std::nullopt);

/// The exporter named `name` (console, or a registered name such as otlp); nullptr if there is
/// none of that name in this build.
std::unique_ptr<trace::SpanExporter> make_span_exporter(std::string_view name);

/// The readers for OTEL_METRICS_EXPORTER (or `exporters`, which replaces it; unset: otlp): a
/// PeriodicExportingMetricReader (OTEL_METRIC_EXPORT_INTERVAL / _TIMEOUT) for each exporter. A
/// name that is not available is logged and left out.
std::vector<std::shared_ptr<metrics::MetricReader>> metric_readers_from_env(
    const std::optional<std::string>& exporters = std::nullopt);

/// A meter provider as configure_from_env() makes it (resource as the tracer provider's, the
/// exemplar filter from OTEL_METRICS_EXEMPLAR_FILTER, readers as metric_readers_from_env, then
/// `overrides.metric_readers`); installs nothing global. nullptr when OTEL_SDK_DISABLED=true.
std::shared_ptr<metrics::MeterProvider> meter_provider_from_env(const ProviderOverrides& overrides);

/// Observes each BatchSpanProcessor among `processors` (see metrics/sdk_metrics.hpp), named
/// batching_span_processor/0, /1, ... in their order.
std::vector<metrics::SpanProcessorMetrics> observe_batch_processors(
    const metrics::Meter& meter, const std::vector<std::shared_ptr<trace::SpanProcessor>>& processors);

/// Reads OTEL_SDK_DISABLED, OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES, OTEL_TRACES_SAMPLER(_ARG),
/// OTEL_SPAN_* / OTEL_ATTRIBUTE_* limits, OTEL_TRACES_EXPORTER (console, none, and registered
/// names; a comma-separated list), OTEL_BSP_*, OTEL_PROPAGATORS, and for metrics
/// OTEL_METRICS_EXPORTER, OTEL_METRIC_EXPORT_*, OTEL_METRICS_EXEMPLAR_FILTER; installs the global
/// tracer provider (processors as span_processors_from_env, then `overrides.processors`), the
/// global meter provider (meter_provider_from_env) and the global propagator; the exporters'
/// batch processors report their figures as metrics (observe_batch_processors, meter
/// "tracehop.sdk"). What `overrides`
/// sets replaces its variable. Returns the tracer provider (the meter provider is
/// metrics::meter_provider()), or nullptr when OTEL_SDK_DISABLED=true (then spans stay
/// non-recording and nothing is measured, but the propagator is still installed, so context
/// still flows through this process).
std::shared_ptr<trace::TracerProvider> configure_from_env(const ProviderOverrides& overrides = {});

}  // namespace tracehop
