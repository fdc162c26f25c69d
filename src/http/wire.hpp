#pragma once
// A request on the wire (internal): its bytes, written at once where the socket takes them, and
// what a failed read or write of an exchange means as a typed error.

#include <boost/system/error_code.hpp>
#include <string>
#include <string_view>

#include "deadline.hpp"
#include "connection.hpp"
#include "tracehop/http/request_headers.hpp"
#include "tracehop/http/url.hpp"

namespace tracehop::http::detail {

/// The request line, Host (from `host` unless `headers` has one), the headers in their order
/// (those subscribers added last),
/// Content-Length when there is a body or the method expects one (unless the caller set it),
/// `Connection: close` if `close`, the blank line, the body. Throws ClientError
/// (errc::invalid_header) for a method or field name that is not a token or a value with CR, LF
/// or NUL: they would let a caller smuggle headers.
std::string serialize_request(std::string_view method, std::string_view target, std::string_view host,
                              const RequestHeaders& headers, const std::string& body, bool close);

/// Writes what the socket takes at once, without waiting: most requests fit its send buffer, and
/// then no asynchronous operation (nor its timer) is needed. TLS connections write through the TLS
/// stream only (0 here). Returns the bytes written; a socket error is left in `ec`.
std::size_t write_now(Connection& conn, std::string_view bytes, boost::system::error_code& ec);

/// Throws the error for a failed read or write of an exchange with `origin`: the timeout of
/// `limit`, ClientPayloadError in the body (`in_body`) or past the size limit,
/// ServerDisconnectedError for a closed or reset connection, ClientResponseError (status 0) for a
/// response that is not HTTP; a cancellation stays a system_error(operation_aborted).
[[noreturn]] void throw_io_error(const boost::system::error_code& ec, const Deadline& limit, const Origin& origin,
                                 const Url& url, bool in_body);

}  // namespace tracehop::http::detail
