// How a response's framing decides what the client reads and whether it reuses the connection
// (RFC 9112 §6, §9), against scripted raw peers on loopback: each connection answers its
// requests in turn, and the pool's counts show which connections were kept.
#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <vector>

#include "raw_server.hpp"
#include "run.hpp"
#include "tracehop/http/session.hpp"

namespace asio = boost::asio;

using namespace tracehop::http;
using tracehop::test::RawServer;
using tracehop::test::run;

namespace {

// A peer that answers the n-th request of each connection with answers[n] (then waits for the
// client to close), and counts the connections it accepted.
struct ScriptedPeer {
  explicit ScriptedPeer(std::vector<std::string> answers)
      : server([this, answers = std::move(answers)](asio::ip::tcp::socket& s, int) {
          ++connections;
          for (const auto& answer : answers) {
            if (RawServer::read_request(s).empty()) return;
            RawServer::write(s, answer);
          }
          RawServer::read_request(s);
        }) {}
  std::atomic<int> connections{0};
  RawServer server;
};

// GETs `url` `n` times with one session; returns the bodies.
std::vector<std::string> get_bodies(const std::string& url, int n, ConnectorStats& stats) {
  std::vector<std::string> bodies;
  run([&]() -> asio::awaitable<void> {
    ClientSession session(co_await asio::this_coro::executor);
    for (int i = 0; i < n; ++i) {
      auto resp = co_await session.get(url);
      EXPECT_EQ(resp.status(), 200);
      bodies.push_back(co_await resp.read());
    }
    stats = session.pool_stats();
    co_await session.close();
  });
  return bodies;
}

}  // namespace

TEST(ResponseFraming, InterimResponsesAreSkippedAndTheConnectionIsKept) {
  ScriptedPeer peer({"HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n"
                     "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfirst",
                     "HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nsecond"});
  ConnectorStats stats;
  EXPECT_EQ(get_bodies(peer.server.url(), 2, stats), (std::vector<std::string>{"first", "second"}));
  EXPECT_EQ(stats.created, 1u);
  EXPECT_EQ(stats.reused, 1u);
}

TEST(ResponseFraming, TransferEncodingWithContentLengthIsReadChunkedAndTheConnectionIsNotReused) {
  ScriptedPeer peer({"HTTP/1.1 200 OK\r\nContent-Length: 99\r\nTransfer-Encoding: chunked\r\n\r\n"
                     "2\r\nok\r\n0\r\n\r\n"});
  ConnectorStats stats;
  EXPECT_EQ(get_bodies(peer.server.url(), 2, stats), (std::vector<std::string>{"ok", "ok"}));
  EXPECT_EQ(stats.created, 2u) << "a message with both framings may be smuggling: its connection is closed";
  EXPECT_EQ(peer.connections, 2);
}

TEST(ResponseFraming, ABodyUntilTheCloseAndAnHttp10AnswerCloseTheirConnections) {
  RawServer until_close([](asio::ip::tcp::socket& s, int) {
    RawServer::read_request(s);
    RawServer::write(s, "HTTP/1.1 200 OK\r\n\r\nall of it");
    s.shutdown(asio::ip::tcp::socket::shutdown_send);
  });
  ConnectorStats stats;
  EXPECT_EQ(get_bodies(until_close.url(), 2, stats), (std::vector<std::string>{"all of it", "all of it"}));
  EXPECT_EQ(stats.created, 2u);

  ScriptedPeer http10({"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok"});
  EXPECT_EQ(get_bodies(http10.server.url(), 2, stats), (std::vector<std::string>{"ok", "ok"}));
  EXPECT_EQ(stats.created, 2u);
  ScriptedPeer kept10({"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nok",
                       "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nok"});
  EXPECT_EQ(get_bodies(kept10.server.url(), 2, stats), (std::vector<std::string>{"ok", "ok"}));
  EXPECT_EQ(stats.created, 1u);
}

TEST(ResponseFraming, AHeadAnswersContentLengthIsNotABodyToWaitFor) {
  ScriptedPeer peer({"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n", "HTTP/1.1 204 No Content\r\n\r\n"});
  run([&]() -> asio::awaitable<void> {
    ClientSession session(co_await asio::this_coro::executor);
    auto head = co_await session.head(peer.server.url());
    EXPECT_EQ(head.headers().get("Content-Length"), "1000");
    EXPECT_EQ(co_await head.read(), "");
    auto empty = co_await session.get(peer.server.url());
    EXPECT_EQ(empty.status(), 204);
    EXPECT_EQ(co_await empty.read(), "");
    EXPECT_EQ(session.pool_stats().created, 1u);
    co_await session.close();
  });
}
