#pragma once
// A request on the wire (internal): its bytes, written at once where the socket takes them; a
// response read into its parser; and what a failed read or write of an exchange means as a typed
// error.

#include <array>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/container/small_vector.hpp>
#include <boost/system/error_code.hpp>
#include <string>
#include <string_view>

#include "deadline.hpp"
#include "connection.hpp"
#include "response_parser.hpp"
#include "tracehop/http/request_headers.hpp"
#include "tracehop/http/url.hpp"

namespace tracehop::http::detail {

/// The head of a request: the request line, Host (from `host` unless `headers` has one), the
/// headers in their order (those subscribers added last), Content-Length when there is a body
/// (of `body_size` bytes) or the method expects one (unless the caller set it), `Connection:
/// close` if `close`, the blank line. The body goes out after it as it is (not copied into it).
/// Throws ClientError (errc::invalid_header) for a method or field name that is not a token or a
/// value with CR, LF or NUL: they would let a caller smuggle headers.
/// Written into `out` (a usual head fits in place: the buffer is part of the response's state,
/// allocated anyway); returns the head, a view of `out`.
using HeadBuffer = boost::container::small_vector<char, 256>;
std::string_view request_head(HeadBuffer& out, std::string_view method, std::string_view target, std::string_view host,
                              const RequestHeaders& headers, std::size_t body_size, bool close);

/// A request on the wire: its head, then its body.
using RequestBytes = std::array<boost::asio::const_buffer, 2>;

/// Writes what the socket takes at once, without waiting: most requests fit its send buffer, and
/// then no asynchronous operation (nor its timer) is needed. TLS connections write through the TLS
/// stream only (0 here). Returns the bytes written; a socket error is left in `ec`.
std::size_t write_now(Connection& conn, const RequestBytes& bytes, boost::system::error_code& ec);
/// What is left of `bytes` after the first `written`.
RequestBytes unwritten(const RequestBytes& bytes, std::size_t written) noexcept;

/// Reads from `conn` into `parser` until the parser has the response's header (`Until::Header`;
/// body bytes that came with it are parsed too) or has taken more of the body (`Until::More`),
/// starting with what is left in the connection's buffer; what the parser does not take stays
/// there. Returns the error, as Beast's reads report them: `end_of_stream` if the peer closed
/// before sending anything, `partial_message` if it closed in the middle of the response. (With
/// `Until::Header`, an error in the body bytes that came along is left to the body's read.)
enum class Until { Header, More };
boost::asio::awaitable<boost::system::error_code> read_response(Connection& conn, ResponseParser& parser, Until until);

/// Throws the error for a failed read or write of an exchange with `origin`: the timeout of
/// `limit`, ClientPayloadError in the body (`in_body`) or past the size limit,
/// ServerDisconnectedError for a closed or reset connection, ClientResponseError (status 0) for a
/// response that is not HTTP; a cancellation stays a system_error(operation_aborted).
[[noreturn]] void throw_io_error(const boost::system::error_code& ec, const Deadline& limit, const Origin& origin,
                                 const Url& url, bool in_body);

}  // namespace tracehop::http::detail
