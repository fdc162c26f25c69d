#include "tracehop/trace/configure.hpp"

#include <map>
#include <mutex>

#include "internal.hpp"
#include "tracehop/trace/log.hpp"
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
  r.factories[trace::detail::to_lower(name)] = std::move(factory);
}

std::shared_ptr<trace::TracerProvider> configure_from_env() {
  using namespace trace;
  // Context still flows through a process whose SDK is disabled.
  set_global_propagator(propagator_from_env());
  if (detail::env_bool("OTEL_SDK_DISABLED")) {
    set_tracer_provider(nullptr);
    return nullptr;
  }

  auto provider = std::make_shared<TracerProvider>();  // resource, sampler, limits: from env

  const std::string configured = detail::env("OTEL_TRACES_EXPORTER").value_or("otlp");
  std::string_view names = configured;
  while (!names.empty()) {
    const auto comma = names.find(',');
    const auto name = detail::to_lower(detail::trim_ows(names.substr(0, comma)));
    names = comma == std::string_view::npos ? std::string_view{} : names.substr(comma + 1);
    if (name.empty() || name == "none") continue;
    if (name == "console") {
      provider->add_span_processor(
          std::make_shared<SimpleSpanProcessor>(std::make_unique<ConsoleSpanExporter>()));
      continue;
    }
    SpanExporterFactory factory;
    {
      auto& r = registry();
      std::lock_guard lk(r.mu);
      if (auto it = r.factories.find(name); it != r.factories.end()) factory = it->second;
    }
    if (!factory) {
      log_warn("OTEL_TRACES_EXPORTER: exporter '" + name +
               "' is not available in this build; spans for it are not exported");
      continue;
    }
    try {
      provider->add_span_processor(std::make_shared<BatchSpanProcessor>(factory()));
    } catch (const std::exception& e) {
      log_error("OTEL_TRACES_EXPORTER: exporter '" + name + "' could not be created: " + e.what());
    }
  }
  set_tracer_provider(provider);
  return provider;
}

}  // namespace tracehop
