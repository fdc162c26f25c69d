// A server that fails at each step of sending its response, against the client's response
// reading (wire.cpp: read_response, response_parser.cpp), with the client instrumented: each
// fault is the right typed error; one before the header is complete makes the CLIENT span an
// ERROR of that type, one after it does not (the span ended with the header, as aiohttp's
// instrumentation ends it at on_request_end). Afterwards the pool is whole: one session with
// limit = 1 meets every fault many times and still serves a good request after each; no file
// descriptor is left open.
#include <gtest/gtest.h>

#include <string>
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
using tracehop::test::expect_error_span;
using tracehop::test::open_fds;
using tracehop::test::RawServer;
using tracehop::test::run;

namespace {

enum class Raised { Disconnected, Payload, Malformed };

struct Fault {
  const char* name;
  std::string bytes;   // sent after the request is read; then the connection ends
  bool reset = false;  // ended by a reset (RST) instead of a close
  Raised raised;
  bool header_read = false;  // the response object is made before the fault: read() raises
};

}  // namespace

TEST(ResponseFaults, EachStepOfAFailingResponseIsItsTypedErrorAndThePoolStaysWhole) {
  const std::vector<Fault> faults = {
      {"closed mid status line", "HTTP/1.1 20", false, Raised::Disconnected},
      {"closed mid headers", "HTTP/1.1 200 OK\r\nContent-Le", false, Raised::Disconnected},
      {"reset mid headers", "HTTP/1.1 200 OK\r\nContent-Le", true, Raised::Disconnected},
      {"closed after the header", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n", false, Raised::Payload, true},
      {"closed mid body", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n01234", false, Raised::Payload, true},
      {"reset mid body", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n01234", true, Raised::Payload, true},
      {"closed mid chunk", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel", false, Raised::Payload,
       true},
      {"a malformed chunk size", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n", false,
       Raised::Payload, true},
      {"a malformed header", "HTTP/1.1 200 OK\r\nNo Colon Here\r\n\r\n", false, Raised::Malformed},
  };
  constexpr int kRounds = 20;  // of every fault
  test::InstrumentedClient client;
  auto& memory = client.memory;
  const std::size_t fds_before = open_fds();
  {
    RawServer good(test::answers_ok());
    std::vector<std::unique_ptr<RawServer>> peers;
    for (const auto& f : faults)
      peers.push_back(std::make_unique<RawServer>([&f](asio::ip::tcp::socket& s, int) {
        if (RawServer::read_request(s).empty()) return;
        RawServer::write(s, f.bytes);
        boost::system::error_code ec;
        if (f.reset) s.set_option(asio::socket_base::linger(true, 0), ec);
        s.close(ec);
      }));
    run([&]() -> asio::awaitable<void> {
      SessionOptions options{.connector = {.limit = 1}};
      auto ex = co_await asio::this_coro::executor;
      ClientSession session(ex, std::move(options));
      for (int round = 0; round < kRounds; ++round)
        for (std::size_t i = 0; i < faults.size(); ++i) {
          const Fault& f = faults[i];
          bool got_header = false;
          std::string raised;
          memory.exporter->clear();
          try {
            auto resp = co_await session.get(peers[i]->url());
            got_header = true;
            EXPECT_TRUE(f.header_read) << f.name << ": the header should not have been accepted";
            EXPECT_EQ(resp.status(), 200) << f.name;
            co_await resp.read();
            ADD_FAILURE() << f.name << ": the body was accepted";
          } catch (const ClientPayloadError& e) {
            EXPECT_EQ(f.raised, Raised::Payload) << f.name;
            raised = tracehop::detail::demangle(typeid(e).name());
          } catch (const ServerDisconnectedError& e) {
            // (A reset may overtake the bytes sent before it: then the header never came.)
            EXPECT_TRUE(f.raised == Raised::Disconnected || (f.reset && !got_header)) << f.name;
            raised = tracehop::detail::demangle(typeid(e).name());
          } catch (const ClientResponseError& e) {
            EXPECT_EQ(f.raised, Raised::Malformed) << f.name;
            EXPECT_EQ(e.code(), errc::malformed_response) << f.name;
            raised = tracehop::detail::demangle(typeid(e).name());
          } catch (const std::exception& e) {
            ADD_FAILURE() << f.name << ": " << e.what();
          }
          if (!got_header) {
            expect_error_span(memory.spans(), raised, f.name);
          } else {  // ended with the header: a 200, not an error
            const auto spans = memory.spans();
            EXPECT_EQ(spans.size(), 1u) << f.name;
            if (!spans.empty()) {
              EXPECT_NE(spans.back()->status.code, trace::StatusCode::Error) << f.name;
            }
          }
          EXPECT_EQ(session.pool_stats().open, 0u) << f.name << ": a broken connection is closed, not pooled";
          // The one slot is free again: a good request goes through.
          auto ok = co_await session.get(good.url());
          EXPECT_EQ(co_await ok.read(), "ok") << "after " << f.name;
        }
      co_await session.close();
    });
  }
  EXPECT_EQ(open_fds(), fds_before) << "a file descriptor was left open";
}
