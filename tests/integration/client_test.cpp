// ClientSession against real servers on loopback: tracehop's own Server, and scripted raw
// peers for what a well-behaved server never sends.
#include <gtest/gtest.h>

#include "content_encoding.hpp"
#include "raw_server.hpp"
#include "server_fixture.hpp"
#include "test_util.hpp"
#include "run.hpp"
#include "tracehop/http/session.hpp"

#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json.hpp>
#include <mutex>
#include <sstream>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>

namespace asio = boost::asio;

using namespace tracehop;
using namespace tracehop::http;
using test::run;
using test::sleep_for;
using namespace std::chrono_literals;
using test::RawServer;
using test::ServerThread;
namespace json = boost::json;

namespace {



void add_routes(Server& s) {
  s.route("GET", "/items/{sku}", [](ServerRequest& r) -> asio::awaitable<ServerResponse> {
    co_return ServerResponse::json(200, {{"sku", r.param("sku")}, {"price", 12.5}});
  });
  s.route("*", "/echo", [](ServerRequest& r) -> asio::awaitable<ServerResponse> {
    json::array headers;
    for (const auto& [n, v] : r.headers) headers.push_back(json::array{json::string(n), json::string(v)});
    co_return ServerResponse::json(200, {{"method", r.method}, {"query", r.query}, {"body", r.body}, {"headers", headers}});
  });
  s.route("GET", "/status/{code}", [](ServerRequest& r) -> asio::awaitable<ServerResponse> {
    co_return ServerResponse::text(std::stoi(r.param("code")), "status " + r.param("code"));
  });
  s.route("GET", "/delay/{ms}", [](ServerRequest& r) -> asio::awaitable<ServerResponse> {
    co_await sleep_for(std::chrono::milliseconds(std::stoi(r.param("ms"))));
    co_return ServerResponse::text(200, "slept");
  });
  s.route("*", "/redirect/{n}", [](ServerRequest& r) -> asio::awaitable<ServerResponse> {
    const int n = std::stoi(r.param("n"));
    ServerResponse resp = ServerResponse::text(302, "");
    resp.headers.set("Location", n > 1 ? std::to_string(n - 1) : "/echo");  // relative, then absolute path
    co_return resp;
  });
  s.route("POST", "/inflate", [](ServerRequest& r) -> asio::awaitable<ServerResponse> {
    const std::string coding(r.headers.first("Content-Encoding").value_or("identity"));
    co_return ServerResponse::text(200, coding + " " + std::to_string(r.body.size()) + " " +
                                            http::detail::decode_content(r.body, coding, 1 << 20));
  });
  s.route("GET", "/gzip", [](ServerRequest& r) -> asio::awaitable<ServerResponse> {
    ServerResponse resp = ServerResponse::text(200, http::detail::gzip_compress(std::string(2000, 'z') + "|end"));
    resp.headers.set("Content-Encoding", "gzip");
    resp.headers.set("X-Accept-Encoding", std::string(r.headers.first("Accept-Encoding").value_or("")));
    co_return resp;
  });
  s.route("GET", "/bad-gzip", [](ServerRequest&) -> asio::awaitable<ServerResponse> {
    ServerResponse resp = ServerResponse::text(200, "this is not gzip at all");
    resp.headers.set("Content-Encoding", "gzip");
    co_return resp;
  });
  s.route("GET", "/loop", [](ServerRequest&) -> asio::awaitable<ServerResponse> {
    ServerResponse resp = ServerResponse::text(302, "");
    resp.headers.set("Location", "/loop");
    co_return resp;
  });
  s.route("POST", "/see-other", [](ServerRequest&) -> asio::awaitable<ServerResponse> {
    ServerResponse resp = ServerResponse::text(303, "");
    resp.headers.set("Location", "/echo");
    co_return resp;
  });
}

struct ClientTest : ::testing::Test {
  void SetUp() override {
    add_routes(server.server());
    server.start();
  }
  std::string url(std::string_view path) { return server.server().url() + std::string(path); }
  ServerThread server;
};

json::value header_value(const json::value& echo, std::string_view name) {
  for (const auto& h : echo.at("headers").as_array())
    if (h.as_array()[0].as_string() == name) return h.as_array()[1];
  return nullptr;
}

}  // namespace

TEST_F(ClientTest, GetJson) {
  run([&]() -> asio::awaitable<void> {
    ClientSession session(co_await asio::this_coro::executor);
    auto resp = co_await session.get(url("/items/SKU-9931"));
    EXPECT_EQ(resp.status(), 200);
    EXPECT_EQ(resp.reason(), "OK");
    EXPECT_EQ(resp.headers().first("content-type"), "application/json");
    auto item = co_await resp.json();
    EXPECT_EQ(item.at("sku"), "SKU-9931");
    EXPECT_EQ(item.at("price").as_double(), 12.5);
    co_await session.close();
  });
}

TEST_F(ClientTest, BodiesQueryAndHeadersInCallerOrder) {
  run([&]() -> asio::awaitable<void> {
    // (g++ 12 rejects braced lists inside a co_await expression: options are built first.)
    SessionOptions session_options{.headers = {{"X-Session", "s"}}};
    ClientSession session(co_await asio::this_coro::executor, std::move(session_options));
    RequestOptions o1{.headers = {{"X-B", "2"}, {"X-A", "1"}}, .params = {{"q", "a b"}}, .json = json::value{{"k", 1}}};
    auto r1 = co_await session.post(url("/echo"), o1);
    auto e1 = co_await r1.json();
    EXPECT_EQ(e1.at("method"), "POST");
    EXPECT_EQ(e1.at("query"), "q=a%20b");
    EXPECT_EQ(json::parse(e1.at("body").as_string()).at("k"), 1);
    EXPECT_EQ(header_value(e1, "Content-Type"), "application/json");
    EXPECT_EQ(header_value(e1, "X-Session"), "s");
    // The caller's headers keep their order.
    std::vector<std::string> names;
    for (const auto& h : e1.at("headers").as_array()) names.emplace_back(h.as_array()[0].as_string());
    auto pos = [&](std::string_view n) { return std::find(names.begin(), names.end(), n) - names.begin(); };
    EXPECT_LT(pos("X-B"), pos("X-A"));

    RequestOptions o2{.form = QueryParams{{"a", "1"}, {"b", "x y"}}};
    auto r2 = co_await session.put(url("/echo"), o2);
    auto e2 = co_await r2.json();
    EXPECT_EQ(e2.at("body"), "a=1&b=x%20y");
    EXPECT_EQ(header_value(e2, "Content-Type"), "application/x-www-form-urlencoded");

    RequestOptions o3{.data = std::string("raw bytes")};
    auto r3 = co_await session.patch(url("/echo"), o3);
    EXPECT_EQ((co_await r3.json()).at("body"), "raw bytes");
    co_await session.close();
  });
}

TEST_F(ClientTest, BodyLargerThanTheSocketBufferIsWrittenWhole) {
  // 6 MiB is more than Linux lets a TCP socket buffer (tcp_wmem's maximum is 4 MiB): the
  // immediate write takes a part, and the rest goes out asynchronously.
  run([&]() -> asio::awaitable<void> {
    ClientSession session(co_await asio::this_coro::executor);
    std::string big(6 << 20, 'x');
    for (std::size_t i = 0; i < big.size(); i += 4096) big[i] = static_cast<char>('a' + (i / 4096) % 26);
    RequestOptions o{.data = big};
    auto r = co_await session.post(url("/echo"), o);
    auto echo = co_await r.json();
    EXPECT_TRUE(echo.at("body").as_string() == big);
    auto again = co_await session.get(url("/items/after"));  // the connection is still in step
    EXPECT_EQ((co_await again.json()).at("sku"), "after");
    EXPECT_EQ(session.pool_stats().open, 1u);
    co_await session.close();
  });
}

TEST_F(ClientTest, KeepAliveReusesOneConnection) {
  run([&]() -> asio::awaitable<void> {
    ClientSession session(co_await asio::this_coro::executor);
    for (int i = 0; i < 10; ++i) {
      auto resp = co_await session.get(url("/items/x"));
      co_await resp.read();
    }
    EXPECT_EQ(session.pool_stats().created, 1u);
    EXPECT_EQ(session.pool_stats().reused, 9u);
    EXPECT_EQ(session.pool_stats().idle, 1u);
    co_await session.close();
  });
  EXPECT_EQ(server.server().stats().accepted, 1u);
}

TEST_F(ClientTest, UnreadBodyClosesTheConnectionInsteadOfPoolingIt) {
  run([&]() -> asio::awaitable<void> {
    ClientSession session(co_await asio::this_coro::executor);
    { auto resp = co_await session.get(url("/items/x")); }  // dropped without reading
    EXPECT_EQ(session.pool_stats().idle, 0u);
    EXPECT_EQ(session.pool_stats().open, 0u);
    auto resp = co_await session.get(url("/items/y"));
    EXPECT_EQ((co_await resp.json()).at("sku"), "y");
    EXPECT_EQ(session.pool_stats().created, 2u);
    co_await session.close();
  });
}

namespace {
void run_concurrent(ServerThread& server, ConnectorOptions connector, int requests, int threads) {
  std::atomic<int> ok{0};
  run([&]() -> asio::awaitable<void> {
    SessionOptions session_options{.connector = connector};
    ClientSession session(co_await asio::this_coro::executor, std::move(session_options));
    auto ex = co_await asio::this_coro::executor;
    std::vector<std::future<void>> done;
    for (int i = 0; i < requests; ++i) {
      done.push_back(spawn(ex, [&, i]() -> asio::awaitable<void> {
        auto resp = co_await session.get(server.server().url() + "/delay/" + std::to_string(1 + i % 3));
        if ((co_await resp.read()) == "slept") ++ok;
      }, asio::use_future));
    }
    while (ok.load() + 0 < requests && session.pool_stats().open + session.pool_stats().waiting > 0)
      co_await sleep_for(5ms);
    for (auto& d : done) d.get();
    EXPECT_LE(session.pool_stats().peak_open, connector.limit_per_host ? connector.limit_per_host : connector.limit);
    co_await session.close();
  }, threads);
  EXPECT_EQ(ok.load(), requests);
}
}  // namespace

TEST_F(ClientTest, LimitIsNeverExceededUnder1000ConcurrentRequests) {
  run_concurrent(server, {.limit = 10}, 1000, 1);
  EXPECT_LE(server.server().stats().peak_open, 10u);
  EXPECT_GE(server.server().stats().peak_open, 2u);
}

TEST_F(ClientTest, LimitPerHostIsNeverExceededOnTwoThreads) {
  run_concurrent(server, {.limit = 100, .limit_per_host = 3}, 1000, 2);
  EXPECT_LE(server.server().stats().peak_open, 3u);
}

TEST_F(ClientTest, WaitersAreServedInFifoOrder) {
  std::vector<int> order;
  std::mutex mu;
  run([&]() -> asio::awaitable<void> {
    SessionOptions session_options{.connector = {.limit = 1}};
    ClientSession session(co_await asio::this_coro::executor, std::move(session_options));
    auto ex = co_await asio::this_coro::executor;
    std::vector<std::future<void>> done;
    for (int i = 0; i < 10; ++i) {
      done.push_back(spawn(ex, [&, i]() -> asio::awaitable<void> {
        // The first holds the only connection long enough for the other nine to queue up.
        auto resp = co_await session.get(url(i == 0 ? "/delay/300" : "/delay/2"));
        {
          std::lock_guard lk(mu);
          order.push_back(i);
        }
        co_await resp.read();
      }, asio::use_future));
      // Queue them in a known order: the next one starts once this one holds the connection
      // (the first) or waits for it (bounded, so a very slow machine cannot hang the test).
      for (int tries = 0; tries < 1000 && (i == 0 ? session.pool_stats().open == 0
                                                   : session.pool_stats().waiting < static_cast<std::size_t>(i));
           ++tries)
        co_await sleep_for(1ms);
    }
    while (session.pool_stats().waiting > 0 || order.size() < 10) co_await sleep_for(5ms);
    co_await session.close();
  });
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
}

TEST_F(ClientTest, TotalTimeout) {
  run([&]() -> asio::awaitable<void> {
    ClientSession session(co_await asio::this_coro::executor);
    try {
      RequestOptions o2{.timeout = ClientTimeout{.total = 100ms}};
      co_await session.get(url("/delay/700"), o2);
      ADD_FAILURE() << "no timeout";
    } catch (const ServerTimeoutError& e) {
      EXPECT_EQ(e.timeout_kind(), TimeoutKind::Total);
    }
    co_await session.close();
  });
}

TEST_F(ClientTest, SockReadTimeout) {
  run([&]() -> asio::awaitable<void> {
    ClientSession session(co_await asio::this_coro::executor);
    RequestOptions o3{.timeout = ClientTimeout{.sock_read = 100ms}};
    EXPECT_THROW(co_await session.get(url("/delay/700"), o3),
                 SocketTimeoutError);
    co_await session.close();
  });
}

TEST_F(ClientTest, ConnectTimeoutCoversWaitingForThePool) {
  run([&]() -> asio::awaitable<void> {
    SessionOptions session_options{.connector = {.limit = 1}};
    ClientSession session(co_await asio::this_coro::executor, std::move(session_options));
    auto ex = co_await asio::this_coro::executor;
    auto holder = spawn(ex, [&]() -> asio::awaitable<void> {
      auto r = co_await session.get(url("/delay/500"));
      co_await r.read();
    }, asio::use_future);
    for (int tries = 0; tries < 1000 && session.pool_stats().open == 0; ++tries) co_await sleep_for(1ms);
    try {
      RequestOptions o4{.timeout = ClientTimeout{.connect = 50ms}};
      co_await session.get(url("/items/x"), o4);
      ADD_FAILURE() << "no timeout";
    } catch (const ConnectionTimeoutError& e) {
      EXPECT_EQ(e.timeout_kind(), TimeoutKind::Connect);
    }
    while (session.pool_stats().open > 0 && session.pool_stats().idle == 0) co_await sleep_for(10ms);
    holder.get();
    co_await session.close();
  });
}

TEST(ClientErrors, SockConnectTimeoutAgainstAServerThatNeverAccepts) {
  // A listener with a full accept queue drops further SYNs, so the connect hangs.
  asio::io_context io;
  asio::ip::tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), 0});
  acceptor.listen(0);
  const auto port = acceptor.local_endpoint().port();
  // Connect until a connect no longer completes: the queue is full from then on.
  std::vector<asio::ip::tcp::socket> fillers;
  const asio::ip::tcp::endpoint target(asio::ip::make_address("127.0.0.1"), port);
  for (int i = 0; i < 64; ++i) {
    fillers.emplace_back(io);
    fillers.back().open(asio::ip::tcp::v4());
    const int fd = fillers.back().native_handle();
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
    ::connect(fd, target.data(), static_cast<socklen_t>(target.size()));  // in progress
    pollfd pfd{fd, POLLOUT, 0};
    if (::poll(&pfd, 1, 100) == 0) break;  // this one hangs: the listener drops SYNs now
  }
  run([&]() -> asio::awaitable<void> {
    ClientSession session(co_await asio::this_coro::executor);
    try {
      RequestOptions o{.timeout = ClientTimeout{.total = 5s, .sock_connect = 200ms}};
      co_await session.get("http://127.0.0.1:" + std::to_string(port) + "/", o);
      ADD_FAILURE() << "connected to a listener that never accepts";
    } catch (const ConnectionTimeoutError& e) {
      EXPECT_EQ(e.timeout_kind(), TimeoutKind::SockConnect);
    } catch (const ClientError& e) {
      ADD_FAILURE() << "unexpected: " << e.what();
    }
    co_await session.close();
  });
}

TEST(ClientErrors, ConnectionRefusedNamesHostAndPort) {
  asio::io_context io;
  asio::ip::tcp::acceptor a(io, {asio::ip::make_address("127.0.0.1"), 0});
  const auto port = a.local_endpoint().port();
  a.close();  // nothing listens there now
  run([&]() -> asio::awaitable<void> {
    ClientSession session(co_await asio::this_coro::executor);
    try {
      co_await session.get("http://127.0.0.1:" + std::to_string(port) + "/");
      ADD_FAILURE() << "no error";
    } catch (const ClientConnectorError& e) {
      EXPECT_EQ(e.port(), port);
      EXPECT_NE(std::string(e.what()).find("127.0.0.1:" + std::to_string(port)), std::string::npos) << e.what();
    }
    EXPECT_EQ(session.pool_stats().open, 0u);  // the reserved slot was given back
    co_await session.close();
  });
}

TEST(ClientErrors, InvalidUrlBeforeAnyIo) {
  run([&]() -> asio::awaitable<void> {
    ClientSession session(co_await asio::this_coro::executor);
    EXPECT_THROW(co_await session.get("not a url"), InvalidURL);
    EXPECT_EQ(session.pool_stats().created, 0u);
    co_await session.close();
  });
}

TEST(ClientErrors, TruncatedBodyIsAPayloadError) {
  RawServer peer([](asio::ip::tcp::socket& s, int) {
    RawServer::read_request(s);
    RawServer::write(s, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten b");
  });
  run([&]() -> asio::awaitable<void> {
    ClientSession session(co_await asio::this_coro::executor);
    auto resp = co_await session.get(peer.url());
    EXPECT_EQ(resp.status(), 200);
    EXPECT_THROW(co_await resp.read(), ClientPayloadError);
    EXPECT_EQ(session.pool_stats().open, 0u);
    co_await session.close();
  });
}

TEST(ClientErrors, MalformedStatusLineAndHeaders) {
  for (const char* bad : {"HTTP/1.1 2x0 OK\r\n\r\n", "HTTP/1.1 020 OK\r\n\r\n", "NOT HTTP AT ALL\r\n\r\n",
                          "HTTP/1.1 200 OK\r\nBad Header Line\r\n\r\n",
                          "HTTP/1.1 200 OK\r\nContent-Length: abc\r\n\r\n"}) {
    RawServer peer([bad](asio::ip::tcp::socket& s, int) {
      RawServer::read_request(s);
      RawServer::write(s, bad);
    });
    run([&]() -> asio::awaitable<void> {
      ClientSession session(co_await asio::this_coro::executor);
      try {
        co_await session.get(peer.url());
        ADD_FAILURE() << "accepted: " << bad;
      } catch (const ClientResponseError& e) {
        EXPECT_EQ(e.code(), errc::malformed_response) << bad;
        EXPECT_EQ(e.status(), 0);
      }
      co_await session.close();
    });
  }
}

TEST(ClientErrors, ServerClosingBeforeAnswering) {
  RawServer peer([](asio::ip::tcp::socket& s, int) {
    RawServer::read_request(s);  // and close without a word
  });
  run([&]() -> asio::awaitable<void> {
    ClientSession session(co_await asio::this_coro::executor);
    RequestOptions o5{.data = std::string("x")};
    EXPECT_THROW(co_await session.post(peer.url(), o5), ServerDisconnectedError);
    co_await session.close();
  });
}

TEST(ClientPool, StaleReusedConnectionIsRetriedOnceOnAFreshOne) {
  // Connection 0 answers once (keep-alive), then closes after reading the second request
  // without answering; connection 1 answers normally.
  RawServer peer([](asio::ip::tcp::socket& s, int index) {
    for (int n = 0;; ++n) {
      if (RawServer::read_request(s).empty()) return;
      if (index == 0 && n == 1) return;  // a server dropping an idle connection, too late
      RawServer::write(s, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    }
  });
  run([&]() -> asio::awaitable<void> {
    ClientSession session(co_await asio::this_coro::executor);
    auto r1 = co_await session.get(peer.url());
    EXPECT_EQ(co_await r1.read(), "ok");
    auto r2 = co_await session.get(peer.url());
    EXPECT_EQ(co_await r2.read(), "ok");
    EXPECT_EQ(session.pool_stats().created, 2u);
    co_await session.close();
  });
}

TEST(ClientPool, NonIdempotentRequestIsNotRetried) {
  RawServer peer([](asio::ip::tcp::socket& s, int index) {
    for (int n = 0;; ++n) {
      if (RawServer::read_request(s).empty()) return;
      if (index == 0 && n == 1) return;
      RawServer::write(s, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    }
  });
  run([&]() -> asio::awaitable<void> {
    ClientSession session(co_await asio::this_coro::executor);
    auto r1 = co_await session.get(peer.url());
    co_await r1.read();
    RequestOptions o6{.data = std::string("once")};
    EXPECT_THROW(co_await session.post(peer.url(), o6), ServerDisconnectedError);
    co_await session.close();
  });
}

TEST(ClientPool, ServerClosingIdleConnectionsIsDetected) {
  ServerThread server({.keepalive_timeout = 50ms});
  add_routes(server.server());
  server.start();
  run([&]() -> asio::awaitable<void> {
    ClientSession session(co_await asio::this_coro::executor);
    auto r1 = co_await session.get(server.server().url() + "/items/a");
    co_await r1.read();
    co_await sleep_for(200ms);  // the server closes the idle connection meanwhile
    RequestOptions o7{.data = std::string("after")};
    auto r2 = co_await session.post(server.server().url() + "/echo", o7);
    EXPECT_EQ((co_await r2.json()).at("body"), "after");  // even a POST: the stale one was never used
    EXPECT_EQ(session.pool_stats().created, 2u);
    co_await session.close();
  });
}

TEST(ClientPool, IdleConnectionsExpireAfterKeepaliveTimeout) {
  ServerThread server;
  add_routes(server.server());
  server.start();
  run([&]() -> asio::awaitable<void> {
    SessionOptions session_options{.connector = {.keepalive_timeout = 50ms}};
    ClientSession session(co_await asio::this_coro::executor, std::move(session_options));
    auto r1 = co_await session.get(server.server().url() + "/items/a");
    co_await r1.read();
    co_await sleep_for(100ms);
    auto r2 = co_await session.get(server.server().url() + "/items/b");
    co_await r2.read();
    EXPECT_EQ(session.pool_stats().created, 2u);
    EXPECT_EQ(session.pool_stats().reused, 0u);
    co_await session.close();
  });
}

TEST_F(ClientTest, ChunkedResponse) {
  RawServer peer([](asio::ip::tcp::socket& s, int) {
    RawServer::read_request(s);
    RawServer::write(s, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
  });
  run([&]() -> asio::awaitable<void> {
    ClientSession session(co_await asio::this_coro::executor);
    auto resp = co_await session.get(peer.url());
    EXPECT_EQ(co_await resp.read(), "hello world");
    co_await session.close();
  });
}

TEST_F(ClientTest, RedirectsRelativeAbsoluteAndLoop) {
  run([&]() -> asio::awaitable<void> {
    ClientSession session(co_await asio::this_coro::executor);
    auto resp = co_await session.get(url("/redirect/3"));
    EXPECT_EQ(resp.status(), 200);
    EXPECT_EQ(resp.redirects(), 3);
    EXPECT_EQ(std::string(resp.url().encoded_path()), "/echo");
    co_await resp.read();

    RequestOptions o8{.allow_redirects = false};
    auto no_follow = co_await session.get(url("/redirect/1"), o8);
    EXPECT_EQ(no_follow.status(), 302);
    co_await no_follow.read();

    try {
      co_await session.get(url("/loop"));
      ADD_FAILURE() << "no TooManyRedirects";
    } catch (const TooManyRedirects& e) {
      EXPECT_EQ(e.status(), 302);
    }
    RequestOptions o9{.data = std::string("payload")};
    auto post = co_await session.post(url("/see-other"), o9);
    auto echo = co_await post.json();
    EXPECT_EQ(echo.at("method"), "GET");  // 303: the next hop is a GET without the body
    EXPECT_EQ(echo.at("body"), "");
    co_await session.close();
  });
}

TEST_F(ClientTest, RaiseForStatus) {
  run([&]() -> asio::awaitable<void> {
    ClientSession session(co_await asio::this_coro::executor);
    auto resp = co_await session.get(url("/status/503"));
    EXPECT_EQ(resp.status(), 503);
    try {
      resp.raise_for_status();
      ADD_FAILURE();
    } catch (const ClientResponseError& e) {
      EXPECT_EQ(e.status(), 503);
      EXPECT_NE(e.url().find("/status/503"), std::string::npos);
    }
    RequestOptions o10{.raise_for_status = true};
    EXPECT_THROW(co_await session.get(url("/status/404"), o10), ClientResponseError);
    co_await session.close();
  });
}

TEST_F(ClientTest, CancellationClosesTheConnection) {
  run([&]() -> asio::awaitable<void> {
    ClientSession session(co_await asio::this_coro::executor);
    auto ex = co_await asio::this_coro::executor;
    asio::steady_timer timer(ex, 50ms);
    auto [order, req_ex, resp, timer_ec] =
        co_await asio::experimental::make_parallel_group(
            asio::co_spawn(ex, session.get(url("/delay/700")), asio::deferred),
            timer.async_wait(asio::deferred))
            .async_wait(asio::experimental::wait_for_one(), asio::use_awaitable);
    EXPECT_EQ(order[0], 1u);  // the timer won
    EXPECT_TRUE(req_ex != nullptr);  // the request was cancelled: a RequestCancelled, in words
    try {
      if (req_ex) std::rethrow_exception(req_ex);
    } catch (const RequestCancelled& e) {
      EXPECT_EQ(std::string(e.what()), "GET " + url("/delay/700") + " cancelled while reading the response from 127.0.0.1:" +
                                           std::to_string(server.server().port()));
      EXPECT_EQ(e.code(), asio::error::operation_aborted);
    } catch (const std::exception& e) {
      ADD_FAILURE() << "not a RequestCancelled: " << e.what();
    }
    EXPECT_EQ(session.pool_stats().open, 0u);  // and its connection closed, not pooled
    EXPECT_EQ(session.pool_stats().idle, 0u);
    co_await session.close();
  });
}

TEST_F(ClientTest, Ipv6Loopback) {
  ServerThread v6({.host = "::1"});
  add_routes(v6.server());
  v6.start();
  run([&]() -> asio::awaitable<void> {
    ClientSession session(co_await asio::this_coro::executor);
    auto resp = co_await session.get(v6.server().url() + "/items/v6");
    EXPECT_EQ((co_await resp.json()).at("sku"), "v6");
    co_await session.close();
  });
}

TEST_F(ClientTest, BaseUrlAndClosedSession) {
  run([&]() -> asio::awaitable<void> {
    SessionOptions session_options{.base_url = server.server().url() + "/items/"};
    ClientSession session(co_await asio::this_coro::executor, std::move(session_options));
    auto resp = co_await session.get("relative");
    EXPECT_EQ((co_await resp.json()).at("sku"), "relative");
    co_await session.close();
    EXPECT_TRUE(session.closed());
    EXPECT_THROW(co_await session.get("again"), ClientError);
  });
}

TEST_F(ClientTest, UnclosedSessionWarnsOnce) {
  test::LogCapture logs;
  run([&]() -> asio::awaitable<void> {
    ClientSession session(co_await asio::this_coro::executor);
    auto resp = co_await session.get(url("/items/x"));
    co_await resp.read();
  });  // destroyed with an idle connection and no close()
  EXPECT_TRUE(logs.contains("without close()"));
}

TEST_F(ClientTest, CompressSendsAGzipBodyAndRefusesOtherCodings) {
  run([&]() -> asio::awaitable<void> {
    ClientSession session(co_await asio::this_coro::executor);
    RequestOptions o;
    o.data = std::string(5000, 'x') + "|end";
    o.compress = "gzip";
    auto resp = co_await session.post(url("/inflate"), o);
    const std::string answer = co_await resp.read();
    std::istringstream in(answer);
    std::string coding, body;
    std::size_t wire_size = 0;
    in >> coding >> wire_size >> body;
    EXPECT_EQ(coding, "gzip");
    EXPECT_LT(wire_size, 200u);  // compressed on the wire
    EXPECT_EQ(body, std::string(5000, 'x') + "|end");

    RequestOptions brotli;
    brotli.data = "x";
    brotli.compress = "br";
    try {
      co_await session.post(url("/echo"), brotli);
      ADD_FAILURE() << "no error";
    } catch (const ClientError& e) {
      EXPECT_NE(std::string(e.what()).find("'br' is not supported"), std::string::npos) << e.what();
    }
    co_await session.close();
  });
}

TEST_F(ClientTest, GzipBodiesAreDecodedAndCorruptOnesAreAPayloadError) {
  run([&]() -> asio::awaitable<void> {
    ClientSession session(co_await asio::this_coro::executor);
    auto resp = co_await session.get(url("/gzip"));
    EXPECT_EQ(resp.headers().first("X-Accept-Encoding"), "gzip, deflate");
    const auto body = co_await resp.text();
    EXPECT_EQ(body.size(), 2004u);
    EXPECT_EQ(body.substr(1996), "zzzz|end");
    auto bad = co_await session.get(url("/bad-gzip"));
    EXPECT_THROW(co_await bad.read(), ClientPayloadError);
    co_await session.close();

    // A body that inflates beyond max_body_bytes is refused (a compression bomb).
    SessionOptions small{.max_body_bytes = 1000};
    auto ex = co_await asio::this_coro::executor;
    ClientSession limited(ex, std::move(small));
    auto big = co_await limited.get(url("/gzip"));
    try {
      co_await big.read();
      ADD_FAILURE() << "inflated past the limit";
    } catch (const ClientPayloadError& e) {
      EXPECT_NE(std::string(e.what()).find("exceeds 1000 bytes"), std::string::npos) << e.what();
    }
    co_await limited.close();
  });
}

TEST(ClientErrors, DeflateRawAndZlibAndUnknownEncodings) {
  // zlib-wrapped "deflate" and raw deflate (some servers send that), then an unknown coding.
  const std::string raw_deflate("\xcb\x48\xcd\xc9\xc9\x07\x00", 7);  // "hello", raw
  const std::string zlib_deflate("\x78\x9c\xcb\x48\xcd\xc9\xc9\x07\x00\x06\x2c\x02\x15", 13);
  int n = 0;
  RawServer peer([&](asio::ip::tcp::socket& s, int) {
    while (!RawServer::read_request(s).empty()) {
      const int i = n++;
      const std::string& body = i == 0 ? zlib_deflate : raw_deflate;
      const std::string enc = i < 2 ? "deflate" : "br";
      RawServer::write(s, "HTTP/1.1 200 OK\r\nContent-Encoding: " + enc + "\r\nContent-Length: " +
                              std::to_string(body.size()) + "\r\n\r\n" + body);
    }
  });
  run([&]() -> asio::awaitable<void> {
    ClientSession session(co_await asio::this_coro::executor);
    auto r1 = co_await session.get(peer.url());
    EXPECT_EQ(co_await r1.text(), "hello");
    auto r2 = co_await session.get(peer.url());
    EXPECT_EQ(co_await r2.text(), "hello");
    auto r3 = co_await session.get(peer.url());
    try {
      co_await r3.read();
      ADD_FAILURE() << "decoded an unknown coding";
    } catch (const ClientPayloadError& e) {
      EXPECT_NE(std::string(e.what()).find("'br'"), std::string::npos) << e.what();
    }
    co_await session.close();
  });
}

TEST(ClientErrors, OversizedResponseHeaderIsMalformed) {
  RawServer peer([](asio::ip::tcp::socket& s, int) {
    RawServer::read_request(s);
    RawServer::write(s, "HTTP/1.1 200 OK\r\nX-Huge: " + std::string(64 * 1024, 'h') + "\r\nContent-Length: 0\r\n\r\n");
  });
  run([&]() -> asio::awaitable<void> {
    ClientSession session(co_await asio::this_coro::executor);
    try {
      co_await session.get(peer.url());
      ADD_FAILURE() << "accepted a 64 KiB header";
    } catch (const ClientResponseError& e) {
      EXPECT_EQ(e.code(), errc::malformed_response);
    }
    co_await session.close();
  });
}

TEST(ClientPool, DnsAnswersAreCachedForTheTtl) {
  ServerThread server;
  add_routes(server.server());
  server.start();
  std::atomic<int> lookups{0};
  auto cfg = std::make_shared<TraceConfig>();
  cfg->on_dns_resolvehost_start.push_back([&](const DnsParams&) { ++lookups; });
  run([&]() -> asio::awaitable<void> {
    SessionOptions options{.connector = {.force_close = true, .dns_ttl = std::chrono::milliseconds(200)},
                           .trace_configs = {cfg}};
    auto ex = co_await asio::this_coro::executor;
    ClientSession session(ex, std::move(options));
    const auto url = "http://localhost:" + std::to_string(server.port()) + "/items/a";
    for (int i = 0; i < 3; ++i) co_await (co_await session.get(url)).read();
    EXPECT_EQ(lookups.load(), 1);  // three connections, one lookup
    co_await sleep_for(300ms);
    co_await (co_await session.get(url)).read();
    EXPECT_EQ(lookups.load(), 2);  // the answer expired
    co_await session.close();
  });
}

namespace {
const auto kTaskKey = trace::create_context_key<int>("task");
int task_value() {
  const int* v = trace::Context::current().get(kTaskKey);
  return v ? *v : -1;
}
void interleave_requests(ServerThread& server, int threads) {
  std::atomic<int> checks{0}, wrong{0};
  run([&]() -> asio::awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    SessionOptions options{.connector = {.limit = 50}};
    ClientSession session(ex, std::move(options));
    std::vector<std::future<void>> done;
    for (int i = 0; i < 1000; ++i) {
      done.push_back(spawn(ex, [&, i]() -> asio::awaitable<void> {
        trace::Scope scope(trace::Context::current().with(kTaskKey, i));
        for (int round = 0; round < 3; ++round) {
          auto resp = co_await session.get(server.server().url() + "/items/" + std::to_string(i));
          ++checks;
          if (task_value() != i) ++wrong;
          co_await resp.read();
          ++checks;
          if (task_value() != i) ++wrong;
          co_await sleep_for(std::chrono::milliseconds(i % 3));
          ++checks;
          if (task_value() != i) ++wrong;
        }
      }, asio::use_future));
    }
    while (checks.load() < 1000 * 9 && session.pool_stats().open + session.pool_stats().waiting > 0) co_await sleep_for(5ms);
    for (auto& d : done) d.get();
    co_await session.close();
  }, threads);
  EXPECT_EQ(checks.load(), 1000 * 9);
  EXPECT_EQ(wrong.load(), 0);
}
}  // namespace

TEST_F(ClientTest, ThousandTasksKeepTheirContextAcrossRequestsOnOneThread) { interleave_requests(server, 1); }
TEST_F(ClientTest, ThousandTasksKeepTheirContextAcrossRequestsOnTwoThreads) { interleave_requests(server, 2); }

TEST_F(ClientTest, HeaderInjectionIsRefusedBeforeAnyIo) {
  run([&]() -> asio::awaitable<void> {
    ClientSession session(co_await asio::this_coro::executor);
    RequestOptions smuggle{.headers = {{"X-Evil", "a\r\nX-Injected: yes"}}};
    try {
      co_await session.get(url("/echo"), smuggle);
      ADD_FAILURE() << "sent a header value with CR LF";
    } catch (const ClientError& e) {
      EXPECT_EQ(e.code(), errc::invalid_header);
    }
    RequestOptions bad_name{.headers = {{"Bad Name", "x"}}};
    EXPECT_THROW(co_await session.get(url("/echo"), bad_name), ClientError);
    EXPECT_THROW(co_await session.request("GE T", url("/echo")), ClientError);
    RequestOptions host{.headers = {{"Host", "virtual.test"}}};
    auto resp = co_await session.get(url("/echo"), host);
    EXPECT_EQ(header_value(co_await resp.json(), "Host"), "virtual.test");  // the caller's Host wins
    co_await session.close();
  });
}

TEST(ClientStreaming, PiecesArriveAsTheServerSendsThem) {
  RawServer peer([](asio::ip::tcp::socket& s, int) {
    while (!RawServer::read_request(s).empty()) {
      RawServer::write(s, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nfirst\r\n");
      std::this_thread::sleep_for(50ms);
      RawServer::write(s, "6\r\nsecond\r\n");
      std::this_thread::sleep_for(50ms);
      RawServer::write(s, "5\r\nthird\r\n0\r\n\r\n");
    }
  });
  run([&]() -> asio::awaitable<void> {
    ClientSession session(co_await asio::this_coro::executor);
    auto resp = co_await session.get(peer.url());
    std::vector<std::string> pieces;
    for (std::string piece; !(piece = co_await resp.read_chunk()).empty();) pieces.push_back(piece);
    EXPECT_GE(pieces.size(), 3u);  // they came apart in time
    std::string all;
    for (const auto& p : pieces) all += p;
    EXPECT_EQ(all, "firstsecondthird");
    EXPECT_EQ(co_await resp.read_chunk(), "");  // and stays at the end

    auto again = co_await session.get(peer.url());  // the connection was given back and reused
    EXPECT_EQ(co_await again.read_chunk(), "first");
    EXPECT_EQ(co_await again.read(), "secondthird");  // read() after read_chunk(): the rest
    EXPECT_EQ(session.pool_stats().reused, 1u);
    co_await session.close();
  });
}

TEST_F(ClientTest, StreamedGzipIsDecodedPieceByPiece) {
  run([&]() -> asio::awaitable<void> {
    ClientSession session(co_await asio::this_coro::executor);
    auto resp = co_await session.get(url("/gzip"));
    std::string all;
    for (std::string piece; !(piece = co_await resp.read_chunk()).empty();) all += piece;
    EXPECT_EQ(all.size(), 2004u);
    EXPECT_EQ(all.substr(1996), "zzzz|end");
    co_await session.close();
  });
}

TEST(ClientStreaming, TruncatedStreamIsAPayloadError) {
  RawServer peer([](asio::ip::tcp::socket& s, int) {
    RawServer::read_request(s);
    RawServer::write(s, "HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\nonly part");
  });
  run([&]() -> asio::awaitable<void> {
    ClientSession session(co_await asio::this_coro::executor);
    auto resp = co_await session.get(peer.url());
    EXPECT_EQ(co_await resp.read_chunk(), "only part");
    EXPECT_THROW(co_await resp.read_chunk(), ClientPayloadError);
    EXPECT_EQ(session.pool_stats().open, 0u);
    co_await session.close();
  });
}

TEST(ClientStreaming, StreamedRawDeflateFallsBackFromZlib) {
  const std::string raw_deflate("\xcb\x48\xcd\xc9\xc9\x07\x00", 7);  // "hello" without the zlib wrapper
  RawServer peer([&](asio::ip::tcp::socket& s, int) {
    RawServer::read_request(s);
    RawServer::write(s, "HTTP/1.1 200 OK\r\nContent-Encoding: deflate\r\nContent-Length: 7\r\n\r\n" + raw_deflate);
  });
  run([&]() -> asio::awaitable<void> {
    ClientSession session(co_await asio::this_coro::executor);
    auto resp = co_await session.get(peer.url());
    std::string all;
    for (std::string piece; !(piece = co_await resp.read_chunk()).empty();) all += piece;
    EXPECT_EQ(all, "hello");
    co_await session.close();
  });
}

TEST(ClientCookies, JarKeepsCookiesAcrossRequestsAndRedirectsOnlyWhenEnabled) {
  ServerThread server;
  server.server().route("GET", "/login", [](ServerRequest&) -> asio::awaitable<ServerResponse> {
    ServerResponse r = ServerResponse::text(302, "");
    r.headers.add("Set-Cookie", "session=s1; Path=/");
    r.headers.set("Location", "/whoami");
    co_return r;
  });
  server.server().route("GET", "/whoami", [](ServerRequest& r) -> asio::awaitable<ServerResponse> {
    co_return ServerResponse::text(200, std::string(r.headers.first("Cookie").value_or("anonymous")));
  });
  server.start();
  run([&]() -> asio::awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    ClientSession plain(ex);  // no jar: nothing kept
    EXPECT_EQ(co_await (co_await plain.get(server.server().url() + "/login")).text(), "anonymous");
    co_await plain.close();

    auto jar = std::make_shared<CookieJar>();
    SessionOptions with_jar{.cookie_jar = jar};
    ClientSession session(ex, std::move(with_jar));
    // The cookie set by the redirect response is sent on the hop it redirects to.
    EXPECT_EQ(co_await (co_await session.get(server.server().url() + "/login")).text(), "session=s1");
    EXPECT_EQ(co_await (co_await session.get(server.server().url() + "/whoami")).text(), "session=s1");
    EXPECT_EQ(jar->size(), 1u);
    RequestOptions own{.headers = {{"Cookie", "mine=1"}}};  // a caller's Cookie header wins
    EXPECT_EQ(co_await (co_await session.get(server.server().url() + "/whoami", own)).text(), "mine=1");
    co_await session.close();
  });
}

TEST_F(ClientTest, ForceCloseOpensAConnectionPerRequest) {
  run([&]() -> asio::awaitable<void> {
    SessionOptions options{.connector = {.force_close = true}};
    auto ex = co_await asio::this_coro::executor;
    ClientSession session(ex, std::move(options));
    for (int i = 0; i < 3; ++i) {
      auto resp = co_await session.get(url("/echo"));
      EXPECT_EQ(header_value(co_await resp.json(), "Connection"), "close");
    }
    EXPECT_EQ(session.pool_stats().created, 3u);
    EXPECT_EQ(session.pool_stats().reused, 0u);
    EXPECT_EQ(session.pool_stats().open, 0u);
    co_await session.close();
  });
  EXPECT_EQ(server.server().stats().accepted, 3u);
}
