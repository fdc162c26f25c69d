// The client's response parser never crashes, and it reads a response the same whether the
// bytes come at once or in small pieces: status, reason, fields in order, body, completeness.
// What it accepts has sane fields (a non-empty name, no CR or LF anywhere).
#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <boost/beast/http/error.hpp>

#include "fuzz_check.hpp"
#include "response_parser.hpp"

using tracehop::http::detail::ResponseParser;

namespace {

struct Outcome {
  bool ok = false, done = false;
  int status = 0;
  std::string reason, body;
  std::vector<std::string> fields;
  bool operator==(const Outcome&) const = default;
};

// Feeds the input in pieces of at most `piece` bytes, as a socket would; the parser takes a line
// only whole, and what it leaves comes again with the next piece.
Outcome parse(std::string_view input, std::size_t piece) {
  ResponseParser p;
  p.body_limit(1 << 16);
  boost::system::error_code ec;
  std::string pending;
  std::size_t next = 0;
  while (!p.is_done()) {
    pending.erase(0, p.put(pending, ec));
    if (ec || p.is_done()) break;
    if (next == input.size()) {  // the peer closed: as read_response handles it
      if (!pending.empty()) ec = boost::beast::http::error::partial_message;
      else p.put_eof(ec);
      break;
    }
    const auto n = std::min(piece, input.size() - next);
    pending.append(input.substr(next, n));
    next += n;
  }
  Outcome o;
  o.ok = !ec;
  o.done = p.is_done();
  if (!p.is_header_done()) return o;
  o.status = p.status();
  o.reason = std::string(p.reason());
  o.body = p.body();
  p.each_field([&](std::string_view n, std::string_view v) {
    FUZZ_CHECK(!n.empty());
    FUZZ_CHECK(n.find_first_of("\r\n:") == std::string_view::npos);
    FUZZ_CHECK(v.find_first_of("\r\n") == std::string_view::npos);
    o.fields.push_back(std::string(n) + ": " + std::string(v));
  });
  if (!o.fields.empty()) FUZZ_CHECK(p.field(o.fields.front().substr(0, o.fields.front().find(':'))).has_value());
  return o;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const Outcome whole = parse(input, input.size() + 1);
  const Outcome pieces = parse(input, 7);
  if (whole.ok && whole.done) FUZZ_CHECK(whole == pieces);
  if (whole.ok && whole.done) FUZZ_CHECK(whole.status >= 100 && whole.status <= 999);
  return 0;
}
