#include "response_parser.hpp"

#include <algorithm>
#include <boost/beast/http/error.hpp>
#include <cstring>

#include "rfc9110.hpp"

namespace tracehop::http::detail {

namespace {

using error = boost::beast::http::error;
using error_code = boost::system::error_code;
using tracehop::detail::for_each_list_item;
using tracehop::detail::iequals_lower;

constexpr std::size_t kChunkLineLimit = 4096;  // a chunk size and its extensions

bool is_ows(char c) noexcept { return c == ' ' || c == '\t'; }

// Decimal digits only (RFC 9110 §8.6), within 2^63.
std::optional<std::uint64_t> parse_length(std::string_view s) noexcept {
  if (s.empty() || s.size() > 18) return std::nullopt;
  std::uint64_t v = 0;
  for (const char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return v;
}

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// A field line's name and value; false if it is not `token ":" OWS value OWS` with a value
// that cannot end its line early (RFC 9112 §5: no whitespace before the colon).
bool split_field(std::string_view line, std::string_view& name, std::string_view& value, error_code& ec) {
  const auto colon = line.find(':');
  if (colon == std::string_view::npos || !is_token(line.substr(0, colon))) {
    ec = error::bad_field;
    return false;
  }
  name = line.substr(0, colon);
  value = trim_ows(line.substr(colon + 1));
  if (!is_field_value(value)) {
    ec = error::bad_value;
    return false;
  }
  return true;
}

}  // namespace

std::size_t ResponseParser::put(std::string_view in, error_code& ec) {
  ec = {};
  if (!in.empty()) got_some_ = true;
  std::size_t used = 0;
  while (!ec && state_ != State::Done) {
    const std::string_view rest = in.substr(used);
    std::size_t n = 0;
    switch (state_) {
      case State::Header:
        n = put_header(rest, ec);
        break;
      case State::Length:
      case State::ChunkData:
        n = take_body(rest, remaining_, ec);
        remaining_ -= n;
        if (remaining_ == 0 && !ec) state_ = state_ == State::Length ? State::Done : State::ChunkEnd;
        break;
      case State::UntilClose:
        n = take_body(rest, std::numeric_limits<std::uint64_t>::max(), ec);
        break;
      case State::ChunkSize:
        n = put_chunk_size(rest, ec);
        break;
      case State::ChunkEnd:  // the CRLF after a chunk's data
        if (rest.size() >= 2 && rest[0] == '\r' && rest[1] == '\n') {
          n = 2;
          state_ = State::ChunkSize;
        } else if (!rest.empty() && (rest[0] != '\r' || rest.size() >= 2)) {
          ec = error::bad_chunk;
        }
        break;
      case State::Trailer:
        n = put_trailer(rest, ec);
        break;
      case State::Done:
        break;
    }
    if (n == 0) break;  // it needs more than `in` has (or failed)
    used += n;
  }
  return used;
}

void ResponseParser::put_eof(error_code& ec) {
  ec = {};
  if (state_ == State::UntilClose) state_ = State::Done;
  if (state_ != State::Done) ec = error::partial_message;
}

void ResponseParser::parse_status_line(std::string_view line, error_code& ec) {
  // HTTP-version SP status-code [SP reason-phrase] (RFC 9112 §4; a missing SP before an empty
  // reason is accepted, as most clients do).
  if (line.size() < 12 || line.substr(0, 7) != "HTTP/1." || line[7] < '0' || line[7] > '9' || line[8] != ' ') {
    ec = error::bad_version;
    return;
  }
  status_ = 0;
  for (const char c : line.substr(9, 3)) {
    if (c < '0' || c > '9') {
      ec = error::bad_status;
      return;
    }
    status_ = status_ * 10 + (c - '0');
  }
  if (status_ < 100 || (line.size() > 12 && line[12] != ' ')) {  // three digits, of a status class
    ec = error::bad_status;
    return;
  }
  const auto reason = line.size() > 13 ? line.substr(13) : line.substr(line.size());
  if (!is_field_value(reason)) {
    ec = error::bad_reason;
    return;
  }
  version_ = line[7] == '0' ? 10 : 11;  // a later 1.x is read as 1.1 (RFC 9110 §2.5)
  reason_ = {13, static_cast<std::uint32_t>(reason.size())};
}

std::size_t ResponseParser::put_header(std::string_view in, error_code& ec) {
  // Line by line as the header arrives, resuming after the last whole line (the caller offers
  // the same bytes again, with more after them); fields are kept as offsets into the header,
  // which is copied once, when it is whole. A bare LF is refused.
  const char* const base = in.data();
  const char* const end = base + std::min(in.size(), kHeaderLimit);
  const char* p = base + scanned_;
  for (;;) {
    const auto* nl = static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p)));
    if (!nl) {
      if (in.size() > kHeaderLimit) {
        ec = error::header_limit;
      } else if (p == base) {  // what cannot become an HTTP/1 status line fails at once
        constexpr std::string_view kStart = "HTTP/1.";
        if (in.substr(0, kStart.size()) != kStart.substr(0, std::min(in.size(), kStart.size()))) ec = error::bad_version;
      }
      scanned_ = static_cast<std::size_t>(p - base);
      return 0;
    }
    if (nl == base || nl[-1] != '\r') {
      ec = error::bad_line_ending;
      return 0;
    }
    const std::string_view line(p, static_cast<std::size_t>(nl - 1 - p));
    p = nl + 1;
    const auto offset = [base](std::string_view s) { return static_cast<std::uint32_t>(s.data() - base); };
    if (line.data() == base) {
      parse_status_line(line, ec);
    } else if (line.empty()) {
      break;
    } else if (is_ows(line.front())) {
      // obs-fold: the previous value goes on; its line breaks become spaces once the header is
      // copied (RFC 9112 §5.2).
      const auto more = trim_ows(line);
      if (fields_.empty()) {
        ec = error::bad_obs_fold;
      } else if (!is_field_value(more)) {
        ec = error::bad_value;
      } else if (!more.empty()) {
        auto& value = fields_.back().value;
        if (value.size == 0) value.offset = offset(more);
        value.size = offset(more) + static_cast<std::uint32_t>(more.size()) - value.offset;
        folded_ = true;
      }
    } else if (std::string_view name, value; split_field(line, name, value, ec)) {
      fields_.push_back({{offset(name), static_cast<std::uint32_t>(name.size())},
                         {offset(value), static_cast<std::uint32_t>(value.size())}});
    }
    if (ec) return 0;
  }
  const auto size = static_cast<std::size_t>(p - base);
  raw_.assign(base, p);
  scanned_ = 0;
  if (folded_) {
    for (const auto& f : fields_)
      std::replace_if(raw_.data() + f.value.offset, raw_.data() + f.value.offset + f.value.size,
                      [](char c) { return c == '\r' || c == '\n'; }, ' ');
    folded_ = false;
  }
  if (status_ < 200 && status_ != 101) {  // an interim response (103 Early Hints): the final one follows
    fields_.clear();
    return size;
  }
  frame_body(ec);
  return ec ? 0 : size;
}

void ResponseParser::frame_body(error_code& ec) {
  // RFC 9112 §6.3, for a response; and whether the connection stays open (§9.3).
  bool close = false, keep = false, te = false, chunked = false;
  std::optional<std::uint64_t> length;
  for (const auto& f : fields_) {
    const auto name = slice(f.name);
    const auto value = slice(f.value);
    if (name.size() == 10 && iequals_lower(name, "connection")) {
      for_each_list_item(value, [&](std::string_view t) {
        close = close || iequals_lower(t, "close");
        keep = keep || iequals_lower(t, "keep-alive");
      });
    } else if (name.size() == 14 && iequals_lower(name, "content-length")) {
      bool bad = false;
      for_each_list_item(value, [&](std::string_view item) {  // a list of one value repeated is that value
        const auto v = parse_length(item);
        bad = bad || !v || (length && *length != *v);
        if (v) length = v;
      });
      if (bad || !length) {
        ec = error::bad_content_length;
        return;
      }
    } else if (name.size() == 17 && iequals_lower(name, "transfer-encoding")) {
      te = true;
      std::string_view coding;
      for_each_list_item(value, [&](std::string_view c) { coding = trim_ows(c.substr(0, c.find(';'))); });
      chunked = iequals_lower(coding, "chunked");  // the final coding: the last field's last
    }
  }
  keep_alive_ = !close && (version_ == 11 || keep);
  if (status_ == 101) {  // the connection now speaks another protocol
    keep_alive_ = false;
    state_ = State::Done;
  } else if (skip_body_ || status_ == 204 || status_ == 304) {
    state_ = State::Done;
  } else if (te) {
    // Transfer-Encoding overrides Content-Length; a message with both, or one in HTTP/1.0, may
    // be an attempt at smuggling: the connection is not reused (RFC 9112 §6.1, §6.3).
    if (length || version_ == 10) keep_alive_ = false;
    if (chunked) {
      state_ = State::ChunkSize;
    } else {
      state_ = State::UntilClose;
      keep_alive_ = false;
    }
  } else if (length) {
    if (*length > body_limit_) {
      ec = error::body_limit;
      return;
    }
    remaining_ = *length;
    body_.reserve(static_cast<std::size_t>(std::min<std::uint64_t>(*length, 1 << 20)));  // grows past 1 MiB as it comes
    state_ = *length ? State::Length : State::Done;
  } else {
    state_ = State::UntilClose;
    keep_alive_ = false;
  }
}

std::size_t ResponseParser::put_chunk_size(std::string_view in, error_code& ec) {
  // chunk-size [chunk-ext] CRLF; extensions are checked for what could end the line, not kept.
  const auto nl = in.substr(0, kChunkLineLimit).find('\n');
  if (nl == std::string_view::npos) {
    if (in.size() >= kChunkLineLimit) ec = error::bad_chunk;
    return 0;
  }
  if (nl == 0 || in[nl - 1] != '\r') {
    ec = error::bad_line_ending;
    return 0;
  }
  const auto line = in.substr(0, nl - 1);
  std::uint64_t size = 0;
  std::size_t i = 0;
  for (int d; i < line.size() && (d = hex_value(line[i])) >= 0; ++i) {
    if (i == 15) {  // 2^60 bytes: no chunk is that large
      ec = error::bad_chunk;
      return 0;
    }
    size = size * 16 + static_cast<std::uint64_t>(d);
  }
  std::string_view ext = line.substr(i);
  while (!ext.empty() && is_ows(ext.front())) ext.remove_prefix(1);
  if (i == 0 || (!ext.empty() && (ext.front() != ';' || !is_field_value(ext)))) {
    ec = error::bad_chunk;
    return 0;
  }
  if (size > body_limit_ - received_) {
    ec = error::body_limit;
    return 0;
  }
  if (size == 0) {
    state_ = State::Trailer;
    scanned_ = 0;
  } else {
    remaining_ = size;
    state_ = State::ChunkData;
  }
  return nl + 1;
}

std::size_t ResponseParser::put_trailer(std::string_view in, error_code& ec) {
  // Trailer fields after the last chunk, each checked and dropped, then the empty line.
  const auto nl = in.find('\n');
  if (nl == std::string_view::npos) {
    if (scanned_ + in.size() > kHeaderLimit) ec = error::header_limit;
    return 0;
  }
  if (nl == 0 || in[nl - 1] != '\r') {
    ec = error::bad_line_ending;
    return 0;
  }
  const auto line = in.substr(0, nl - 1);
  if (line.empty()) {
    state_ = State::Done;
    return nl + 1;
  }
  scanned_ += nl + 1;
  if (scanned_ > kHeaderLimit) {
    ec = error::header_limit;
    return 0;
  }
  std::string_view name, value;
  if (is_ows(line.front())) {  // obs-fold
    if (!is_field_value(line)) ec = error::bad_value;
  } else {
    split_field(line, name, value, ec);
  }
  return ec ? 0 : nl + 1;
}

std::size_t ResponseParser::take_body(std::string_view in, std::uint64_t most, error_code& ec) {
  const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(in.size(), most));
  if (n > body_limit_ - received_) {
    ec = error::body_limit;
    return 0;
  }
  received_ += n;
  body_.append(in.data(), n);
  return n;
}

}  // namespace tracehop::http::detail
