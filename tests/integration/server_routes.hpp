#pragma once
// The routes the server tests share: a JSON item by path template, an echo, a handler that throws.

#include <stdexcept>

#include "tracehop/http/server.hpp"

namespace tracehop::test {

inline void add_routes(http::Server& s) {
  s.route("GET", "/items/{sku}", [](http::ServerRequest& r) -> boost::asio::awaitable<http::ServerResponse> {
    co_return http::ServerResponse::json(200, {{"sku", r.param("sku")}, {"route", r.route}});
  });
  s.route("POST", "/echo", [](http::ServerRequest& r) -> boost::asio::awaitable<http::ServerResponse> {
    co_return http::ServerResponse::text(200, r.method + " " + r.body);
  });
  s.route("GET", "/boom", [](http::ServerRequest&) -> boost::asio::awaitable<http::ServerResponse> {
    throw std::runtime_error("handler failed");
    co_return http::ServerResponse{};
  });
}

}  // namespace tracehop::test
