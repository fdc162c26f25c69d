// The steps of an exchange before and around the response's header failing, with the client
// instrumented: nothing listening, a peer that closes or resets as it accepts, one that stops
// sending mid header (sock_read, and total), one that never reads a large request body. Each
// fault is its typed error, the CLIENT span is an ERROR whose `error.type` is that error's type,
// and afterwards the pool is whole: one session with limit = 1 meets every fault many times and
// still serves a good request after each; no file descriptor is left open.
// (Faults while the response is read: response_faults_test.cpp.)
#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <typeinfo>
#include <vector>

#include "common/text.hpp"
#include "faults.hpp"
#include "process.hpp"
#include "raw_server.hpp"
#include "run.hpp"
#include "test_util.hpp"
#include "tracehop/http/errors.hpp"
#include "tracehop/http/session.hpp"
#include "tracehop/instrument/client.hpp"

namespace asio = boost::asio;

using namespace tracehop;
using namespace tracehop::http;
using namespace std::chrono_literals;
using test::expect_error_span;
using test::open_fds;
using test::RawServer;
using test::run;

namespace {

// Ends a connection by a reset (RST) instead of a close.
void reset(asio::ip::tcp::socket& s) {
  boost::system::error_code ec;
  s.set_option(asio::socket_base::linger(true, 0), ec);
  s.close(ec);
}

// Blocks until the client closes the connection (reading what it still sends).
void until_closed(asio::ip::tcp::socket& s) {
  char sink[4096];
  boost::system::error_code ec;
  while (!ec) s.read_some(asio::buffer(sink), ec);
}

struct Fault {
  const char* name;
  std::function<std::string()> url;         // where the request goes
  RequestOptions options;                   // its timeouts, its body
  std::function<bool(const ClientError&)> expected;  // the error it must raise
  int rounds;
};

template <class E>
std::function<bool(const ClientError&)> is() {
  return [](const ClientError& e) { return dynamic_cast<const E*>(&e) != nullptr; };
}

// A reset that reaches the client before its connect is reported done fails the connect itself.
std::function<bool(const ClientError&)> reset_in_or_after_connect() {
  return [](const ClientError& e) { return is<ClientConnectorError>()(e) || is<ServerDisconnectedError>()(e); };
}

std::function<bool(const ClientError&)> timed_out(TimeoutKind kind) {
  return [kind](const ClientError& e) {
    const auto* t = dynamic_cast<const ServerTimeoutError*>(&e);
    return t && t->timeout_kind() == kind;
  };
}

}  // namespace

TEST(RequestFaults, EachFaultIsItsTypedErrorAnErrorSpanAndThePoolStaysWhole) {
  test::InstrumentedClient client;
  auto& memory = client.memory;

  const std::size_t fds_before = open_fds();
  {
    RawServer good(test::answers_ok());
    RawServer closes([](asio::ip::tcp::socket& s, int) {
      boost::system::error_code ec;
      s.close(ec);
    });
    RawServer resets([](asio::ip::tcp::socket& s, int) { reset(s); });
    RawServer reads_then_resets([](asio::ip::tcp::socket& s, int) {
      RawServer::read_request(s);
      reset(s);
    });
    RawServer stops_sending([](asio::ip::tcp::socket& s, int) {
      if (RawServer::read_request(s).empty()) return;
      RawServer::write(s, "HTTP/1.1 200 OK\r\nContent-");
      until_closed(s);
    });
    RawServer never_reads_the_body([](asio::ip::tcp::socket& s, int) {
      RawServer::read_request(s);  // the header only: the body fills the socket's buffers
      std::this_thread::sleep_for(600ms);
    });
    const auto refused_port = test::free_port();

    RequestOptions post_8mb;
    post_8mb.data = std::string(8 << 20, 'x');
    post_8mb.timeout = ClientTimeout{.total = 300ms};
    const std::vector<Fault> faults = {
        {"nothing listening", [&] { return "http://127.0.0.1:" + std::to_string(refused_port) + "/"; }, {},
         is<ClientConnectorError>(), 250},
        {"closed as it accepts", [&] { return closes.url(); }, {}, is<ServerDisconnectedError>(), 250},
        {"reset as it accepts (in or after the connect)", [&] { return resets.url(); }, {},
         reset_in_or_after_connect(), 250},
        {"reset after reading the request", [&] { return reads_then_resets.url(); }, {},
         is<ServerDisconnectedError>(), 250},
        {"stops sending mid header (sock_read)", [&] { return stops_sending.url(); },
         RequestOptions{.timeout = ClientTimeout{.sock_read = 50ms}}, timed_out(TimeoutKind::SockRead), 5},
        {"stops sending mid header (total)", [&] { return stops_sending.url(); },
         RequestOptions{.timeout = ClientTimeout{.total = 100ms}}, timed_out(TimeoutKind::Total), 5},
        {"never reads a large request body (total)", [&] { return never_reads_the_body.url(); }, post_8mb,
         [](const ClientError& e) {  // and says it was writing
           return timed_out(TimeoutKind::Total)(e) && std::string_view(e.what()).find("writing to") != std::string_view::npos;
         },
         3},
    };

    std::size_t faults_met = 0;
    run([&]() -> asio::awaitable<void> {
      SessionOptions options{.connector = {.limit = 1}};
      auto ex = co_await asio::this_coro::executor;
      ClientSession session(ex, std::move(options));
      for (const Fault& f : faults)
        for (int round = 0; round < f.rounds; ++round) {
          memory.exporter->clear();
          std::string raised;
          try {
            auto resp = co_await session.request(f.options.data ? "POST" : "GET", f.url(), f.options);
            ADD_FAILURE() << f.name << ": answered " << resp.status();
          } catch (const ClientError& e) {
            EXPECT_TRUE(f.expected(e)) << f.name << ": raised " << tracehop::detail::demangle(typeid(e).name()) << ": " << e.what();
            raised = tracehop::detail::demangle(typeid(e).name());
          }
          ++faults_met;
          EXPECT_EQ(session.pool_stats().open, 0u) << f.name << ": a broken connection is closed, not pooled";
          expect_error_span(memory.spans(), raised, f.name);
          // The one slot is free again: a good request goes through.
          auto ok = co_await session.get(good.url());
          EXPECT_EQ(co_await ok.read(), "ok") << "after " << f.name;
        }
      co_await session.close();
    });
    EXPECT_EQ(faults_met, 1013u);
  }
  EXPECT_EQ(open_fds(), fds_before) << "a file descriptor was left open";
}
