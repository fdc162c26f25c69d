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
