// Recipes for a service, each a few lines: a Server with routes and a JSON answer, its tracing
// with an excluded URL, baggage from the caller to the handler, a custom sampler given to
// configure_from_env, and cancelling a request.
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/steady_timer.hpp>
#include <iostream>
#include <tracehop/configure.hpp>
#include <tracehop/http/server.hpp>
#include <tracehop/http/session.hpp>
#include <tracehop/instrument/client.hpp>
#include <tracehop/instrument/server.hpp>
#include <tracehop/task.hpp>
#include <tracehop/trace.hpp>

namespace asio = boost::asio;
namespace http = tracehop::http;
namespace tt = tracehop::trace;
using namespace std::chrono_literals;

// A custom sampler: a trace that begins with a call to an /internal/ URL is not recorded; every
// other root is. (Wrapped in parent_based_sampler below, so a span follows its parent's choice.)
class NoInternalCalls final : public tt::Sampler {
 public:
  tt::SamplingResult should_sample(const tt::SamplingParameters& p) const override {
    tt::SamplingResult result;
    result.decision = tt::SamplingDecision::RecordAndSample;
    for (const char* key : {"url.full", "http.url"})  // the stable and the old attribute name
      if (const auto* url = tt::find_attribute(p.attributes, key); url && url->to_string().find("/internal/") != std::string::npos)
        result.decision = tt::SamplingDecision::Drop;
    return result;
  }
  std::string description() const override { return "NoInternalCalls"; }
};

asio::awaitable<void> pause(std::chrono::milliseconds d) {
  asio::steady_timer timer(co_await asio::this_coro::executor, d);
  co_await timer.async_wait(asio::use_awaitable);
}

int main() {
  // The environment's exporters (OTEL_TRACES_EXPORTER), this sampler, and one processor more:
  // every span also kept in memory, to print below.
  auto kept = std::make_shared<tt::InMemorySpanExporter>();
  tracehop::ProviderOverrides overrides;
  overrides.sampler = tt::parent_based_sampler(std::make_shared<NoInternalCalls>());
  overrides.processors = {std::make_shared<tt::SimpleSpanProcessor>(std::make_unique<tt::SharedSpanExporter>(kept))};
  tracehop::configure_from_env(overrides);

  // A server: routes with {placeholders}, handlers that answer JSON. /health is not traced.
  asio::io_context io;
  http::Server server(io.get_executor());  // 127.0.0.1, a free port
  tracehop::instrument::ServerOptions tracing;
  tracing.excluded_urls = std::vector<std::string>{"/health"};
  tracehop::instrument::HttpServerInstrumentor::instrument(server, tracing);
  server.route("GET", "/items/{sku}", [](http::ServerRequest& r) -> asio::awaitable<http::ServerResponse> {
    const auto tenant = tt::Context::current().baggage().get("tenant");  // the caller's baggage
    co_return http::ServerResponse::json(200, {{"sku", r.param("sku")}, {"tenant", tenant ? std::string(*tenant) : "-"}});
  });
  server.route("GET", "/health", [](http::ServerRequest&) -> asio::awaitable<http::ServerResponse> {
    co_return http::ServerResponse::text(200, "ok");
  });
  server.route("GET", "/internal/stats", [](http::ServerRequest&) -> asio::awaitable<http::ServerResponse> {
    co_return http::ServerResponse::json(200, {{"requests", 3}});
  });
  server.route("GET", "/slow", [](http::ServerRequest&) -> asio::awaitable<http::ServerResponse> {
    co_await pause(300ms);
    co_return http::ServerResponse::text(200, "late");
  });
  server.start();

  tracehop::instrument::HttpClientInstrumentor{}.instrument();
  tracehop::spawn(io, [&]() -> asio::awaitable<void> {
    const auto executor = co_await asio::this_coro::executor;
    http::ClientSession session(executor);
    {  // Baggage: put in the current context, sent by the propagator, read by the handler.
      tt::Scope scope(tt::Context::current().with_baggage(tt::Baggage().set("tenant", "acme")));
      auto resp = co_await session.get(server.url() + "/items/SKU-1");
      std::cout << "item: " << co_await resp.text() << '\n';
    }
    for (const char* path : {"/health", "/internal/stats"}) {
      auto resp = co_await session.get(server.url() + path);
      co_await resp.read();
    }

    // Cancelling: a request awaited with a cancellation slot bound, cancelled after 50 ms. It
    // throws http::RequestCancelled (not a ClientError); its connection is closed.
    asio::cancellation_signal cancel;
    asio::steady_timer deadline(executor, 50ms);
    deadline.async_wait([&](boost::system::error_code ec) {
      if (!ec) cancel.emit(asio::cancellation_type::terminal);
    });
    try {
      auto resp = co_await tracehop::spawn(executor, session.get(server.url() + "/slow"),
                                           asio::bind_cancellation_slot(cancel.slot(), asio::use_awaitable));
      std::cout << "not cancelled: " << resp.status() << '\n';
    } catch (const http::RequestCancelled& e) {
      std::cout << "cancelled: " << e.what() << '\n';
    }
    co_await session.close();
    co_await server.stop();
  });
  io.run();
  tracehop::instrument::HttpClientInstrumentor{}.uninstrument();
  tt::shutdown();

  for (const auto& span : kept->finished_spans()) {
    const auto* url = tt::find_attribute(span->attributes, "http.url");
    const auto* path = tt::find_attribute(span->attributes, "url.path");
    std::cout << "span: " << span->name << ' ' << (url ? url->to_string() : path ? path->to_string() : "") << '\n';
  }
}
