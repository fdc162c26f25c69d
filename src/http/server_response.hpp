#pragma once
// A handler's answer made valid before it is sent (internal; tested without I/O).

#include <string>
#include <string_view>

#include "tracehop/http/server.hpp"

namespace tracehop::http::detail {

/// Whether a response to `method` with `status` carries content (RFC 9110 6.4.1): not for HEAD,
/// 1xx, 204, 205 or 304.
bool carries_content(std::string_view method, int status) noexcept;

/// Makes `resp` valid as the answer to a `method` request of HTTP/1.`minor_version` and sets its
/// framing (Content-Length, or Transfer-Encoding: chunked for a stream over HTTP/1.1; a handler's
/// own framing fields are replaced). A status outside 200-599 or a header field that cannot be
/// sent turns `resp` into a plain 500; a body where none is allowed is dropped. Returns what was
/// wrong with the response as built, for the log, or "" if nothing was (HEAD's dropped body is
/// not a fault: it is how a GET route answers HEAD).
std::string make_sendable(ServerResponse& resp, std::string_view method, int minor_version);

/// The plain answer to a request the server could not serve as the handler meant it.
ServerResponse internal_server_error();

}  // namespace tracehop::http::detail
