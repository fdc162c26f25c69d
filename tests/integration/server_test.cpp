// tracehop::http::Server against raw bytes on loopback.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "server_fixture.hpp"

using namespace tracehop;
using namespace tracehop::http;
using test::RawClient;
using test::ServerThread;

namespace {

void add_routes(Server& s) {
  s.route("GET", "/items/{sku}", [](ServerRequest& r) -> asio::awaitable<ServerResponse> {
    co_return ServerResponse::json(200, {{"sku", r.param("sku")}, {"route", r.route}});
  });
  s.route("POST", "/echo", [](ServerRequest& r) -> asio::awaitable<ServerResponse> {
    co_return ServerResponse::text(200, r.method + " " + r.body);
  });
  s.route("GET", "/boom", [](ServerRequest&) -> asio::awaitable<ServerResponse> {
    throw std::runtime_error("handler failed");
    co_return ServerResponse{};
  });
}

}  // namespace

TEST(Server, RoutesWithPathTemplates) {
  ServerThread st;
  add_routes(st.server());
  st.start();
  RawClient c(st.port());
  c.send("GET /items/SKU%2D9931 HTTP/1.1\r\nHost: x\r\n\r\n");
  const auto resp = c.read_response();
  EXPECT_EQ(resp.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << resp;
  const auto body = boost::json::parse(resp.substr(resp.find("\r\n\r\n") + 4));
  EXPECT_EQ(body.at("sku"), "SKU-9931");
  EXPECT_EQ(body.at("route"), "/items/{sku}");
}

TEST(Server, KeepAliveServesSeveralRequestsOnOneConnection) {
  ServerThread st;
  add_routes(st.server());
  st.start();
  RawClient c(st.port());
  for (int i = 0; i < 3; ++i) {
    c.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello");
    EXPECT_NE(c.read_response().find("POST hello"), std::string::npos);
  }
  EXPECT_EQ(st.server().stats().accepted, 1u);
  EXPECT_EQ(st.server().stats().requests, 3u);
}

TEST(Server, NotFoundMethodNotAllowedAndHandlerErrors) {
  ServerThread st;
  add_routes(st.server());
  st.start();
  {
    RawClient c(st.port());
    c.send("GET /nothing HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(c.read_response().rfind("HTTP/1.1 404", 0), 0u);
    c.send("DELETE /echo HTTP/1.1\r\nHost: x\r\n\r\n");
    const auto r = c.read_response();
    EXPECT_EQ(r.rfind("HTTP/1.1 405", 0), 0u) << r;
    EXPECT_NE(r.find("Allow: POST"), std::string::npos) << r;
    c.send("GET /boom HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(c.read_response().rfind("HTTP/1.1 500", 0), 0u);
  }
}

TEST(Server, MalformedRequestGets400AndClose) {
  ServerThread st;
  add_routes(st.server());
  st.start();
  RawClient c(st.port());
  c.send("THIS IS NOT HTTP\r\n\r\n");
  const auto r = c.read_all();
  EXPECT_EQ(r.rfind("HTTP/1.1 400", 0), 0u) << r;
}

TEST(Server, LimitsOnHeaderSizeHeaderCountAndBody) {
  ServerThread st({.max_header_bytes = 1024, .max_header_count = 10, .max_body_bytes = 16});
  add_routes(st.server());
  st.start();
  {
    RawClient c(st.port());
    c.send("GET /items/a HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(2000, 'a') + "\r\n\r\n");
    EXPECT_EQ(c.read_all().rfind("HTTP/1.1 431", 0), 0u);
  }
  {
    RawClient c(st.port());
    std::string req = "GET /items/a HTTP/1.1\r\nHost: x\r\n";
    for (int i = 0; i < 20; ++i) req += "X-" + std::to_string(i) + ": v\r\n";
    c.send(req + "\r\n");
    EXPECT_EQ(c.read_all().rfind("HTTP/1.1 431", 0), 0u);
  }
  {
    RawClient c(st.port());
    c.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n" + std::string(100, 'b'));
    EXPECT_EQ(c.read_all().rfind("HTTP/1.1 413", 0), 0u);
  }
}

TEST(Server, IdleKeepAliveConnectionIsClosedAfterTheTimeout) {
  ServerThread st({.keepalive_timeout = std::chrono::milliseconds(100)});
  add_routes(st.server());
  st.start();
  RawClient c(st.port());
  c.send("GET /items/a HTTP/1.1\r\nHost: x\r\n\r\n");
  c.read_response();
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(c.read_all(), "");  // the server closes the idle connection
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST(Server, HeadGetsHeadersOnly) {
  ServerThread st;
  st.server().route("HEAD", "/h", [](ServerRequest&) -> asio::awaitable<ServerResponse> {
    co_return ServerResponse::text(200, "twelve bytes");
  });
  st.start();
  RawClient c(st.port());
  c.send("HEAD /h HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  const auto r = c.read_all();
  EXPECT_NE(r.find("Content-Length: 12\r\n"), std::string::npos) << r;
  EXPECT_EQ(r.substr(r.find("\r\n\r\n") + 4), "");
}

TEST(Server, GracefulStopFinishesInFlightRequests) {
  ServerThread st;
  std::atomic<bool> in_handler{false};
  st.server().route("GET", "/slow", [&](ServerRequest&) -> asio::awaitable<ServerResponse> {
    in_handler = true;
    asio::steady_timer t(co_await asio::this_coro::executor, std::chrono::milliseconds(200));
    co_await t.async_wait(asio::use_awaitable);
    co_return ServerResponse::text(200, "finished");
  });
  st.start();
  RawClient idle(st.port());  // an idle keep-alive connection must not hold the stop up
  RawClient c(st.port());
  c.send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n");
  while (!in_handler) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  std::thread stopper([&] { st.stop(); });
  const auto r = c.read_all();
  stopper.join();
  EXPECT_NE(r.find("finished"), std::string::npos) << r;
  EXPECT_NE(r.find("Connection: close"), std::string::npos) << r;
  EXPECT_EQ(idle.read_all(), "");
}

TEST(Server, MiddlewareSeesTheRouteAndWrapsTheHandler) {
  ServerThread st;
  add_routes(st.server());
  std::string seen_route;
  st.server().use([&](ServerRequest& r, const Handler& next) -> asio::awaitable<ServerResponse> {
    seen_route = r.route;
    auto resp = co_await next(r);
    resp.headers.set("X-Wrapped", "yes");
    co_return resp;
  });
  st.start();
  RawClient c(st.port());
  c.send("GET /items/z HTTP/1.1\r\nHost: x\r\n\r\n");
  const auto r = c.read_response();
  EXPECT_NE(r.find("X-Wrapped: yes"), std::string::npos) << r;
  EXPECT_EQ(seen_route, "/items/{sku}");
}

TEST(Server, ListensOnIpv6Loopback) {
  ServerThread st({.host = "::1"});
  add_routes(st.server());
  st.start();
  EXPECT_EQ(st.server().url().rfind("http://[::1]:", 0), 0u);
  RawClient c(st.port(), "::1");
  c.send("GET /items/v6 HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(c.read_response().rfind("HTTP/1.1 200", 0), 0u);
}
