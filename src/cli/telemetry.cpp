#include "telemetry.hpp"

#include "tracehop/otlp/exporter.hpp"  // registers OTEL_TRACES_EXPORTER=otlp
#include "tracehop/otlp/json.hpp"
#include "tracehop/configure.hpp"
#include "tracehop/trace/propagation.hpp"
#include "tracehop/trace/span_processor.hpp"

namespace tracehop::cli {

std::shared_ptr<trace::SpanProcessor> spans_out_processor(const std::string& path) {
  return std::make_shared<trace::BatchSpanProcessor>(std::make_unique<otlp::OtlpJsonFileExporter>(path));
}

Telemetry::Telemetry(const TelemetryOptions& options) {
  ProviderOverrides overrides;
  overrides.exporters = options.exporters;
  overrides.sampler = options.sampler;
  if (!options.service_name.empty())
    overrides.resource = trace::Resource(trace::Attributes{trace::KeyValue{"service.name", options.service_name}});
  trace::set_global_propagator(trace::propagator_from_env());
  provider_ = provider_from_env(overrides);
  if (provider_ && !options.spans_out.empty()) provider_->add_span_processor(spans_out_processor(options.spans_out));
  trace::set_tracer_provider(provider_);
}

Telemetry::~Telemetry() { shutdown(); }

void Telemetry::shutdown() noexcept {
  if (!provider_) return;
  provider_->shutdown();
  trace::set_tracer_provider(nullptr);
  provider_.reset();
}

}  // namespace tracehop::cli
