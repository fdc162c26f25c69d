#ifdef WITH_OTLP
#include <tracehop/otlp/exporter.hpp>
#endif
#include <tracehop/metrics.hpp>
#include <tracehop/trace.hpp>
#include <tracehop/configure.hpp>
#include <tracehop/http/session.hpp>  // Asio: compiles only with the setting tracehop::http passes on
#include <tracehop/instrument/client.hpp>

#include <iostream>

int main() {
  namespace tt = tracehop::trace;
  auto exporter = std::make_unique<tt::InMemorySpanExporter>();
  auto* memory = exporter.get();
  auto provider = std::make_shared<tt::TracerProvider>();
  provider->add_span_processor(std::make_shared<tt::SimpleSpanProcessor>(std::move(exporter)));
  provider->get_tracer("consumer")->start_span("installed").end();
  const auto spans = memory->finished_spans();
#ifdef WITH_OTLP
  // The OTLP exporter links, and is registered for OTEL_TRACES_EXPORTER=otlp.
  if (!tracehop::make_span_exporter("otlp")) return 1;
#else
  tracehop::instrument::HttpClientInstrumentor{}.instrument();  // the instrumentation links without OTLP
  tracehop::instrument::HttpClientInstrumentor{}.uninstrument();
#endif
  // The metrics SDK links and collects.
  namespace tm = tracehop::metrics;
  auto reader = std::make_shared<tm::MetricReader>();
  tm::MeterProvider meters(tm::MeterProviderOptions{.readers = {reader}});
  meters.get_meter("consumer").create_counter("installed").add(1);
  const auto metrics = reader->collect();
  std::cout << "spans: " << spans.size() << " name: " << spans.at(0)->name
            << " metrics: " << metrics->scopes.size() << '\n';
  return spans.size() == 1 && metrics->scopes.size() == 1 ? 0 : 1;
}
