// HTTPS: a real TLS handshake on loopback with a certificate made at test time.
#include <gtest/gtest.h>

#include "test_util.hpp"
#include "tls_server.hpp"
#include "run.hpp"
#include "tracehop/http/session.hpp"
#include "tracehop/task.hpp"

#include <boost/asio/use_future.hpp>
#include <atomic>

namespace asio = boost::asio;

using namespace tracehop;
using namespace tracehop::http;
using test::run;
using test::TestCertificate;
using test::TlsServer;

namespace {


const TestCertificate& loopback_cert() {
  static const TestCertificate cert("DNS:localhost,IP:127.0.0.1");
  return cert;
}

}  // namespace

TEST(Tls, VerifiedHandshakeAndKeepAlive) {
  TlsServer server(loopback_cert());
  std::atomic<int> handshakes{0};
  auto cfg = std::make_shared<TraceConfig>();
  cfg->on_tls_handshake_end.push_back([&](const ConnectionParams& p) {
    EXPECT_TRUE(p.origin.tls());
    ++handshakes;
  });
  run([&]() -> asio::awaitable<void> {
    SessionOptions options{.connector = {.ca_file = loopback_cert().cert.string()}, .trace_configs = {cfg}};
    auto ex = co_await asio::this_coro::executor;
    ClientSession session(ex, std::move(options));
    for (int i = 0; i < 3; ++i) {
      auto resp = co_await session.get(server.url());
      EXPECT_EQ(co_await resp.text(), "secure");
    }
    EXPECT_EQ(session.pool_stats().created, 1u);  // one handshake, reused
    co_await session.close();
  });
  EXPECT_EQ(server.accepted(), 1);
  EXPECT_EQ(handshakes.load(), 1);  // the lifecycle signal
}

TEST(Tls, HostNameIsCheckedAndSentAsSni) {
  TlsServer server(loopback_cert());
  run([&]() -> asio::awaitable<void> {
    SessionOptions options{.connector = {.ca_file = loopback_cert().cert.string()}};
    auto ex = co_await asio::this_coro::executor;
    ClientSession session(ex, std::move(options));
    auto resp = co_await session.get(server.url("localhost"));
    EXPECT_EQ(co_await resp.text(), "secure");
    co_await session.close();
  });
  EXPECT_EQ(server.last_sni(), "localhost");
}

TEST(Tls, UntrustedCertificateIsAClientSSLError) {
  TlsServer server(loopback_cert());
  run([&]() -> asio::awaitable<void> {
    ClientSession session(co_await asio::this_coro::executor);  // the system store: not our CA
    try {
      co_await session.get(server.url());
      ADD_FAILURE() << "trusted a self-signed certificate";
    } catch (const ClientSSLError& e) {
      EXPECT_EQ(e.port(), server.port());
      EXPECT_NE(std::string(e.what()).find("self-signed"), std::string::npos) << e.what();
    }
    EXPECT_EQ(session.pool_stats().open, 0u);
    co_await session.close();
  });
}

TEST(Tls, CertificateForAnotherHostIsRejected) {
  TestCertificate other("DNS:other.test");
  TlsServer server(other);
  run([&]() -> asio::awaitable<void> {
    SessionOptions options{.connector = {.ca_file = other.cert.string()}};
    auto ex = co_await asio::this_coro::executor;
    ClientSession session(ex, std::move(options));
    EXPECT_THROW(co_await session.get(server.url()), ClientSSLError);
    co_await session.close();
  });
}

TEST(Tls, VerificationCanBeTurnedOffLoudly) {
  TlsServer server(loopback_cert());
  test::LogCapture logs;
  run([&]() -> asio::awaitable<void> {
    SessionOptions options{.connector = {.verify_ssl = false}};
    auto ex = co_await asio::this_coro::executor;
    ClientSession session(ex, std::move(options));
    auto resp = co_await session.get(server.url());
    EXPECT_EQ(co_await resp.text(), "secure");
    co_await session.close();
  });
  EXPECT_TRUE(logs.contains("verification is disabled"));
}

TEST(Tls, MissingCaFileIsAClientSSLError) {
  TlsServer server(loopback_cert());
  run([&]() -> asio::awaitable<void> {
    SessionOptions options{.connector = {.ca_file = "/nonexistent/ca.pem"}};
    auto ex = co_await asio::this_coro::executor;
    ClientSession session(ex, std::move(options));
    try {
      co_await session.get(server.url());
      ADD_FAILURE();
    } catch (const ClientSSLError& e) {
      EXPECT_NE(std::string(e.what()).find("/nonexistent/ca.pem"), std::string::npos) << e.what();
    }
    co_await session.close();
  });
}

// A TLS peer that closes its TCP connection without close_notify may have been cut short by an
// attacker: a body whose end only the close would mark is a ClientPayloadError then, and so is
// a body shorter than its Content-Length; with close_notify the same close-delimited body is
// whole. The broken connection is never pooled.
TEST(Tls, ABodyTruncatedWithoutCloseNotifyIsAPayloadError) {
  const std::string until_close = "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nall of it";
  const std::string short_body = "HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\nonly ten b";
  TlsServer truncates_close_delimited(loopback_cert(), until_close, test::TlsEnd::Truncate);
  TlsServer truncates_short(loopback_cert(), short_body, test::TlsEnd::Truncate);
  TlsServer notifies(loopback_cert(), until_close, test::TlsEnd::CloseNotify);
  run([&]() -> asio::awaitable<void> {
    SessionOptions options{.connector = {.ca_file = loopback_cert().cert.string()}};
    auto ex = co_await asio::this_coro::executor;
    ClientSession session(ex, std::move(options));
    for (TlsServer* server : {&truncates_close_delimited, &truncates_short}) {
      try {
        auto resp = co_await session.get(server->url());
        EXPECT_EQ(resp.status(), 200);
        const auto body = co_await resp.text();
        ADD_FAILURE() << "a truncated body was accepted: " << body;
      } catch (const ClientPayloadError&) {
      } catch (const std::exception& e) {
        ADD_FAILURE() << "not a ClientPayloadError: " << e.what();
      }
      EXPECT_EQ(session.pool_stats().open, 0u);
    }
    auto resp = co_await session.get(notifies.url());
    EXPECT_EQ(co_await resp.text(), "all of it");
    co_await session.close();
  });
}
