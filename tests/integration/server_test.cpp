// tracehop::http::Server against raw bytes on loopback.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <numeric>

#include "run.hpp"
#include "server_fixture.hpp"
#include "server_routes.hpp"
#include "test_util.hpp"
#include "tracehop/http/session.hpp"

namespace asio = boost::asio;

using namespace tracehop;
using namespace tracehop::http;
using test::add_routes;
using test::RawClient;
using test::ServerThread;

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

// What cannot be listened on is a std::system_error that says where and why, in words; a host
// name listens on its first address.
TEST(Server, AnAddressInUseSaysWhereAndAHostNameResolves) {
  ServerThread first;
  first.start();
  asio::io_context io;
  Server second(io.get_executor(), {.host = "127.0.0.1", .port = first.port()});
  try {
    second.start();
    ADD_FAILURE() << "listened twice on one port";
  } catch (const std::system_error& e) {
    EXPECT_EQ(std::string(e.what()), "cannot listen on 127.0.0.1:" + std::to_string(first.port()) + ": Address already in use");
    EXPECT_EQ(e.code(), std::errc::address_in_use);
  }

  ServerThread named({.host = "localhost"});
  add_routes(named.server());
  named.start();
  EXPECT_EQ(named.server().url(), "http://localhost:" + std::to_string(named.port()));
  test::run([&]() -> asio::awaitable<void> {  // the client tries each of localhost's addresses
    ClientSession session(co_await asio::this_coro::executor);
    auto resp = co_await session.get(named.server().url() + "/items/named");
    EXPECT_EQ(resp.status(), 200);
    co_await resp.read();
    co_await session.close();
  });
}

// --- faults stay in their connection (issue 10) --------------------------------------------------

namespace {

// A server whose handlers misbehave in every way the tests below need.
struct FaultyServer {
  FaultyServer() {
    auto& s = st.server();
    add_routes(s);
    s.route("GET", "/throw-int", [](ServerRequest&) -> asio::awaitable<ServerResponse> {
      throw 42;
      co_return ServerResponse{};
    });
    s.route("GET", "/status/{code}", [](ServerRequest& r) -> asio::awaitable<ServerResponse> {
      co_return ServerResponse::text(std::stoi(r.param("code")), "a body the status may not allow");
    });
    s.route("GET", "/bad-header", [](ServerRequest&) -> asio::awaitable<ServerResponse> {
      auto resp = ServerResponse::text(200, "secret");
      resp.headers.set("X-Split", "a\r\nInjected: yes");
      co_return resp;
    });
    s.route("GET", "/stream", [](ServerRequest&) -> asio::awaitable<ServerResponse> {
      co_return ServerResponse::streamed(200, [](BodyWriter& out) -> asio::awaitable<void> {
        co_await out.write("first,");
        co_await out.write("");
        co_await out.write("second");
      });
    });
    s.route("GET", "/stream-fails-late", [](ServerRequest&) -> asio::awaitable<ServerResponse> {
      co_return ServerResponse::streamed(200, [](BodyWriter& out) -> asio::awaitable<void> {
        co_await out.write("partial");
        throw std::runtime_error("the source went away");
      });
    });
    s.route("GET", "/stream-fails-early", [](ServerRequest&) -> asio::awaitable<ServerResponse> {
      co_return ServerResponse::streamed(200, [](BodyWriter&) -> asio::awaitable<void> {
        throw 7;
        co_return;
      });
    });
    s.route("GET", "/big", [](ServerRequest&) -> asio::awaitable<ServerResponse> {
      co_return ServerResponse::text(200, std::string(32 << 20, 'b'));
    });
    s.use([](ServerRequest& r, const Handler& next) -> asio::awaitable<ServerResponse> {
      if (r.path == "/items/middleware-throws") throw std::logic_error("middleware failed");
      co_return co_await next(r);
    });
    st.start();
  }

  // The server is alive: a normal request on a new connection is answered.
  void expect_alive() {
    RawClient c(st.port());
    c.send("GET /items/alive HTTP/1.1\r\nHost: x\r\n\r\n");
    const auto r = c.read_response();
    EXPECT_EQ(r.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << r;
    EXPECT_NE(r.find("\"sku\":\"alive\""), std::string::npos) << r;
  }

  std::string body_of(const std::string& path, int* status = nullptr) {
    std::string body;
    test::run([&]() -> asio::awaitable<void> {
      ClientSession session(co_await asio::this_coro::executor);
      auto resp = co_await session.get(st.server().url() + path);
      if (status) *status = resp.status();
      body = co_await resp.read();
      co_await session.close();
    });
    return body;
  }

  ServerThread st;
};

}  // namespace

TEST(ServerFaults, AThrownExceptionOfAnyTypeIsA500AndTheServerGoesOn) {
  test::LogCapture log;
  FaultyServer fs;
  for (const char* path : {"/boom", "/throw-int", "/items/middleware-throws"}) {
    RawClient c(fs.st.port());
    c.send("GET " + std::string(path) + " HTTP/1.1\r\nHost: x\r\n\r\n");
    const auto r = c.read_response();
    EXPECT_EQ(r.rfind("HTTP/1.1 500", 0), 0u) << path << "\n" << r;
    EXPECT_NE(r.find("internal server error"), std::string::npos) << r;
    // The connection itself is fine: it takes the next request.
    c.send("GET /items/same HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(c.read_response().rfind("HTTP/1.1 200", 0), 0u) << path;
    fs.expect_alive();
  }
  EXPECT_TRUE(log.contains("GET /boom threw: handler failed"));
  EXPECT_TRUE(log.contains("GET /throw-int threw: an exception not derived from std::exception"));
  EXPECT_TRUE(log.contains("GET /items/{sku} threw: middleware failed"));
  EXPECT_EQ(fs.st.server().stats().failures, 3u);
}

TEST(ServerFaults, ABodyWhereNoneIsAllowedIsDroppedAndLoggedOncePerRoute) {
  test::LogCapture log;
  FaultyServer fs;
  for (int status : {204, 205, 304}) {
    RawClient c(fs.st.port());
    for (int i = 0; i < 2; ++i) {
      c.send("GET /status/" + std::to_string(status) + " HTTP/1.1\r\nHost: x\r\n\r\n");
      const auto r = c.read_response();
      EXPECT_EQ(r.rfind("HTTP/1.1 " + std::to_string(status), 0), 0u) << r;
      EXPECT_EQ(r.find("a body"), std::string::npos) << r;
      EXPECT_EQ(r.find("Content-Length") != std::string::npos, status == 205) << r;
    }
    // Nothing of the dropped body is left on the connection to be read as the next response.
    c.send("GET /items/next HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(c.read_response().rfind("HTTP/1.1 200", 0), 0u) << status;
  }
  std::size_t lines = 0;
  for (const auto& [level, line] : log.lines())
    if (line.find("GET /status/{code}: a 204 response has no content") != std::string::npos) ++lines;
  EXPECT_EQ(lines, 1u);
  fs.expect_alive();
}

TEST(ServerFaults, AStatusThatIsNotFinalOrAHeaderThatWouldSplitTheResponseIsA500) {
  test::LogCapture log;
  FaultyServer fs;
  for (const char* path : {"/status/100", "/status/101", "/status/99", "/status/600", "/bad-header"}) {
    RawClient c(fs.st.port());
    c.send("GET " + std::string(path) + " HTTP/1.1\r\nHost: x\r\n\r\n");
    const auto r = c.read_response();
    EXPECT_EQ(r.rfind("HTTP/1.1 500", 0), 0u) << path << "\n" << r;
    EXPECT_EQ(r.find("Injected"), std::string::npos) << r;
    EXPECT_EQ(r.find("secret"), std::string::npos) << r;
    fs.expect_alive();
  }
  EXPECT_TRUE(log.contains("GET /bad-header: header field 'X-Split' has CR, LF or NUL in its value; answered 500"));
  EXPECT_TRUE(log.contains("GET /status/{code}: status 101 is not a final status (200-599); answered 500"));
}

TEST(ServerFaults, AStreamedBodyArrivesInChunks) {
  FaultyServer fs;
  EXPECT_EQ(fs.body_of("/stream"), "first,second");
  RawClient c(fs.st.port());
  c.send("GET /stream HTTP/1.1\r\nHost: x\r\n\r\n");
  c.send("GET /stream HTTP/1.0\r\nHost: x\r\n\r\n");  // HTTP/1.0: no chunks, the body ends at close
  const auto r = c.read_all();
  EXPECT_NE(r.find("Transfer-Encoding: chunked\r\n"), std::string::npos) << r;
  EXPECT_NE(r.find("\r\n\r\n6\r\nfirst,\r\n6\r\nsecond\r\n0\r\n\r\nHTTP/1.0 200 OK\r\n"), std::string::npos) << r;
  EXPECT_TRUE(r.ends_with("\r\n\r\nfirst,second")) << r;
}

TEST(ServerFaults, AStreamThatThrowsAfterItBeganClosesTheConnectionWithoutTheLastChunk) {
  test::LogCapture log;
  FaultyServer fs;
  {
    RawClient c(fs.st.port());
    c.send("GET /stream-fails-late HTTP/1.1\r\nHost: x\r\n\r\n");
    const auto r = c.read_all();  // the server closes: the read ends
    EXPECT_EQ(r.rfind("HTTP/1.1 200", 0), 0u) << r;
    EXPECT_NE(r.find("7\r\npartial\r\n"), std::string::npos) << r;
    EXPECT_EQ(r.find("0\r\n\r\n"), std::string::npos) << r;  // never looks complete
  }
  EXPECT_THROW(fs.body_of("/stream-fails-late"), ClientPayloadError);
  EXPECT_TRUE(log.contains("GET /stream-fails-late: the body stream threw after the response began: the source "
                           "went away; connection closed"));
  fs.expect_alive();

  int status = 0;
  EXPECT_EQ(fs.body_of("/stream-fails-early", &status), "internal server error\n");
  EXPECT_EQ(status, 500);
  fs.expect_alive();
}

TEST(ServerFaults, HeadOnAGetRouteSendsItsHeadersOnly) {
  FaultyServer fs;
  RawClient c(fs.st.port());
  c.send("GET /items/abc HTTP/1.1\r\nHost: x\r\n\r\n");
  const auto get = c.read_response();
  c.send("HEAD /items/abc HTTP/1.1\r\nHost: x\r\n\r\n");
  c.send("HEAD /stream HTTP/1.1\r\nHost: x\r\n\r\n");
  c.send("HEAD /echo HTTP/1.1\r\nHost: x\r\n\r\n");
  c.send("HEAD /nothing HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  const auto heads = c.read_all();
  // None of the answers has a body, so they follow one another head after head.
  std::vector<std::string> answers;
  for (std::size_t at = 0, end; (end = heads.find("\r\n\r\n", at)) != std::string::npos; at = end + 4)
    answers.push_back(heads.substr(at, end + 4 - at));
  ASSERT_EQ(answers.size(), 4u) << heads;
  EXPECT_EQ(answers[0], get.substr(0, get.find("\r\n\r\n") + 4));  // the GET's headers, exactly
  EXPECT_EQ(answers[1].rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << answers[1];
  EXPECT_NE(answers[1].find("Transfer-Encoding: chunked\r\n"), std::string::npos) << answers[1];
  EXPECT_EQ(answers[2].rfind("HTTP/1.1 405", 0), 0u) << answers[2];
  EXPECT_NE(answers[2].find("Allow: POST\r\n"), std::string::npos) << answers[2];
  EXPECT_EQ(answers[3].rfind("HTTP/1.1 404", 0), 0u) << answers[3];
  EXPECT_EQ(std::accumulate(answers.begin(), answers.end(), std::string()), heads);  // no byte of a body
}

TEST(ServerFaults, AClientThatResetsMidRequestOrMidResponseEndsOnlyItsConnection) {
  FaultyServer fs;
  {
    RawClient c(fs.st.port());
    c.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\nonly the start");
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    c.reset();
  }
  {
    RawClient c(fs.st.port());
    c.send("GET /big HTTP/1.1\r\nHost: x\r\n\r\n");
    ASSERT_EQ(c.read_all(16).rfind("HTTP/1.1 200", 0), 0u);  // the response has begun
    c.reset();
  }
  fs.expect_alive();
  for (int i = 0; i < 200 && fs.st.server().stats().open > 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ(fs.st.server().stats().open, 0u);  // both connections are gone, not stuck
}

TEST(ServerFaults, StopStillFinishesAnInFlightStreamedResponse) {
  ServerThread st;
  std::atomic<bool> streaming{false};
  st.server().route("GET", "/slow-stream", [&](ServerRequest&) -> asio::awaitable<ServerResponse> {
    co_return ServerResponse::streamed(200, [&](BodyWriter& out) -> asio::awaitable<void> {
      co_await out.write("begun;");
      streaming = true;
      co_await test::sleep_for(std::chrono::milliseconds(200));
      co_await out.write("ended");
    });
  });
  st.start();
  RawClient c(st.port());
  c.send("GET /slow-stream HTTP/1.1\r\nHost: x\r\n\r\n");
  while (!streaming) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  std::thread stopper([&] { st.stop(); });
  const auto r = c.read_all();
  stopper.join();
  EXPECT_NE(r.find("6\r\nbegun;\r\n5\r\nended\r\n0\r\n\r\n"), std::string::npos) << r;
}
