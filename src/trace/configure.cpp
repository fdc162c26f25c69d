#include "tracehop/configure.hpp"

#include <map>
#include <mutex>

#include "internal.hpp"
#include "tracehop/log.hpp"
#include "tracehop/trace/propagation.hpp"

namespace tracehop {

namespace {

struct Registry {
  std::mutex mu;
  std::map<std::string, SpanExporterFactory, std::less<>> factories;
};
Registry& registry() {
  static Registry r;
  return r;
}

}  // namespace

void register_span_exporter(std::string name, SpanExporterFactory factory) {
  auto& r = registry();
  std::lock_guard lk(r.mu);
  r.factories[tracehop::detail::ascii_lower(name)] = std::move(factory);
}

std::unique_ptr<trace::SpanExporter> make_span_exporter(std::string_view name) {
  const auto key = tracehop::detail::ascii_lower(name);
  if (key == "console") return std::make_unique<trace::ConsoleSpanExporter>();
  SpanExporterFactory factory;
  {
    auto& r = registry();
    std::lock_guard lk(r.mu);
    if (auto it = r.factories.find(key); it != r.factories.end()) factory = it->second;
  }
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

std::shared_ptr<trace::TracerProvider> provider_from_env(const ProviderOverrides& overrides) {
  using namespace trace;
  if (tracehop::detail::env_bool("OTEL_SDK_DISABLED")) return nullptr;

  TracerProviderOptions options;  // what is unset here comes from the environment
  if (overrides.resource) options.resource = Resource::create(*overrides.resource);
  options.sampler = overrides.sampler;
  auto provider = std::make_shared<TracerProvider>(std::move(options));
  for (auto& processor : span_processors_from_env(overrides.exporters)) provider->add_span_processor(std::move(processor));
  for (const auto& processor : overrides.processors) provider->add_span_processor(processor);
  return provider;
}

std::shared_ptr<trace::TracerProvider> configure_from_env(const ProviderOverrides& overrides) {
  // Context still flows through a process whose SDK is disabled.
  trace::set_global_propagator(trace::propagator_from_env());
  auto provider = provider_from_env(overrides);
  trace::set_tracer_provider(provider);
  return provider;
}

}  // namespace tracehop
