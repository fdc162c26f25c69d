// tracehop::http::Server against clients that try to smuggle a request or hold a connection:
// ambiguous framing (Content-Length with Transfer-Encoding, two different Content-Lengths, a
// Transfer-Encoding that does not end in chunked) is a 400 and a close, and what followed the
// ambiguous request is never served as a second one; a header sent a byte at a time is cut off
// by the read timeout.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>

#include "server_fixture.hpp"
#include "server_routes.hpp"

using namespace tracehop;
using namespace std::chrono_literals;
using test::add_routes;
using test::RawClient;
using test::ServerThread;

namespace {

int count_of(const std::string& text, std::string_view what) {
  int n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

}  // namespace

TEST(ServerFraming, AmbiguousFramingIsA400AndACloseAndNothingIsSmuggled) {
  ServerThread st;
  add_routes(st.server());
  st.start();
  // Each request hides a second one, GET /items/smuggled, where a reader that framed the first
  // body differently would find it.
  const std::string smuggled = "GET /items/smuggled HTTP/1.1\r\nHost: x\r\n\r\n";
  const struct {
    const char* name;
    std::string request;
  } cases[] = {
      {"Content-Length with Transfer-Encoding: chunked",
       "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + smuggled},
      {"Transfer-Encoding: chunked with Content-Length",
       "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n" + smuggled},
      {"two different Content-Lengths",
       "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nContent-Length: " +
           std::to_string(smuggled.size()) + "\r\n\r\n" + smuggled},
      {"two different Content-Lengths in one field",
       "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 0, " + std::to_string(smuggled.size()) + "\r\n\r\n" +
           smuggled},
      {"a Transfer-Encoding that does not end in chunked",
       "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n" + smuggled},
      {"an unknown Transfer-Encoding",
       "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n" + smuggled},
      {"an unknown Transfer-Encoding, the smuggled request right after the header",
       "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: xchunked\r\n\r\n" + smuggled},
      {"Transfer-Encoding: chunked in HTTP/1.0",
       "POST /echo HTTP/1.0\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + smuggled},
      {"a negative Content-Length", "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n" + smuggled},
  };
  for (const auto& c : cases) {
    RawClient client(st.port());
    client.send(c.request);
    const std::string answer = client.read_all();  // to the server's close
    EXPECT_EQ(answer.rfind("HTTP/1.1 400", 0), 0u) << c.name << ":\n" << answer;
    EXPECT_EQ(count_of(answer, "HTTP/1.1 "), 1) << c.name << ": a second answer:\n" << answer;
    EXPECT_EQ(answer.find("smuggled"), std::string::npos) << c.name << ":\n" << answer;
  }
  // The server goes on: a plain request on a new connection is served.
  RawClient after(st.port());
  after.send("GET /items/a HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(after.read_all().rfind("HTTP/1.1 200", 0), 0u);
}

TEST(ServerFraming, AHeaderSentAByteAtATimeIsCutOffByTheReadTimeout) {
  ServerThread st({.read_timeout = 300ms});
  add_routes(st.server());
  st.start();
  RawClient slow(st.port());
  const std::string request = "GET /items/a HTTP/1.1\r\nHost: x\r\nX-Slow: " + std::string(40, 'a') + "\r\n\r\n";
  const auto start = std::chrono::steady_clock::now();
  bool cut_off = false;
  for (const char byte : request) {  // 50 ms a byte: the whole header would take 3 s
    try {
      slow.send(std::string_view(&byte, 1));
    } catch (const boost::system::system_error&) {
      cut_off = true;  // the server closed the connection while we were still sending
      break;
    }
    std::this_thread::sleep_for(50ms);
    if (std::chrono::steady_clock::now() - start > 2s) break;
  }
  const std::string answer = slow.read_all();
  const auto elapsed = std::chrono::steady_clock::now() - start;
  // Closed (with at most an error answer, never a 200) well before the header was complete.
  EXPECT_EQ(answer.find("HTTP/1.1 200"), std::string::npos) << answer;
  EXPECT_LT(elapsed, 2500ms);
  EXPECT_TRUE(cut_off || answer.empty() || answer.rfind("HTTP/1.1 4", 0) == 0) << answer;
  // Other connections were served meanwhile and after.
  RawClient after(st.port());
  after.send("GET /items/a HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(after.read_all().rfind("HTTP/1.1 200", 0), 0u);
}
