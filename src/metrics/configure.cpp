// configure_from_env() and what it is made of, for both signals.

#include "tracehop/configure.hpp"

#include <map>
#include <mutex>

#include "common/env.hpp"
#include "common/text.hpp"
#include "tracehop/log.hpp"
#include "tracehop/metrics/sdk_metrics.hpp"
#include "tracehop/trace/propagation.hpp"

namespace tracehop {

namespace {

// Factories by lowercase name, registered by the layers that have them (tracehop::otlp,
// tracehop::prometheus), looked up by the *_from_env functions.
template <class Factory>
class Registry {
 public:
  static Registry& instance() {
    static Registry r;
    return r;
  }
  void add(std::string_view name, Factory factory) {
    std::lock_guard lk(mu_);
    factories_[tracehop::detail::ascii_lower(name)] = std::move(factory);
  }
  /// The factory of `name` (any case), or an empty one.
  Factory find(std::string_view name) {
    std::lock_guard lk(mu_);
    const auto it = factories_.find(tracehop::detail::ascii_lower(name));
    return it == factories_.end() ? Factory() : it->second;
  }

 private:
  std::mutex mu_;
  std::map<std::string, Factory, std::less<>> factories_;
};

}  // namespace

void register_span_exporter(std::string name, SpanExporterFactory factory) {
  Registry<SpanExporterFactory>::instance().add(name, std::move(factory));
}

std::unique_ptr<trace::SpanExporter> make_span_exporter(std::string_view name) {
  if (tracehop::detail::ascii_lower(name) == "console") return std::make_unique<trace::ConsoleSpanExporter>();
  const auto factory = Registry<SpanExporterFactory>::instance().find(name);
  return factory ? factory() : nullptr;
}

std::vector<std::shared_ptr<trace::SpanProcessor>> span_processors_from_env(const std::optional<std::string>& exporters) {
  using namespace trace;
  std::vector<std::shared_ptr<SpanProcessor>> processors;
  const std::string configured = exporters ? *exporters : tracehop::detail::env("OTEL_TRACES_EXPORTER").value_or("otlp");
  for (const auto& listed : tracehop::detail::split_list(configured)) {
    const auto name = tracehop::detail::ascii_lower(listed);
    if (name == "none") continue;
    std::unique_ptr<SpanExporter> exporter;
    try {
      exporter = make_span_exporter(name);
    } catch (const std::exception& e) {
      log_error("OTEL_TRACES_EXPORTER: exporter '" + name + "' could not be created: " + e.what());
      continue;
    }
    if (!exporter) {
      log_warn("OTEL_TRACES_EXPORTER: exporter '" + name +
               "' is not available in this build; spans for it are not exported");
      continue;
    }
    if (name == "console")
      processors.push_back(std::make_shared<SimpleSpanProcessor>(std::move(exporter)));
    else
      processors.push_back(std::make_shared<BatchSpanProcessor>(std::move(exporter)));
  }
  return processors;
}

namespace {
// provider_from_env(), and the processors made for the environment's exporters in `made`.
std::shared_ptr<trace::TracerProvider> tracer_provider(const ProviderOverrides& overrides,
                                                       std::vector<std::shared_ptr<trace::SpanProcessor>>* made) {
  using namespace trace;
  if (tracehop::detail::env_bool("OTEL_SDK_DISABLED")) return nullptr;

  TracerProviderOptions options;  // what is unset here comes from the environment
  if (overrides.resource) options.resource = Resource::create(*overrides.resource);
  options.sampler = overrides.sampler;
  auto provider = std::make_shared<TracerProvider>(std::move(options));
  for (auto& processor : span_processors_from_env(overrides.exporters)) {
    if (made) made->push_back(processor);
    provider->add_span_processor(std::move(processor));
  }
  for (const auto& processor : overrides.processors) provider->add_span_processor(processor);
  return provider;
}
}  // namespace

std::shared_ptr<trace::TracerProvider> provider_from_env(const ProviderOverrides& overrides) {
  return tracer_provider(overrides, nullptr);
}

void register_metric_exporter(std::string name, MetricExporterFactory factory) {
  Registry<MetricExporterFactory>::instance().add(name, std::move(factory));
}

std::unique_ptr<metrics::MetricExporter> make_metric_exporter(std::string_view name) {
  if (tracehop::detail::ascii_lower(name) == "console") return std::make_unique<metrics::ConsoleMetricExporter>();
  const auto factory = Registry<MetricExporterFactory>::instance().find(name);
  return factory ? factory() : nullptr;
}

void register_metric_reader(std::string name, MetricReaderFactory factory) {
  Registry<MetricReaderFactory>::instance().add(name, std::move(factory));
}

std::vector<std::shared_ptr<metrics::MetricReader>> metric_readers_from_env(const std::optional<std::string>& exporters) {
  std::vector<std::shared_ptr<metrics::MetricReader>> readers;
  const auto chosen = exporters ? exporters : tracehop::detail::env("OTEL_METRICS_EXPORTER");
  const std::string configured = chosen.value_or("otlp");
  for (const auto& listed : tracehop::detail::split_list(configured)) {
    const auto name = tracehop::detail::ascii_lower(listed);
    if (name == "none") continue;
    if (auto pull = Registry<MetricReaderFactory>::instance().find(name)) {
      try {
        readers.push_back(pull());
      } catch (const std::exception& e) {
        log_error("OTEL_METRICS_EXPORTER: '" + name + "' could not be started: " + e.what());
      }
      continue;
    }
    std::unique_ptr<metrics::MetricExporter> exporter;
    try {
      exporter = make_metric_exporter(name);
    } catch (const std::exception& e) {
      log_error("OTEL_METRICS_EXPORTER: exporter '" + name + "' could not be created: " + e.what());
      continue;
    }
    if (!exporter) {
      // The default, not asked for, in a program built without it: nothing to say above debug.
      log(chosen ? LogLevel::Warn : LogLevel::Debug,
          "OTEL_METRICS_EXPORTER: exporter '" + name + "' is not available in this build; metrics for it are not exported");
      continue;
    }
    readers.push_back(std::make_shared<metrics::PeriodicExportingMetricReader>(std::move(exporter)));
  }
  return readers;
}

std::shared_ptr<metrics::MeterProvider> meter_provider_from_env(const ProviderOverrides& overrides) {
  if (tracehop::detail::env_bool("OTEL_SDK_DISABLED")) return nullptr;
  metrics::MeterProviderOptions options;
  if (overrides.resource) options.resource = trace::Resource::create(*overrides.resource);
  options.readers = metric_readers_from_env(overrides.metrics_exporters);
  options.readers.insert(options.readers.end(), overrides.metric_readers.begin(), overrides.metric_readers.end());
  options.views = overrides.views;
  return std::make_shared<metrics::MeterProvider>(std::move(options));
}

std::vector<metrics::SpanProcessorMetrics> observe_batch_processors(
    const metrics::Meter& meter, const std::vector<std::shared_ptr<trace::SpanProcessor>>& processors) {
  std::vector<metrics::SpanProcessorMetrics> observed;
  for (const auto& p : processors)
    if (auto batch = std::dynamic_pointer_cast<trace::BatchSpanProcessor>(p))
      observed.push_back(metrics::observe_span_processor(meter, batch, "batching_span_processor/" + std::to_string(observed.size())));
  return observed;
}

std::shared_ptr<trace::TracerProvider> configure_from_env(const ProviderOverrides& overrides) {
  // Context still flows through a process whose SDK is disabled.
  trace::set_global_propagator(trace::propagator_from_env());
  std::vector<std::shared_ptr<trace::SpanProcessor>> made;
  auto provider = tracer_provider(overrides, &made);
  trace::set_tracer_provider(provider);
  metrics::set_meter_provider(meter_provider_from_env(overrides));
  // The exporters' batch processors' figures, on the global meter provider, until the next call.
  static std::mutex mutex;
  static std::vector<metrics::SpanProcessorMetrics> observed;
  auto next = observe_batch_processors(metrics::get_meter("tracehop.sdk", TRACEHOP_VERSION), made);
  std::lock_guard lock(mutex);
  observed = std::move(next);
  return provider;
}

}  // namespace tracehop
