#pragma once
// The routes of `tracehop serve` (README: "The `tracehop` command"), also served by the demo's services.

#include "tracehop/http/server.hpp"
#include "tracehop/http/session.hpp"

namespace tracehop::cli {

/// GET /items/{sku}, GET /status/{code}, GET /delay/{ms}, GET|POST /echo, and POST /test (the
/// W3C trace-context test-service protocol, whose calls go out through `session`, which must
/// outlive the server).
void add_serve_routes(http::Server& server, http::ClientSession& session);

}  // namespace tracehop::cli
