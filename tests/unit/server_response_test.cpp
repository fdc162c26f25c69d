// A handler's answer made valid before it is sent: status range, header fields, bodies where
// RFC 9110 allows none, and the framing the server owns. No I/O.
#include <gtest/gtest.h>

#include "server_response.hpp"

using namespace tracehop::http;
using tracehop::http::detail::carries_content;
using tracehop::http::detail::make_sendable;

namespace {

std::string field(const ServerResponse& r, std::string_view name) {
  return std::string(r.headers.first(name).value_or("<absent>"));
}

BodyStream some_stream() {
  return [](BodyWriter& out) -> boost::asio::awaitable<void> { co_await out.write("x"); };
}

}  // namespace

TEST(ServerResponse, AValidAnswerGetsItsContentLengthAndNoFault) {
  auto r = ServerResponse::text(200, "hello");
  EXPECT_EQ(make_sendable(r, "GET", 1), "");
  EXPECT_EQ(field(r, "Content-Length"), "5");
  EXPECT_EQ(r.body, "hello");
}

TEST(ServerResponse, StatusesOutsideTheFinalRangeBecomeA500) {
  for (int status : {-1, 0, 99, 100, 101, 199, 600, 1000}) {
    ServerResponse r = ServerResponse::text(status, "body");
    r.headers.set("X-Kept", "no");
    const auto fault = make_sendable(r, "GET", 1);
    EXPECT_NE(fault.find("not a final status"), std::string::npos) << status << ": " << fault;
    EXPECT_EQ(r.status, 500) << status;
    EXPECT_EQ(field(r, "X-Kept"), "<absent>");
  }
  for (int status : {200, 418, 599}) {
    auto r = ServerResponse::text(status, "b");
    EXPECT_EQ(make_sendable(r, "GET", 1), "") << status;
    EXPECT_EQ(r.status, status);
  }
}

TEST(ServerResponse, AHeaderFieldThatWouldSplitTheMessageBecomesA500) {
  const std::vector<Headers::Field> bad = {{"X-Bad", "a\r\nInjected: 1"}, {"X-Bad", std::string("a\0b", 3)},
                                           {"X-Bad", "line\n"},         {"Bad Name", "v"},
                                           {"", "v"},                   {"X-Big", std::string(70'000, 'a')}};
  for (const auto& [name, value] : bad) {
    auto r = ServerResponse::text(200, "secret");
    r.headers.add(name, value);
    const auto fault = make_sendable(r, "GET", 1);
    EXPECT_NE(fault.find("answered 500"), std::string::npos) << name;
    EXPECT_EQ(r.status, 500);
    EXPECT_EQ(r.body, "internal server error\n");
    for (const auto& [n, v] : r.headers) EXPECT_NE(n, name);
  }
  auto ok = ServerResponse::text(200, "");
  ok.headers.add("X-Tab-And-Utf8", "a\tb \xc3\xa9");
  EXPECT_EQ(make_sendable(ok, "GET", 1), "");
}

TEST(ServerResponse, NoContentStatusesDropTheBodyAndSayWhy) {
  for (int status : {204, 205, 304}) {
    auto r = ServerResponse::text(status, "not allowed");
    const auto fault = make_sendable(r, "GET", 1);
    EXPECT_NE(fault.find("has no content"), std::string::npos) << status;
    EXPECT_EQ(r.body, "");
    EXPECT_EQ(r.status, status);
    auto s = ServerResponse::streamed(status, some_stream());
    EXPECT_NE(make_sendable(s, "GET", 1), "") << status;
    EXPECT_FALSE(s.stream) << status;
  }
}

TEST(ServerResponse, FramingIsTheServers) {
  auto no_content = ServerResponse::text(204, "");
  no_content.headers.set("Content-Length", "10");
  EXPECT_EQ(make_sendable(no_content, "GET", 1), "");
  EXPECT_EQ(field(no_content, "Content-Length"), "<absent>");  // RFC 9110 8.6: never on a 204

  auto reset = ServerResponse::text(205, "");
  EXPECT_EQ(make_sendable(reset, "GET", 1), "");
  EXPECT_EQ(field(reset, "Content-Length"), "0");

  auto lying = ServerResponse::text(200, "four");
  lying.headers.set("Content-Length", "999");
  lying.headers.set("Transfer-Encoding", "chunked");
  EXPECT_EQ(make_sendable(lying, "GET", 1), "");
  EXPECT_EQ(field(lying, "Content-Length"), "4");
  EXPECT_EQ(field(lying, "Transfer-Encoding"), "<absent>");

  // A HEAD or 304 answer without a body may state the representation's length.
  auto head = ServerResponse::text(200, "");
  head.headers.set("Content-Length", "12");
  EXPECT_EQ(make_sendable(head, "HEAD", 1), "");
  EXPECT_EQ(field(head, "Content-Length"), "12");
  auto not_modified = ServerResponse::text(304, "");
  not_modified.headers.set("Content-Length", "12");
  EXPECT_EQ(make_sendable(not_modified, "GET", 1), "");
  EXPECT_EQ(field(not_modified, "Content-Length"), "12");

  // A GET route's answer to HEAD keeps the GET framing; the body is simply not sent.
  auto get_for_head = ServerResponse::text(200, "twelve bytes");
  EXPECT_EQ(make_sendable(get_for_head, "HEAD", 1), "");
  EXPECT_EQ(field(get_for_head, "Content-Length"), "12");

  auto stream11 = ServerResponse::streamed(200, some_stream());
  stream11.headers.set("Content-Length", "1");
  EXPECT_EQ(make_sendable(stream11, "GET", 1), "");
  EXPECT_EQ(field(stream11, "Transfer-Encoding"), "chunked");
  EXPECT_EQ(field(stream11, "Content-Length"), "<absent>");
  auto stream10 = ServerResponse::streamed(200, some_stream());
  EXPECT_EQ(make_sendable(stream10, "GET", 0), "");
  EXPECT_EQ(field(stream10, "Transfer-Encoding"), "<absent>");  // HTTP/1.0: the body ends at close
}

TEST(ServerResponse, WhichAnswersCarryContent) {
  EXPECT_TRUE(carries_content("GET", 200));
  EXPECT_TRUE(carries_content("POST", 500));
  EXPECT_FALSE(carries_content("HEAD", 200));
  for (int s : {100, 101, 204, 205, 304}) EXPECT_FALSE(carries_content("GET", s)) << s;
}
