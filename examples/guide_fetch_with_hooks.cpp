// The reference guide's steps 1-4 and its verification, in C++: a provider with the console
// exporter, the client instrumented once with the guide's hooks and a URL filter, and a fetch
// under a parent span, against a local instrumented "inventory" server. The console shows the
// CLIENT span with the hook attributes and the SERVER span in the same trace.
#include <iostream>

#include "tracehop/tracehop.hpp"

namespace th = tracehop;
namespace asio = boost::asio;

int main() {
  // 1. The provider (synchronous export here, so the output order is the span end order).
  auto provider = std::make_shared<th::trace::TracerProvider>();
  provider->add_span_processor(std::make_shared<th::trace::SimpleSpanProcessor>(
      std::make_unique<th::trace::ConsoleSpanExporter>()));
  th::trace::set_tracer_provider(provider);

  // 2. Instrument the client once, with the guide's hooks and a filter that drops the query.
  th::instrument::ClientOptions options;
  options.request_hook = [](th::trace::Span& span, const th::http::RequestStartParams& params) {
    if (span.is_recording()) {
      span.set_attribute("peer.service", "inventory");
      span.set_attribute("http.request.host", params.url.host());
    }
  };
  options.response_hook = [](th::trace::Span& span, const th::http::Response& response) {
    if (!span.is_recording()) return;
    if (auto length = response.headers().first("Content-Length"))
      span.set_attribute("http.response.body.size", std::stoll(std::string(*length)));
    if (response.status() >= 500) span.set_attribute("error.type", "upstream_5xx");
  };
  options.url_filter = [](std::string_view url) { return std::string(url.substr(0, url.find('?'))); };
  th::instrument::HttpClientInstrumentor{}.instrument(std::move(options));

  // The downstream service, instrumented: its SERVER span joins the client's trace.
  asio::io_context io;
  th::http::Server inventory(io.get_executor());
  th::instrument::HttpServerInstrumentor::instrument(inventory);
  inventory.route("GET", "/items/{sku}", [](th::http::ServerRequest& r) -> asio::awaitable<th::http::ServerResponse> {
    co_return th::http::ServerResponse::json(200, {{"sku", r.param("sku")}, {"in_stock", 3}});
  });
  inventory.start();

  // 3. The request inside an active span.
  auto tracer = th::trace::get_tracer("checkout-gateway");
  th::spawn(io, [&]() -> asio::awaitable<void> {
    th::http::ClientSession session(co_await asio::this_coro::executor);
    {
      auto span = tracer->start_as_current_span("check-inventory");
      auto resp = co_await session.get(inventory.url() + "/items/SKU-9931?api_key=hidden");
      resp.raise_for_status();
      std::cout << "item: " << co_await resp.json() << '\n';
    }
    co_await session.close();
    co_await inventory.stop();
  });
  io.run();
  th::trace::shutdown();
}
