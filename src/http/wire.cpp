#include "wire.hpp"

#include <boost/beast/http/error.hpp>

#include "rfc9110.hpp"

namespace tracehop::http::detail {

namespace bhttp = boost::beast::http;
namespace asio = boost::asio;

std::string serialize_request(std::string_view method, std::string_view target, std::string_view host,
                              const Headers& headers, const std::string& body, bool close) {
  if (!is_token(method)) throw ClientError(make_error_code(errc::invalid_header), "invalid method '" + std::string(method) + "'");
  std::size_t size = method.size() + target.size() + host.size() + body.size() + 64;
  for (const auto& [n, v] : headers) size += n.size() + v.size() + 4;
  std::string out;
  out.reserve(size);
  out.append(method).append(" ").append(target).append(" HTTP/1.1\r\n");
  if (!headers.contains("Host")) out.append("Host: ").append(host).append("\r\n");  // a caller's Host wins
  bool has_length = false;
  for (const auto& [n, v] : headers) {
    if (!is_token(n) || !is_field_value(v))
      throw ClientError(make_error_code(errc::invalid_header), "invalid header field '" + n + "'");
    if (n.size() == 14 && field_name_equal(n, "Content-Length")) has_length = true;
    out.append(n).append(": ").append(v).append("\r\n");
  }
  if (!has_length && (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH"))
    out.append("Content-Length: ").append(std::to_string(body.size())).append("\r\n");
  if (close) out.append("Connection: close\r\n");
  out.append("\r\n").append(body);
  return out;
}

std::size_t write_now(Connection& conn, std::string_view bytes, boost::system::error_code& ec) {
  if (conn.tls) return 0;
  auto& socket = conn.tcp().socket();
  if (!socket.non_blocking()) socket.non_blocking(true, ec);
  if (ec) return 0;
  const std::size_t n = socket.write_some(asio::buffer(bytes), ec);
  if (ec == asio::error::would_block || ec == asio::error::try_again) ec.clear();
  return n;
}

void throw_io_error(const boost::system::error_code& ec, const Deadline& limit, const Origin& origin, const Url& url,
                    bool in_body) {
  const std::string where = origin.host_header();
  if (ec == boost::beast::error::timeout) limit.raise("reading from " + where);
  if (ec == bhttp::error::body_limit)
    throw ClientPayloadError("response body from " + std::string(url.buffer()) + " exceeds the size limit");
  if (in_body)
    throw ClientPayloadError("response payload from " + std::string(url.buffer()) + " is not complete: " + ec.message());
  if (ec == bhttp::error::end_of_stream || ec == asio::error::eof || ec == asio::error::connection_reset ||
      ec == bhttp::error::partial_message || ec == asio::error::broken_pipe)
    throw ServerDisconnectedError(where + " closed the connection before the response (" + ec.message() + ")", ec);
  if (ec == asio::error::operation_aborted) throw boost::system::system_error(ec, "request cancelled");
  if (ec.category() == make_error_code(bhttp::error::bad_version).category())
    throw ClientResponseError(0, "malformed response: " + ec.message(), std::string(url.buffer()),
                              make_error_code(errc::malformed_response));
  throw ServerDisconnectedError(where + ": " + ec.message(), ec);
}

}  // namespace tracehop::http::detail
