// A request on the wire, without I/O: request_head's bytes, its refusals and its
// Content-Length rules; which error each kind of deadline raises; the pool's origin keys.
#include <gtest/gtest.h>

#include "deadline.hpp"
#include "wire.hpp"

using namespace tracehop::http;
using detail::Deadline;
using detail::request_head;

namespace {

// request_head into a fresh buffer, as a string.
std::string head_of(std::string_view method, std::string_view target, std::string_view host,
                    const RequestHeaders& headers, std::size_t body_size, bool close) {
  detail::HeadBuffer buffer;
  return std::string(request_head(buffer, method, target, host, headers, body_size, close));
}

std::string request(std::string_view method, const Headers& headers = {}, const std::string& body = {},
                    bool close = false) {
  return head_of(method, "/p?q=1", "example.test:8080", RequestHeaders(headers), body.size(), close) + body;
}

}  // namespace

TEST(Wire, RequestLineHostHeadersInOrderThenTheBody) {
  const Headers headers{{"X-B", "2"}, {"Accept", "*/*"}, {"X-B", "3"}, {"X-A", "1"}};
  EXPECT_EQ(request("GET", headers),
            "GET /p?q=1 HTTP/1.1\r\nHost: example.test:8080\r\nX-B: 2\r\nAccept: */*\r\nX-B: 3\r\nX-A: 1\r\n\r\n");
  EXPECT_EQ(request("PUT", {}, "data", true),
            "PUT /p?q=1 HTTP/1.1\r\nHost: example.test:8080\r\nContent-Length: 4\r\nConnection: close\r\n\r\ndata");
}

TEST(Wire, TheBodyFollowsTheHeadUncopiedAndAPartialWriteResumesWhereItStopped) {
  const std::string head = head_of("POST", "/", "h", RequestHeaders(Headers{}), 4, false);
  EXPECT_EQ(head, "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\n\r\n");
  const std::string body = "data";
  const detail::RequestBytes wire{boost::asio::buffer(head), boost::asio::buffer(body)};
  auto rest = detail::unwritten(wire, 3);
  EXPECT_EQ(rest[0].size(), head.size() - 3);
  EXPECT_EQ(rest[1].data(), body.data());
  rest = detail::unwritten(wire, head.size() + 1);
  EXPECT_EQ(rest[0].size(), 0u);
  EXPECT_EQ(std::string_view(static_cast<const char*>(rest[1].data()), rest[1].size()), "ata");
  EXPECT_EQ(boost::asio::buffer_size(detail::unwritten(wire, head.size() + 4)), 0u);
}

TEST(Wire, AHeadLargerThanTheBufferInPlaceIsWholeAndAReusedBufferHoldsOnlyTheNewHead) {
  detail::HeadBuffer buffer;
  const std::string long_value(400, 'v');
  const Headers big{{"X-Long", long_value}};
  const auto large = request_head(buffer, "GET", "/", "h", RequestHeaders(big), 0, false);
  EXPECT_EQ(large, "GET / HTTP/1.1\r\nHost: h\r\nX-Long: " + long_value + "\r\n\r\n");
  EXPECT_EQ(large.data(), buffer.data());
  const auto small = request_head(buffer, "GET", "/", "h", RequestHeaders(Headers{}), 0, false);
  EXPECT_EQ(small, "GET / HTTP/1.1\r\nHost: h\r\n\r\n");
  EXPECT_EQ(buffer.size(), small.size());
}

TEST(Wire, ACallersHostWinsAndIsNotSentTwice) {
  EXPECT_EQ(request("GET", {{"host", "other.test"}}), "GET /p?q=1 HTTP/1.1\r\nhost: other.test\r\n\r\n");
}

TEST(Wire, FieldsSubscribersAddedGoOutAfterTheRequestsOwn) {
  const Headers own{{"Accept", "*/*"}};
  RequestHeaders hop(own);
  hop.set("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
  hop.set("Host", "injected.test");
  EXPECT_EQ(head_of("GET", "/", "example.test", hop, 0, false),
            "GET / HTTP/1.1\r\nAccept: */*\r\ntraceparent: 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
            "\r\nHost: injected.test\r\n\r\n");
  RequestHeaders bad(own);
  bad.set("X-Split", "a\r\nInjected: yes");
  EXPECT_THROW(head_of("GET", "/", "example.test", bad, 0, false), ClientError);
}

TEST(Wire, ContentLengthForABodyOrAMethodThatExpectsOneUnlessTheCallerSetIt) {
  for (std::string_view m : {"POST", "PUT", "PATCH"})
    EXPECT_NE(request(m).find("\r\nContent-Length: 0\r\n"), std::string::npos) << m;
  for (std::string_view m : {"GET", "HEAD", "DELETE", "OPTIONS"})
    EXPECT_EQ(request(m).find("Content-Length"), std::string::npos) << m;
  EXPECT_NE(request("DELETE", {}, "x").find("\r\nContent-Length: 1\r\n"), std::string::npos);
  const auto own = request("POST", {{"content-length", "3"}}, "abc");
  EXPECT_EQ(own.find("Content-Length"), std::string::npos) << own;
  EXPECT_NE(own.find("\r\ncontent-length: 3\r\n\r\nabc"), std::string::npos) << own;
}

TEST(Wire, AnythingThatCouldSmuggleAHeaderIsRefused) {
  for (std::string_view method : {"", "GET /x", "GE\rT", "G(T"}) {
    try {
      request(method);
      ADD_FAILURE() << method;
    } catch (const ClientError& e) {
      EXPECT_EQ(e.code(), make_error_code(errc::invalid_header)) << method;
    }
  }
  const std::vector<Headers::Field> bad = {{"X-A", "1\r\nInjected: yes"}, {"X-A", "1\nInjected"},
                                           {"X-A", std::string("a\0b", 3)}, {"X A", "1"},
                                           {"X:A", "1"},                     {"", "1"}};
  for (const auto& [name, value] : bad) {
    EXPECT_THROW(request("GET", {{name, value}}), ClientError) << name;
  }
}

TEST(Deadline, EachKindRaisesItsOwnError) {
  EXPECT_THROW((Deadline{{}, TimeoutKind::Total}.raise("x")), ServerTimeoutError);
  EXPECT_THROW((Deadline{{}, TimeoutKind::Connect}.raise("x")), ConnectionTimeoutError);
  EXPECT_THROW((Deadline{{}, TimeoutKind::SockConnect}.raise("x")), ConnectionTimeoutError);
  EXPECT_THROW((Deadline{{}, TimeoutKind::SockRead}.raise("x")), SocketTimeoutError);
  try {
    Deadline{{}, TimeoutKind::SockRead}.raise("reading from h:1");
  } catch (const ServerTimeoutError& e) {
    EXPECT_EQ(e.timeout_kind(), TimeoutKind::SockRead);
  }
}

TEST(Deadline, TheSoonerLimitBindsAndAPassedOneRaisesAtOnce) {
  using namespace std::chrono_literals;
  const Deadline total = Deadline::after(10s, TimeoutKind::Total);
  EXPECT_EQ(total.sooner(1s, TimeoutKind::SockRead).kind, TimeoutKind::SockRead);
  EXPECT_EQ(total.sooner(60s, TimeoutKind::SockRead).kind, TimeoutKind::Total);
  EXPECT_EQ(total.sooner(std::nullopt, TimeoutKind::SockRead).kind, TimeoutKind::Total);
  const Deadline none = Deadline::after(std::nullopt, TimeoutKind::Total);
  EXPECT_EQ(none.at, detail::Clock::time_point::max());
  EXPECT_EQ(none.sooner(1s, TimeoutKind::Connect).kind, TimeoutKind::Connect);
  EXPECT_NO_THROW(none.check([] { return std::string("never"); }));
  const Deadline passed{detail::Clock::now() - 1ms, TimeoutKind::Total};
  EXPECT_THROW(passed.check([] { return std::string("late"); }), ServerTimeoutError);
  // A sooner limit never extends a deadline that has passed.
  EXPECT_EQ(passed.sooner(1s, TimeoutKind::SockRead).kind, TimeoutKind::Total);
}

TEST(PoolKey, SchemeHostPortWithIpv6InBracketsBuiltOnTheStackOrForLongHostsOnTheHeap) {
  EXPECT_EQ(detail::OriginKey(Origin{"http", "127.0.0.1", 8080}).view(), "http://127.0.0.1:8080");
  EXPECT_EQ(detail::OriginKey(Origin{"https", "::1", 443}).view(), "https://[::1]:443");
  const std::string long_host(400, 'a');
  EXPECT_EQ(detail::OriginKey(Origin{"http", long_host, 80}).view(), "http://" + long_host + ":80");
  EXPECT_EQ(detail::origin_key(Origin{"http", "example.test", 65535}), "http://example.test:65535");
}
