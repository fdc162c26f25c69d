// The client's response parser without I/O (RFC 9112): framing by Content-Length, chunked coding
// and the close; what keeps a connection; interim responses, obs-fold, limits and every refusal.
// Each response is parsed whole and a byte at a time, which must agree.
#include <gtest/gtest.h>

#include <boost/beast/http/error.hpp>

#include "response_parser.hpp"

using tracehop::http::detail::ResponseParser;
using error = boost::beast::http::error;

namespace {

struct Parsed {
  boost::system::error_code ec;
  bool done = false, keep_alive = false;
  int status = 0, version = 0;
  std::string reason, body;
  std::vector<std::string> fields;
  std::size_t taken = 0;  // of the input
  bool operator==(const Parsed&) const = default;
};

struct Options {
  bool head = false;
  bool eof = false;  // the peer closes after the input
  std::uint64_t body_limit = 1 << 20;
};

// Offers `input` in pieces of `piece` bytes, as a connection's reads would.
Parsed parse_in_pieces(std::string_view input, std::size_t piece, Options o) {
  ResponseParser p;
  p.body_limit(o.body_limit);
  if (o.head) p.skip_body();
  Parsed r;
  std::string pending;
  std::size_t next = 0;
  for (;;) {
    const std::size_t used = p.put(pending, r.ec);
    pending.erase(0, used);
    r.taken += used;
    if (r.ec || p.is_done() || next == input.size()) break;
    const auto n = std::min(piece, input.size() - next);
    pending.append(input.substr(next, n));
    next += n;
  }
  if (!r.ec && !p.is_done() && o.eof) {  // as read_response: a line left unended is a partial message
    if (pending.empty())
      p.put_eof(r.ec);
    else
      r.ec = error::partial_message;
  }
  r.done = p.is_done();
  r.keep_alive = p.keep_alive();
  if (p.is_header_done()) {
    r.status = p.status();
    r.version = p.version();
    r.reason = std::string(p.reason());
    p.each_field([&](std::string_view n, std::string_view v) { r.fields.push_back(std::string(n) + "=" + std::string(v)); });
  }
  r.body = p.body();
  return r;
}

Parsed parse(std::string_view input, Options o = {}) {
  const Parsed whole = parse_in_pieces(input, input.size() + 1, o);
  const Parsed bytes = parse_in_pieces(input, 1, o);
  if (whole.ec || bytes.ec)  // (how much of a body came before its error may differ)
    EXPECT_EQ(whole.ec, bytes.ec) << "whole and a byte at a time differ for: " << input;
  else
    EXPECT_EQ(whole, bytes) << "whole and a byte at a time differ for: " << input;
  return whole;
}

using Fields = std::vector<std::string>;

}  // namespace

TEST(ResponseParser, ALengthFramedBodyAndWhatKeepsTheConnection) {
  auto r = parse("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhelloNEXT");
  EXPECT_FALSE(r.ec) << r.ec.message();
  EXPECT_TRUE(r.done);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.reason, "OK");
  EXPECT_EQ(r.version, 11);
  EXPECT_EQ(r.fields, (Fields{"Content-Type=text/plain", "Content-Length=5"}));
  EXPECT_EQ(r.body, "hello");
  EXPECT_TRUE(r.keep_alive);
  EXPECT_EQ(r.taken, std::string_view("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello").size())
      << "nothing past the message is taken";

  EXPECT_FALSE(parse("HTTP/1.1 200 OK\r\nConnection: Close\r\nContent-Length: 0\r\n\r\n").keep_alive);
  EXPECT_FALSE(parse("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n").keep_alive);
  const auto kept = parse("HTTP/1.0 200 OK\r\nConnection: foo, Keep-Alive\r\nContent-Length: 0\r\n\r\n");
  EXPECT_TRUE(kept.keep_alive);
  EXPECT_EQ(kept.version, 10);
  EXPECT_EQ(parse("HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n").reason, "") << "no SP before an empty reason";
  EXPECT_EQ(parse("HTTP/1.1 599 \r\nContent-Length: 0\r\n\r\n").status, 599);
}

TEST(ResponseParser, ChunkedBodyWithExtensionsAndATrailer) {
  const auto r = parse(
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5;name=\"v\"\r\nhello\r\nA \t; x\r\n0123456789\r\n0\r\nX-Trailer: t\r\nX-More:  u \r\n\r\nNEXT");
  EXPECT_FALSE(r.ec) << r.ec.message();
  EXPECT_TRUE(r.done);
  EXPECT_EQ(r.body, "hello0123456789");
  EXPECT_EQ(r.fields, (Fields{"Transfer-Encoding=chunked"})) << "trailer fields are checked, not kept";
  EXPECT_TRUE(r.keep_alive);

  EXPECT_EQ(parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n").ec, error::bad_chunk);
  EXPECT_EQ(parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n").ec, error::bad_chunk);
  EXPECT_EQ(parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3 junk\r\nabc\r\n").ec, error::bad_chunk);
  EXPECT_EQ(parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1000000000000000\r\n").ec, error::bad_chunk);
  EXPECT_EQ(parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\nabc\r\n").ec, error::bad_line_ending);
  EXPECT_EQ(parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nBad Trailer\r\n\r\n").ec, error::bad_field);
  EXPECT_EQ(parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + std::string(5000, ';')).ec, error::bad_chunk);
}

TEST(ResponseParser, TransferEncodingOverridesLengthAndTheConnectionIsNotReused) {
  // Both framings in one message may be a smuggling attempt (RFC 9112 §6.3).
  const auto both = parse("HTTP/1.1 200 OK\r\nContent-Length: 99\r\nTransfer-Encoding: gzip, chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n");
  EXPECT_FALSE(both.ec) << both.ec.message();
  EXPECT_TRUE(both.done);
  EXPECT_EQ(both.body, "ok");
  EXPECT_FALSE(both.keep_alive);
  // Not chunked last: the body runs until the close.
  const auto gzip = parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\nraw", {.eof = true});
  EXPECT_TRUE(gzip.done);
  EXPECT_EQ(gzip.body, "raw");
  EXPECT_FALSE(gzip.keep_alive);
}

TEST(ResponseParser, ABodyWithoutLengthEndsWithTheConnection) {
  const auto open = parse("HTTP/1.1 200 OK\r\n\r\nsome bytes");
  EXPECT_FALSE(open.ec);
  EXPECT_FALSE(open.done) << "until the peer closes";
  const auto closed = parse("HTTP/1.0 404 Not Found\r\nServer: x\r\n\r\nsome bytes", {.eof = true});
  EXPECT_FALSE(closed.ec) << closed.ec.message();
  EXPECT_TRUE(closed.done);
  EXPECT_EQ(closed.body, "some bytes");
  EXPECT_FALSE(closed.keep_alive);
  EXPECT_EQ(parse("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", {.eof = true}).ec, error::partial_message);
  EXPECT_EQ(parse("HTTP/1.1 200 OK\r\nContent-Len", {.eof = true}).ec, error::partial_message);
}

TEST(ResponseParser, NoBodyForHeadOr204Or304WhateverTheHeaderSays) {
  const std::string head = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n";
  const auto r = parse(head + "hello", {.head = true});
  EXPECT_TRUE(r.done);
  EXPECT_EQ(r.body, "");
  EXPECT_EQ(r.taken, head.size());
  EXPECT_TRUE(r.keep_alive);
  for (const char* status : {"204 No Content", "304 Not Modified"}) {
    const auto s = parse(std::string("HTTP/1.1 ") + status + "\r\nContent-Length: 5\r\n\r\n");
    EXPECT_TRUE(s.done) << status;
    EXPECT_TRUE(s.keep_alive) << status;
  }
}

TEST(ResponseParser, InterimResponsesAreSkippedAndTheFinalOneIsRead) {
  const auto r = parse(
      "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n"
      "HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok");
  EXPECT_FALSE(r.ec) << r.ec.message();
  EXPECT_EQ(r.status, 201);
  EXPECT_EQ(r.fields, (Fields{"Content-Length=2"}));
  EXPECT_EQ(r.body, "ok");
  // 101: the connection leaves HTTP; nothing after the header is taken.
  const auto up = parse("HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\nbinary");
  EXPECT_TRUE(up.done);
  EXPECT_FALSE(up.keep_alive);
  EXPECT_EQ(up.body, "");
}

TEST(ResponseParser, ObsFoldIsJoinedWithSpacesAndOnlyAfterAField) {
  const auto r = parse("HTTP/1.1 200 OK\r\nX-Folded: first\r\n  second \r\n\tthird\r\nContent-Length: 0\r\n\r\n");
  EXPECT_FALSE(r.ec) << r.ec.message();
  EXPECT_EQ(r.fields, (Fields{"X-Folded=first    second   \tthird", "Content-Length=0"}));
  EXPECT_EQ(parse("HTTP/1.1 200 OK\r\n folded\r\n\r\n").ec, error::bad_obs_fold);
}

TEST(ResponseParser, ContentLengthIsOneNumber) {
  const auto list = parse("HTTP/1.1 200 OK\r\nContent-Length: 4, 4\r\nContent-Length: 4\r\n\r\nbody");
  EXPECT_FALSE(list.ec) << list.ec.message();
  EXPECT_EQ(list.body, "body");
  for (const char* bad : {"Content-Length: 5\r\nContent-Length: 6", "Content-Length: abc", "Content-Length: -1",
                          "Content-Length: ", "Content-Length: 5, 6", "Content-Length: 99999999999999999999"})
    EXPECT_EQ(parse(std::string("HTTP/1.1 200 OK\r\n") + bad + "\r\n\r\n").ec, error::bad_content_length) << bad;
}

TEST(ResponseParser, WhatIsNotAnHttp1ResponseIsRefused) {
  const std::pair<const char*, error> cases[] = {
      {"HTTP/1.1 2x0 OK\r\n\r\n", error::bad_status},
      {"HTTP/1.1 020 OK\r\n\r\n", error::bad_status},
      {"HTTP/1.1 2000 OK\r\n\r\n", error::bad_status},
      {"HTTP/2 200 OK\r\n\r\n", error::bad_version},
      {"HTTP/1.1 200 OK\r\nBad Header Line\r\n\r\n", error::bad_field},
      {"HTTP/1.1 200 OK\r\nName : v\r\n\r\n", error::bad_field},
      {"HTTP/1.1 200 OK\r\n: v\r\n\r\n", error::bad_field},
      {"HTTP/1.1 200 OK\r\nX: a\rb\r\n\r\n", error::bad_value},
      {"HTTP/1.1 200 O\rK\r\n\r\n", error::bad_reason},
      {"HTTP/1.1 200 OK\r\nX: a\nY: b\r\n\r\n", error::bad_line_ending},
  };
  for (const auto& [text, code] : cases) EXPECT_EQ(parse(text).ec, code) << text;
  // As soon as the first bytes show it: no waiting for an end that may never come.
  EXPECT_EQ(parse("NOT HTTP").ec, error::bad_version);
  EXPECT_EQ(parse("HTTP/1.1 200 OK\n").ec, error::bad_line_ending);
  std::string nul = "HTTP/1.1 200 OK\r\nX: a";
  nul += '\0';
  EXPECT_EQ(parse(nul + "\r\n\r\n").ec, error::bad_value);
}

TEST(ResponseParser, LimitsOnTheHeaderAndTheBody) {
  const std::string big(ResponseParser::kHeaderLimit, 'h');
  EXPECT_EQ(parse("HTTP/1.1 200 OK\r\nX-Huge: " + big).ec, error::header_limit) << "without its end";
  EXPECT_EQ(parse("HTTP/1.1 200 OK\r\nX-Huge: " + big + "\r\n\r\n").ec, error::header_limit);
  EXPECT_EQ(parse("HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n", {.body_limit = 10}).ec, error::body_limit)
      << "refused on the header's word";
  EXPECT_FALSE(parse("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789", {.body_limit = 10}).ec);
  EXPECT_EQ(parse("HTTP/1.1 200 OK\r\n\r\n0123456789A", {.body_limit = 10}).ec, error::body_limit);
  EXPECT_EQ(parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n6\r\n012345\r\n5\r\n", {.body_limit = 10}).ec,
            error::body_limit);
}

TEST(ResponseParser, FieldsPastItsRoomInPlaceAreKeptWholeAndInOrder) {
  // 24 fields, about 900 bytes: past the 16 fields and 512 bytes the parser keeps in place.
  std::string response = "HTTP/1.1 203 Non-Authoritative Information\r\n";
  for (int i = 0; i < 24; ++i) response += "X-F" + std::to_string(i) + ": " + std::string(30, static_cast<char>('a' + i)) + "\r\n";
  response += "Content-Length: 2\r\n\r\nok";
  ResponseParser parser;
  boost::system::error_code ec;
  EXPECT_EQ(parser.put(response, ec), response.size());
  ASSERT_FALSE(ec) << ec.message();
  ASSERT_TRUE(parser.is_done());
  EXPECT_EQ(parser.status(), 203);
  EXPECT_EQ(parser.reason(), "Non-Authoritative Information");
  int i = 0;
  parser.each_field([&](std::string_view name, std::string_view value) {
    if (i < 24) {
      EXPECT_EQ(name, "X-F" + std::to_string(i));
      EXPECT_EQ(value, std::string(30, static_cast<char>('a' + i)));
    }
    ++i;
  });
  EXPECT_EQ(i, 25);
  EXPECT_EQ(parser.field("x-f23"), std::string(30, 'x'));
  EXPECT_EQ(parser.field("content-length"), "2");
  EXPECT_EQ(parser.body(), "ok");
}

TEST(ResponseParser, AfterAnErrorTheSameBytesFailTheSameWay) {
  // What read_response relies on to leave a body's error, met with the header, to the body's read.
  const std::string header = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
  const std::string rest = "3\r\nabcX\r\n";
  ResponseParser p;
  boost::system::error_code ec;
  const std::size_t taken = p.put(header + rest, ec);
  EXPECT_EQ(ec, error::bad_chunk);
  ASSERT_TRUE(p.is_header_done());
  EXPECT_EQ(taken, header.size() + 6) << "the chunk's size and data taken, the bad byte left";
  EXPECT_EQ(p.put(std::string_view(rest).substr(6), ec), 0u);
  EXPECT_EQ(ec, error::bad_chunk);
  EXPECT_EQ(p.body(), "abc");
}
