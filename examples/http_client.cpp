// The README's HTTP client example, against a local tracehop::http::Server.
#include <iostream>

#include "tracehop/http/server.hpp"
#include "tracehop/http/session.hpp"
#include "tracehop/task.hpp"

namespace http = tracehop::http;
namespace asio = boost::asio;

int main() {
  asio::io_context io;
  http::Server server(io.get_executor());
  server.route("GET", "/items/{sku}", [](http::ServerRequest& r) -> asio::awaitable<http::ServerResponse> {
    co_return http::ServerResponse::json(200, {{"sku", r.param("sku")}, {"in_stock", 3}});
  });
  server.route("POST", "/orders", [](http::ServerRequest& r) -> asio::awaitable<http::ServerResponse> {
    co_return http::ServerResponse::text(201, r.body, "application/json");
  });
  server.start();
  const std::string base = server.url();

  tracehop::spawn(io, [&]() -> asio::awaitable<void> {
    auto executor = co_await asio::this_coro::executor;
    http::ClientSession session(executor, {.connector = {.limit = 100, .limit_per_host = 20}});
    auto resp = co_await session.get(base + "/items/SKU-9931");
    resp.raise_for_status();                   // ClientResponseError for >= 400
    auto item = co_await resp.json();          // boost::json::value
    std::cout << "item: " << item << '\n';

    http::RequestOptions post{.json = boost::json::value{{"sku", "SKU-9931"}},
                              .timeout = http::ClientTimeout{.total = std::chrono::seconds(2)}};
    auto created = co_await session.post(base + "/orders", post);
    std::cout << "order: " << created.status() << ' ' << co_await created.text() << '\n';
    co_await session.close();
    co_await server.stop();
  });
  io.run();
}
