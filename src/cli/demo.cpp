// `tracehop demo`: the reference guide's checkout gateway over real HTTP on loopback. Two
// instrumented services (inventory, which calls pricing; one flaky endpoint answers 503 twice)
// run on their own thread; the gateway calls them under parent spans with the guide's hooks and
// url_filter, shares one pooled session, retries by hand as the guide does, and the traces are
// printed as waterfalls. Its text explains each step in plain words, not the guide's.
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json.hpp>
#include <cstdlib>
#include <iostream>
#include <mutex>
#include <sstream>
#include <thread>

#include "commands.hpp"
#include "common/env.hpp"
#include "common/text.hpp"
#include "telemetry.hpp"
#include "tracehop/http/server.hpp"
#include "tracehop/http/session.hpp"
#include "tracehop/task.hpp"
#include "tracehop/instrument/client.hpp"
#include "tracehop/instrument/server.hpp"
#include "tracehop/configure.hpp"
#include "tracehop/prometheus/reader.hpp"
#include "tracehop/trace/propagation.hpp"
#include "tracehop/trace/span_processor.hpp"
#include "histogram_chart.hpp"
#include "waterfall.hpp"

namespace tracehop::cli {

namespace {

namespace asio = boost::asio;
namespace json = boost::json;
using http::ServerRequest;
using http::ServerResponse;
using namespace std::chrono_literals;

asio::awaitable<void> work(std::chrono::milliseconds d) {
  asio::steady_timer timer(co_await asio::this_coro::executor, d);
  co_await timer.async_wait(asio::use_awaitable);
}

// The two downstream services, on their own io_context and thread, each with its own tracer
// provider (its own service.name).
// One service's providers: its spans, and its metrics read by `reader` for the closing charts.
struct ServiceTelemetry {
  std::shared_ptr<trace::TracerProvider> traces;
  std::shared_ptr<metrics::MeterProvider> meters;
  std::string prometheus_url;  // where its Prometheus reader serves, if it has one
  std::shared_ptr<metrics::MetricReader> reader;
};

class Services {
 public:
  Services(const ServiceTelemetry& inventory, const ServiceTelemetry& pricing)
      : inventory_(io_.get_executor()), pricing_(io_.get_executor()), inventory_client_(io_.get_executor()) {
    instrument::ServerOptions pricing_tracing;
    pricing_tracing.tracer_provider = pricing.traces;
    pricing_tracing.meter_provider = pricing.meters;
    instrument::HttpServerInstrumentor::instrument(pricing_, pricing_tracing);
    pricing_.route("GET", "/prices/{sku}", [](ServerRequest& r) -> asio::awaitable<ServerResponse> {
      co_await work(2ms);
      co_return ServerResponse::json(200, {{"sku", r.param("sku")}, {"price_cents", 1299}, {"currency", "EUR"}});
    });

    instrument::ServerOptions inventory_tracing;
    inventory_tracing.tracer_provider = inventory.traces;
    inventory_tracing.meter_provider = inventory.meters;
    instrument::HttpServerInstrumentor::instrument(inventory_, inventory_tracing);
    // The inventory's own calls are its own CLIENT spans (its provider, not the gateway's).
    instrument::ClientOptions inventory_calls;
    inventory_calls.tracer_provider = inventory.traces;
    inventory_calls.meter_provider = inventory.meters;
    instrument::HttpClientInstrumentor::instrument_session(inventory_client_, inventory_calls);
    inventory_.route("GET", "/items/{sku}", [this](ServerRequest& r) -> asio::awaitable<ServerResponse> {
      {
        std::lock_guard lk(mu_);
        received_ = std::string(r.headers.first("traceparent").value_or("(none)"));
      }
      co_await work(1ms);
      auto price = co_await inventory_client_.get(pricing_.url() + "/prices/" + r.param("sku"));
      auto body = co_await price.json();
      co_return ServerResponse::json(200, {{"sku", r.param("sku")}, {"in_stock", 3}, {"price", body}});
    });
    inventory_.route("GET", "/stock/{sku}", [](ServerRequest& r) -> asio::awaitable<ServerResponse> {
      co_await work(3ms);
      co_return ServerResponse::json(200, {{"sku", r.param("sku")}, {"in_stock", 7}});
    });
    inventory_.route("GET", "/flaky", [this](ServerRequest&) -> asio::awaitable<ServerResponse> {
      co_return ServerResponse::text(flaky_calls_++ < 2 ? 503 : 200, "flaky\n");  // 503, 503, then 200
    });
    inventory_.start();
    pricing_.start();
    thread_ = std::thread([this] { io_.run(); });
  }
  ~Services() { stop(); }

  void stop() {
    if (!thread_.joinable()) return;
    auto done = asio::co_spawn(io_, [this]() -> asio::awaitable<void> {
      co_await inventory_.stop();
      co_await pricing_.stop();
      co_await inventory_client_.close();
    }, asio::use_future);
    done.wait();
    thread_.join();
  }

  std::string inventory_url() const { return inventory_.url(); }
  std::string pricing_url() const { return pricing_.url(); }
  std::string received_traceparent() {
    std::lock_guard lk(mu_);
    return received_;
  }

 private:
  asio::io_context io_;
  http::Server inventory_, pricing_;
  http::ClientSession inventory_client_;
  int flaky_calls_ = 0;
  std::mutex mu_;
  std::string received_;
  std::thread thread_;
};

// The guide's hooks and URL filter (step 4), naming the peer by its address.
instrument::ClientOptions gateway_instrumentation(const Services& services) {
  instrument::ClientOptions o;
  const std::string inventory = services.inventory_url(), pricing = services.pricing_url();
  o.request_hook = [inventory, pricing](trace::Span& span, const http::RequestStartParams& p) {
    if (!span.is_recording()) return;
    const std::string origin = "http://" + std::string(p.url.encoded_host_and_port());
    span.set_attribute("peer.service", origin == inventory ? "inventory" : origin == pricing ? "pricing" : "unknown");
    span.set_attribute("http.request.host", std::string(p.url.host()));
  };
  o.response_hook = [](trace::Span& span, const http::Response& response) {
    if (!span.is_recording()) return;
    if (auto length = response.headers().first("Content-Length"))
      span.set_attribute("http.response.body.size", std::stoll(std::string(*length)));
    if (response.status() >= 500) span.set_attribute("error.type", "upstream_5xx");
  };
  o.url_filter = [](std::string_view url) { return std::string(url.substr(0, url.find('?'))); };
  return o;
}

std::string plural(std::size_t n, const std::string& noun) {
  return std::to_string(n) + " " + noun + (n == 1 ? "" : "s");
}

const trace::SpanData* find_span(const std::vector<trace::SpanDataPtr>& spans, trace::SpanKind kind,
                                 std::string_view service) {
  for (const auto& s : spans) {
    const auto* name = s->resource ? s->resource->get("service.name") : nullptr;
    if (s->kind == kind && name && name->to_string() == service) return s.get();
  }
  return nullptr;
}

}  // namespace

int run_demo(const DemoOptions& options) {
  // One provider per service, each from the environment with --exporter on top, all feeding
  // one in-memory store for the waterfall (and the --spans-out file). The console exporter writes
  // into a buffer printed after the story, so the two do not interleave.
  auto memory = std::make_shared<trace::InMemorySpanExporter>();
  const auto store = std::make_shared<trace::SimpleSpanProcessor>(std::make_unique<trace::SharedSpanExporter>(memory));
  const auto out = options.spans_out.empty() ? nullptr : spans_out_processor(options.spans_out);
  std::string exporters;
  bool console = false;
  for (const auto& name : tracehop::detail::split_list(options.exporter.value_or(tracehop::detail::env("OTEL_TRACES_EXPORTER").value_or("none")))) {
    if (tracehop::detail::ascii_lower(name) == "console")
      console = true;
    else
      exporters += (exporters.empty() ? "" : ",") + name;
  }
  std::ostringstream console_text;
  const auto console_out =
      console ? std::make_shared<trace::SimpleSpanProcessor>(std::make_unique<trace::ConsoleSpanExporter>(console_text)) : nullptr;
  // `serving`: with the environment's readers that serve scrapes on a port (prometheus); one
  // service of this process has them, the port being one.
  auto telemetry_for = [&](const std::string& service, bool serving) {
    ProviderOverrides o;
    o.exporters = exporters.empty() ? "none" : exporters;
    o.resource = trace::Resource(trace::Attributes{trace::KeyValue{"service.name", service}});
    ServiceTelemetry t;
    t.traces = provider_from_env(o);
    if (!t.traces) t.traces = std::make_shared<trace::TracerProvider>(trace::TracerProviderOptions{.resource = o.resource});
    t.traces->add_span_processor(store);
    if (out) t.traces->add_span_processor(out);
    if (console_out) t.traces->add_span_processor(console_out);
    // Metrics: read here for the charts, and exported as the environment and --metrics-out ask.
    t.reader = std::make_shared<metrics::MetricReader>();
    o.metrics_exporters = "none";
    o.metric_readers = command_metric_readers(serving);
    o.metric_readers.push_back(t.reader);
    if (!options.metrics_out.empty()) o.metric_readers.push_back(metrics_out_reader(options.metrics_out));
    for (const auto& r : o.metric_readers)
      if (const auto* served = dynamic_cast<const prometheus::PrometheusReader*>(r.get())) t.prometheus_url = served->url();
    t.meters = meter_provider_from_env(o);
    if (!t.meters)
      t.meters = std::make_shared<metrics::MeterProvider>(metrics::MeterProviderOptions{.resource = o.resource, .readers = {t.reader}});
    return t;
  };
  trace::set_global_propagator(trace::propagator_from_env());
  const auto gateway = telemetry_for("checkout-gateway", true);
  const auto inventory = telemetry_for("inventory", false);
  const auto pricing = telemetry_for("pricing", false);
  trace::set_tracer_provider(gateway.traces);

  Services services(inventory, pricing);
  auto gateway_options = gateway_instrumentation(services);
  gateway_options.meter_provider = gateway.meters;
  instrument::HttpClientInstrumentor{}.instrument(gateway_options);
  const auto tracer = trace::get_tracer("tracehop.demo", TRACEHOP_VERSION);

  std::cout << "tracehop demo: three services on this machine, each recording spans, one request traced across\n"
            << "all of them. checkout-gateway (this process) calls inventory over HTTP, which calls pricing.\n"
            << "  inventory  " << services.inventory_url() << "  (its /flaky answers 503 twice, then 200)\n"
            << "  pricing    " << services.pricing_url() << "\n";
  if (!gateway.prometheus_url.empty())
    std::cout << "  metrics    " << gateway.prometheus_url << "  (Prometheus: the gateway's, while the demo runs)\n";
  std::cout << "\n";

  asio::io_context io;
  std::string item;
  std::vector<int> attempts;
  http::ClientSession::PoolStats before, after;
  spawn(io, [&]() -> asio::awaitable<void> {
    const auto executor = co_await asio::this_coro::executor;
    // One long-lived session for the gateway, at most 2 connections to a host (step 5).
    http::SessionOptions so;
    so.connector.limit_per_host = 2;
    http::ClientSession session(executor, std::move(so));

    {  // Step 3: a request inside an active span; the hooks and url_filter at work (step 4).
      auto checkout = tracer->start_as_current_span("checkout");
      auto check = tracer->start_as_current_span("check-inventory");
      auto resp = co_await session.get(services.inventory_url() + "/items/SKU-9931?session=s3cr3t");
      resp.raise_for_status();
      item = json::serialize(co_await resp.json());
    }
    {  // Step 6: the guide's retry loop: one sibling CLIENT span per attempt.
      auto parent = tracer->start_as_current_span("fetch-inventory-retrying");
      for (int attempt = 1; attempt <= 3; ++attempt) {
        parent->set_attribute("retry.attempt", attempt);
        auto resp = co_await session.get(services.inventory_url() + "/flaky");
        attempts.push_back(resp.status());
        co_await resp.read();
        if (resp.ok()) break;
        co_await work(std::chrono::milliseconds(20 * attempt));  // linear backoff, as in the guide
      }
    }
    before = session.pool_stats();
    {  // Step 5: six requests at once on the shared session: the pool wait is on the spans.
      auto report = tracer->start_as_current_span("restock-report");
      auto stock = [&](int i) -> asio::awaitable<void> {
        auto resp = co_await session.get(services.inventory_url() + "/stock/SKU-" + std::to_string(1000 + i));
        co_await resp.read();
      };
      co_await gather(stock(1), stock(2), stock(3), stock(4), stock(5), stock(6));
    }
    after = session.pool_stats();
    co_await session.close();
  });
  io.run();
  services.stop();
  instrument::HttpClientInstrumentor{}.uninstrument();
  // The charts' collections first: a delta exporter's last collection at shutdown is its own.
  std::vector<std::pair<std::string, metrics::MetricData>> charts;
  // (The client's histogram has the old conventions' name and unit unless OTEL_SEMCONV_STABILITY_OPT_IN
  // asks for the stable ones: the first of the two it has.)
  for (const auto& [service, t, client] : {std::tuple{"checkout-gateway", &gateway, true},
                                           std::tuple{"inventory", &inventory, false},
                                           std::tuple{"pricing", &pricing, false}}) {
    std::vector<metrics::MetricData> found;
    if (auto collected = t->reader->collect())
      for (auto& scope : collected->scopes)
        for (auto& m : scope.metrics)
          if (m.name == (client ? "http.client.request.duration" : "http.server.request.duration") ||
              (client && m.name == "http.client.duration"))
            found.push_back(std::move(m));
    if (!found.empty()) charts.emplace_back(service, std::move(found.front()));
  }
  for (const auto* t : {&gateway, &inventory, &pricing}) {
    t->traces->shutdown();
    t->meters->shutdown();
  }
  trace::set_tracer_provider(nullptr);

  const auto spans = memory->finished_spans();
  std::cout << "1. One trace across three services. The gateway's GET inventory/items/SKU-9931 ran inside its\n"
            << "   span \"check-inventory\"; the inventory service received the trace in one header:\n"
            << "     traceparent: " << services.received_traceparent() << '\n';
  if (const auto* client = find_span(spans, trace::SpanKind::Client, "checkout-gateway")) {
    std::cout << "   = trace " << client->context.trace_id().to_hex() << ", parent span "
              << client->context.span_id().to_hex() << " (the gateway's CLIENT span).\n"
              << "   The gateway's request and response hooks added attributes, and its URL filter took the\n"
              << "   session=... query out of the recorded URL:\n    ";
    for (const char* key : {"peer.service", "http.request.host", "http.response.body.size", "http.url", "url.full"})
      if (const auto* v = trace::find_attribute(client->attributes, key)) std::cout << "  " << key << '=' << v->to_string();
    std::cout << '\n';
  }
  std::cout << "   The answer: " << item << "\n\n2. Retries. The gateway calls /flaky until it answers 200:";
  for (std::size_t i = 0; i < attempts.size(); ++i) std::cout << "  attempt " << i + 1 << ": " << attempts[i];
  std::cout << ".\n   Each attempt is a CLIENT span of its own, side by side under \"fetch-inventory-retrying\".\n\n"
            << "3. A shared connection pool. Six requests at once on one session that may open 2 connections to\n"
            << "   a host: " << plural(after.created - before.created, "new connection") << " and "
            << plural(after.reused - before.reused, "reuse")
            << ";\n   each CLIENT span records how long it waited for a connection (pool wait).\n\n"
            << "The traces as timelines (each bar: when the span ran within its trace; ERROR: a failed span):\n\n";
  WaterfallOptions w;
  w.show_service = true;
  w.name_width = 42;
  print_waterfall(std::cout, spans, w);
  std::cout << "\n4. Every request is measured too. The request-duration histogram of each service (the semantic\n"
            << "   conventions' buckets; a bucket's exemplar is the trace id of one request in it):\n\n";
  for (const auto& [service, metric] : charts) {
    print_histogram(std::cout, service, metric);
    std::cout << '\n';
  }
  if (console)
    std::cout << "\nEvery span as the console exporter writes it (the layout of OpenTelemetry Python's\n"
              << "ConsoleSpanExporter), in the order the spans ended:\n"
              << console_text.str();
  return 0;
}

}  // namespace tracehop::cli
