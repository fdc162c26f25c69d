#pragma once
// The client's HTTP/1.1 response parser (internal; RFC 9112). Fed the bytes of a connection as
// they arrive, it keeps the header as it came, in one copy (the fields are views of it: most
// callers look at one or two, and Response::headers() builds the ordered multimap on first use),
// and collects the body, framed by Content-Length, chunked coding or the connection's close,
// into one string. A usual header (up to 16 fields, 512 bytes) is kept in place: the parser
// lives in the response's state, which is allocated anyway. Interim (1xx) responses are skipped.
// Errors are Beast's beast::http::error codes, so that a read's error means one thing whoever
// parsed: bad_version, bad_status, bad_field, bad_value, bad_line_ending, bad_obs_fold,
// bad_content_length, bad_transfer_encoding, bad_chunk, header_limit, body_limit,
// partial_message.

#include <boost/container/small_vector.hpp>
#include <boost/system/error_code.hpp>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

#include "tracehop/http/headers.hpp"

namespace tracehop::http::detail {

class ResponseParser {
 public:
  using error_code = boost::system::error_code;
  /// The most a header (status line and fields) or a chunked body's trailer may take.
  static constexpr std::size_t kHeaderLimit = 8192;

  /// The most body bytes taken before body_limit (checked against Content-Length at once).
  void body_limit(std::uint64_t n) noexcept { body_limit_ = n; }
  /// The response to a HEAD request: a header only, whatever it says of a body.
  void skip_body() noexcept { skip_body_ = true; }

  /// Parses from the start of `in`; returns how many bytes it took. It takes a line (the
  /// header, a chunk size, a trailer field) only whole: the caller offers what is left again,
  /// with more after it. It takes nothing past the end of the message. After an error (in `ec`)
  /// it stays where it stopped: offered the same bytes again, it fails the same way.
  std::size_t put(std::string_view in, error_code& ec);
  /// The peer closed the connection: ends a body that runs until then, else partial_message.
  void put_eof(error_code& ec);

  bool got_some() const noexcept { return got_some_; }
  bool is_header_done() const noexcept { return state_ != State::Header; }
  bool is_done() const noexcept { return state_ == State::Done; }
  /// Whether the connection can carry another request after this response.
  bool keep_alive() const noexcept { return keep_alive_; }

  int status() const noexcept { return status_; }
  std::string_view reason() const noexcept { return slice(reason_); }
  int version() const noexcept { return version_; }
  /// The first field of that name (case-insensitive), if any.
  std::optional<std::string_view> field(std::string_view name) const noexcept {
    for (const auto& f : fields_)
      if (field_name_equal(slice(f.name), name)) return slice(f.value);
    return std::nullopt;
  }
  /// Every field, in the order received.
  template <class F>
  void each_field(F&& f) const {
    for (const auto& x : fields_) f(slice(x.name), slice(x.value));
  }

  /// What has arrived of the body (a caller reading it in pieces may move it out between puts).
  std::string& body() noexcept { return body_; }

 private:
  enum class State : std::uint8_t { Header, Length, ChunkSize, ChunkData, ChunkEnd, Trailer, UntilClose, Done };
  struct Span {
    std::uint32_t offset = 0, size = 0;
  };
  struct Field {
    Span name, value;
  };

  std::string_view slice(Span s) const noexcept { return {raw_.data() + s.offset, s.size}; }
  std::size_t put_header(std::string_view in, error_code& ec);
  void parse_status_line(std::string_view line, error_code& ec);
  void frame_body(error_code& ec);
  std::size_t put_chunk_size(std::string_view in, error_code& ec);
  std::size_t put_trailer(std::string_view in, error_code& ec);
  std::size_t take_body(std::string_view in, std::uint64_t most, error_code& ec);

  State state_ = State::Header;
  bool got_some_ = false;
  bool skip_body_ = false;
  bool keep_alive_ = false;
  bool folded_ = false;  // a value of the header being parsed spans lines (obs-fold)
  int status_ = 0;
  int version_ = 11;
  Span reason_;
  std::uint64_t body_limit_ = std::numeric_limits<std::uint64_t>::max();
  std::uint64_t received_ = 0;   // body bytes taken, for body_limit
  std::uint64_t remaining_ = 0;  // of the Content-Length or the current chunk
  std::size_t scanned_ = 0;      // of the header (its whole lines) or the trailer so far
  boost::container::small_vector<char, 512> raw_;  // the header as it came
  boost::container::small_vector<Field, 16> fields_;
  std::string body_;
};

}  // namespace tracehop::http::detail
