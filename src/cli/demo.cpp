// `tracehop demo` for the tracing core: two services in one process, each with its own tracer
// provider and resource, hand a trace over through the W3C propagators exactly as they would
// over HTTP headers. The HTTP client and server (and the full checkout-gateway demo of the
// reference guide) build on this.
#include "demo.hpp"

#include <iostream>
#include <thread>

#include "tracehop/trace.hpp"
#include "waterfall.hpp"

namespace tracehop::cli {

namespace {

using namespace std::chrono_literals;
using namespace tracehop::trace;

struct Service {
  std::shared_ptr<TracerProvider> provider;
  std::shared_ptr<Tracer> tracer;
};

Service make_service(const std::string& name, const std::vector<std::shared_ptr<SpanProcessor>>& processors) {
  auto provider = std::make_shared<TracerProvider>(TracerProviderOptions{
      .resource = Resource::create(Resource(Attributes{KeyValue{"service.name", name}}))});
  for (const auto& p : processors) provider->add_span_processor(p);
  return {provider, provider->get_tracer("tracehop.demo", "0.1.0")};
}

void work(std::chrono::milliseconds d) { std::this_thread::sleep_for(d); }

// The downstream service: extracts the caller's context and continues its trace.
void inventory_lookup(const Service& inventory, const MapCarrier& headers) {
  const Context parent = global_propagator()->extract(headers, Context{});
  auto server = inventory.tracer->start_as_current_span(
      "lookup /items/{sku}", {.kind = SpanKind::Server, .parent = parent,
                              .attributes = {{"sku", "SKU-9931"}, {"tenant", *parent.baggage().get("tenant")}}});
  work(2ms);
  {
    auto db = inventory.tracer->start_as_current_span("SELECT inventory", {.kind = SpanKind::Client});
    db->set_attribute("db.system", "sqlite");
    work(3ms);
  }
  work(1ms);
}

}  // namespace

int run_demo(const DemoOptions& options) {
  auto memory = std::make_shared<InMemorySpanExporter>();
  struct Shared final : SpanExporter {  // lets both services export into one memory store
    explicit Shared(std::shared_ptr<InMemorySpanExporter> memory) : m(std::move(memory)) {}
    ExportResult export_spans(std::span<const SpanDataPtr> s) noexcept override { return m->export_spans(s); }
    bool shutdown(std::chrono::milliseconds) noexcept override { return true; }
    std::shared_ptr<InMemorySpanExporter> m;
  };
  std::vector<std::shared_ptr<SpanProcessor>> processors{
      std::make_shared<SimpleSpanProcessor>(std::make_unique<Shared>(memory))};
  if (options.exporter == "console")
    processors.push_back(std::make_shared<SimpleSpanProcessor>(std::make_unique<ConsoleSpanExporter>()));
  if (!options.spans_out.empty())
    processors.push_back(std::make_shared<BatchSpanProcessor>(
        std::make_unique<OtlpJsonFileExporter>(options.spans_out)));

  set_global_propagator(propagator_from_env());
  auto gateway = make_service("checkout-gateway", processors);
  auto inventory = make_service("inventory", processors);

  MapCarrier headers;
  {
    Scope bag(Context::current().with_baggage(Baggage{}.set("tenant", "acme")));
    auto checkout = gateway.tracer->start_as_current_span("checkout");
    work(1ms);
    auto check = gateway.tracer->start_as_current_span("check-inventory");
    auto call = gateway.tracer->start_as_current_span(
        "inventory lookup", {.kind = SpanKind::Client, .attributes = {{"peer.service", "inventory"}}});
    headers.set("accept", "application/json");
    inject(headers);  // the CLIENT span is current: its id becomes the downstream parent
    work(1ms);
    inventory_lookup(inventory, headers);
    work(1ms);
  }
  gateway.provider->shutdown();
  inventory.provider->shutdown();

  std::cout << "tracehop demo: the tracing core (the HTTP client and server build on it)\n\n"
               "Headers the gateway's CLIENT span injected for the inventory service:\n";
  for (const auto& [k, v] : headers.entries()) std::cout << "  " << k << ": " << v << '\n';
  std::cout << '\n';
  print_waterfall(std::cout, memory->finished_spans());
  return 0;
}

}  // namespace tracehop::cli
