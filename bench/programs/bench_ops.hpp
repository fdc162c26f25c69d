#pragma once
// The operations both benchmark programs measure, so timings and instruction counts describe
// exactly the same code.

#include <memory>

#include "tracehop/trace.hpp"

namespace tracehop::bench {

/// Takes spans and throws them away: measures the SDK, not an exporter.
class DiscardExporter final : public trace::SpanExporter {
 public:
  trace::ExportResult export_spans(std::span<const trace::SpanDataPtr>) noexcept override {
    return trace::ExportResult::Success;
  }
  bool shutdown(std::chrono::milliseconds) noexcept override { return true; }
};

struct Sdk {
  explicit Sdk(trace::SamplerPtr sampler = trace::always_on_sampler(),
               trace::BatchSpanProcessorOptions bsp = {}) {
    provider = std::make_shared<trace::TracerProvider>(trace::TracerProviderOptions{
        .resource = trace::Resource(trace::Attributes{trace::KeyValue{"service.name", "bench"}}),
        .sampler = std::move(sampler)});
    processor = std::make_shared<trace::BatchSpanProcessor>(std::make_unique<DiscardExporter>(), bsp);
    provider->add_span_processor(processor);
    tracer = provider->get_tracer("bench");
  }
  std::shared_ptr<trace::TracerProvider> provider;
  std::shared_ptr<trace::BatchSpanProcessor> processor;
  std::shared_ptr<trace::Tracer> tracer;
};

/// A span with the four attributes of a typical CLIENT span, started and ended.
inline void span_with_4_attributes(const trace::Tracer& tracer) {
  auto span = tracer.start_span("GET", {.kind = trace::SpanKind::Client});
  span.set_attribute("http.request.method", "GET");
  span.set_attribute("server.address", "inventory");
  span.set_attribute("server.port", 8080);
  span.set_attribute("http.response.status_code", 200);
  span.end();
}

/// `n` finished spans of span_with_4_attributes, with a real provider's resource and scope.
inline std::vector<trace::SpanDataPtr> finished_spans(std::size_t n) {
  auto memory = std::make_shared<trace::InMemorySpanExporter>();
  trace::TracerProvider provider;
  provider.add_span_processor(
      std::make_shared<trace::SimpleSpanProcessor>(std::make_unique<trace::SharedSpanExporter>(memory)));
  const auto tracer = provider.get_tracer("bench", "1.0");
  for (std::size_t i = 0; i < n; ++i) span_with_4_attributes(*tracer);
  provider.shutdown();
  return memory->finished_spans();
}

/// A header map with exactly the fields a propagator touches.
class BenchCarrier final : public trace::TextMapCarrier {
 public:
  std::optional<std::string_view> get(std::string_view key) const override {
    if (key == "traceparent" && !traceparent.empty()) return std::string_view(traceparent);
    return std::nullopt;
  }
  void set(std::string_view key, std::string_view value) override {
    if (key == "traceparent") traceparent.assign(value);
  }
  std::string traceparent;
};

}  // namespace tracehop::bench
