#include "wire.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/error.hpp>
#include <algorithm>
#include <charconv>
#include <cstring>

#include "rfc9110.hpp"

namespace tracehop::http::detail {

namespace bhttp = boost::beast::http;
namespace asio = boost::asio;

std::string_view request_head(HeadBuffer& out, std::string_view method, std::string_view target, std::string_view host,
                              const RequestHeaders& headers, std::size_t body_size, bool close) {
  if (!is_token(method)) throw ClientError(make_error_code(errc::invalid_header), "invalid method '" + std::string(method) + "'");
  // Checked and measured in one pass, then written into a buffer of exactly that size.
  bool own_host = false;  // a caller's Host wins
  bool has_length = false;
  std::size_t fields = 0;
  headers.for_each([&](std::string_view n, std::string_view v) {
    if (!is_token(n) || !is_field_value(v))
      throw ClientError(make_error_code(errc::invalid_header), "invalid header field '" + std::string(n) + "'");
    if (n.size() == 4 && field_name_equal(n, "Host")) own_host = true;
    if (n.size() == 14 && field_name_equal(n, "Content-Length")) has_length = true;
    fields += n.size() + v.size() + 4;
  });
  char length[24];
  std::size_t length_size = 0;
  if (!has_length && (body_size > 0 || method == "POST" || method == "PUT" || method == "PATCH"))
    length_size = static_cast<std::size_t>(std::to_chars(length, length + sizeof length, body_size).ptr - length);
  constexpr std::string_view kClose = "Connection: close\r\n";
  const std::size_t size = method.size() + 1 + target.size() + 11 + (own_host ? 0 : 6 + host.size() + 2) + fields +
                           (length_size ? 16 + length_size + 2 : 0) + (close ? kClose.size() : 0) + 2;
  out.resize(size, boost::container::default_init);
  char* p = out.data();
  auto put = [&p](std::initializer_list<std::string_view> parts) {
    for (const auto part : parts) {
      std::memcpy(p, part.data(), part.size());
      p += part.size();
    }
  };
  put({method, " ", target, " HTTP/1.1\r\n"});
  if (!own_host) put({"Host: ", host, "\r\n"});
  headers.for_each([&](std::string_view n, std::string_view v) { put({n, ": ", v, "\r\n"}); });
  if (length_size) put({"Content-Length: ", {length, length_size}, "\r\n"});
  if (close) put({kClose});
  put({"\r\n"});
  return {out.data(), size};
}

std::size_t write_now(Connection& conn, const RequestBytes& bytes, boost::system::error_code& ec) {
  if (conn.tls) return 0;
  auto& socket = conn.tcp().socket();
  if (!socket.non_blocking()) socket.non_blocking(true, ec);
  if (ec) return 0;
  const std::size_t n = socket.write_some(bytes, ec);
  if (ec == asio::error::would_block || ec == asio::error::try_again) ec.clear();
  return n;
}

asio::awaitable<boost::system::error_code> read_response(Connection& conn, ResponseParser& parser, Until until) {
  auto& buffer = conn.buffer;
  for (;;) {
    boost::system::error_code ec;
    if (buffer.size() > 0) {
      const auto data = buffer.data();
      const std::size_t used = parser.put({static_cast<const char*>(data.data()), data.size()}, ec);
      buffer.consume(used);
      // An error in body bytes that came with the header is the body's, met again by the read of
      // the body: the bytes stay in the buffer, where the parser stopped.
      if (ec && until == Until::Header && parser.is_header_done()) co_return boost::system::error_code{};
      if (ec || parser.is_done() || (until == Until::Header ? parser.is_header_done() : used > 0)) co_return ec;
    }
    // Room for what a socket usually has ready (512 bytes to 64 KiB, as Beast's reads size it).
    const std::size_t room = std::clamp<std::size_t>(buffer.capacity() - buffer.size(), 512, 65536);
    auto [rec, n] = co_await conn.with_stream([&](auto& stream) {
      return stream.async_read_some(buffer.prepare(room), asio::as_tuple(asio::use_awaitable));
    });
    buffer.commit(n);
    if (rec == asio::error::eof) {
      if (!parser.got_some() && buffer.size() == 0) co_return bhttp::error::end_of_stream;
      if (buffer.size() == 0) parser.put_eof(ec);
      else ec = bhttp::error::partial_message;  // a line that will never end
      co_return ec;
    }
    if (rec) co_return rec;
  }
}

RequestBytes unwritten(const RequestBytes& bytes, std::size_t written) noexcept {
  const std::size_t head = bytes[0].size();
  return {bytes[0] + std::min(written, head), bytes[1] + (written > head ? written - head : 0)};
}

void throw_io_error(const boost::system::error_code& ec, const Deadline& limit, const Origin& origin, const Url& url,
                    bool in_body) {
  const std::string where = origin.host_header();
  if (ec == asio::error::operation_aborted) throw RequestCancelled("reading the response from " + where);
  if (ec == boost::beast::error::timeout) limit.raise("reading from " + where);
  if (ec == bhttp::error::body_limit)
    throw ClientPayloadError("response body from " + std::string(url.buffer()) + " exceeds the size limit");
  if (in_body)
    throw ClientPayloadError("response payload from " + std::string(url.buffer()) + " is not complete: " + ec.message());
  if (ec == bhttp::error::end_of_stream || ec == asio::error::eof || ec == asio::error::connection_reset ||
      ec == bhttp::error::partial_message || ec == asio::error::broken_pipe)
    throw ServerDisconnectedError(where + " closed the connection before the response (" + ec.message() + ")", ec);
  if (ec.category() == make_error_code(bhttp::error::bad_version).category())
    throw ClientResponseError(0, "malformed response: " + ec.message(), std::string(url.buffer()),
                              make_error_code(errc::malformed_response));
  throw ServerDisconnectedError(where + ": " + ec.message(), ec);
}

}  // namespace tracehop::http::detail
