// The reference guide's "shared session" and "retries" snippets, in C++: one long-lived
// session whose pool is reused (the second fetch-price finds a warm connection), the guide's
// hand-written retry loop (three sibling CLIENT spans: 503, 503, 200), and the same with the
// built-in RetryPolicy. Prints the spans as the guide's expected output does.
#include <iostream>
#include <boost/asio/steady_timer.hpp>
#include <map>

#include "tracehop/tracehop.hpp"

namespace th = tracehop;
namespace asio = boost::asio;
using th::http::ServerRequest;
using th::http::ServerResponse;

int main() {
  auto spans = std::make_shared<th::trace::InMemorySpanExporter>();
  auto provider = std::make_shared<th::trace::TracerProvider>();
  provider->add_span_processor(std::make_shared<th::trace::SimpleSpanProcessor>(
      std::make_unique<th::trace::SharedSpanExporter>(spans)));
  th::trace::set_tracer_provider(provider);
  // Old and stable attribute names both (http/dup), so http.request.resend_count shows.
  th::instrument::ClientOptions tracing;
  tracing.semconv = th::instrument::SemconvMode::Duplicate;
  th::instrument::HttpClientInstrumentor{}.instrument(std::move(tracing));
  const auto tracer = th::trace::get_tracer("checkout-gateway");

  // The upstreams: pricing, and an inventory whose first two answers are 503.
  asio::io_context io;
  th::http::Server upstream(io.get_executor());
  upstream.route("GET", "/p/{sku}", [](ServerRequest& r) -> asio::awaitable<ServerResponse> {
    co_return ServerResponse::json(200, {{"sku", r.param("sku")}, {"price_cents", 1299}});
  });
  int calls = 0;
  upstream.route("GET", "/items/{sku}", [&calls](ServerRequest& r) -> asio::awaitable<ServerResponse> {
    if (calls++ % 3 < 2) co_return ServerResponse::text(503, "busy");
    co_return ServerResponse::json(200, {{"sku", r.param("sku")}, {"in_stock", 3}});
  });
  upstream.start();
  const std::string base = upstream.url();

  // One shared, long-lived session; the connector pools and reuses sockets.
  th::http::SessionOptions shared;
  shared.connector.limit = 100;
  shared.connector.limit_per_host = 20;
  th::http::ClientSession session(io.get_executor(), std::move(shared));

  auto fetch_price = [&](std::string sku) -> asio::awaitable<boost::json::value> {
    auto span = tracer->start_as_current_span("fetch-price");
    auto resp = co_await session.get(base + "/p/" + sku);
    resp.raise_for_status();
    co_return co_await resp.json();
  };

  // The guide's loop: each iteration re-enters the instrumented request path.
  auto fetch_with_retry = [&](std::string sku, int attempts) -> asio::awaitable<boost::json::value> {
    auto parent = tracer->start_as_current_span("fetch-inventory-retrying");
    for (int attempt = 1;; ++attempt) {
      parent->set_attribute("retry.attempt", attempt);
      std::optional<boost::json::value> item;
      try {
        auto resp = co_await session.get(base + "/items/" + sku);
        resp.raise_for_status();
        item = co_await resp.json();
      } catch (const th::http::ClientError&) {
        if (attempt == attempts) throw;
      }
      if (item) co_return *item;
      asio::steady_timer backoff(co_await asio::this_coro::executor, std::chrono::milliseconds(20 * attempt));
      co_await backoff.async_wait(asio::use_awaitable);  // linear backoff
    }
  };

  // The built-in policy: the same attempts, each its own CLIENT span with its resend count.
  auto fetch_with_policy = [&](std::string sku) -> asio::awaitable<boost::json::value> {
    auto parent = tracer->start_as_current_span("fetch-inventory-retry-policy");
    th::http::RequestOptions o;
    o.retry = th::http::RetryPolicy{};
    o.retry->initial_backoff = std::chrono::milliseconds(20);
    o.raise_for_status = true;
    auto resp = co_await session.get(base + "/items/" + sku, o);
    co_return co_await resp.json();
  };

  th::spawn(io, [&]() -> asio::awaitable<void> {
    std::cout << "price: " << co_await fetch_price("SKU-9931") << '\n';
    std::cout << "price: " << co_await fetch_price("SKU-9931") << '\n';
    std::cout << "item: " << co_await fetch_with_retry("SKU-9931", 3) << '\n';
    std::cout << "item: " << co_await fetch_with_policy("SKU-9931") << '\n';
    co_await session.close();
    co_await upstream.stop();
  });
  io.run();
  provider->shutdown();

  // The guide's "expected output": each span with its parent's name.
  std::map<std::string, std::string> names;  // span id -> name
  for (const auto& s : spans->finished_spans()) names[s->context.span_id().to_hex()] = s->name;
  for (const auto& s : spans->finished_spans()) {
    if (s->kind != th::trace::SpanKind::Client) continue;
    std::cout << s->name << "   parent=<" << names[s->parent_span_id.to_hex()] << ">";
    for (const char* key : {"http.status_code", "tracehop.connection.reused", "http.request.resend_count"})
      if (const auto* v = th::trace::find_attribute(s->attributes, key)) std::cout << "   " << key << '=' << v->to_string();
    std::cout << '\n';
  }
}
