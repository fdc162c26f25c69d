#pragma once
// Server instrumentation for tracehop::http::Server: each request becomes a SERVER span whose
// parent is the context extracted from the request's headers (the client's span), named
// `{method} {route}`, current while the handler runs, so the handler's own client calls
// continue the trace. Attributes follow the stable HTTP server conventions. With a meter
// provider, each request is measured too: http.server.request.duration (with http.route; its
// exemplars point at the SERVER span) and http.server.active_requests.

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tracehop/http/server.hpp"
#include "tracehop/metrics/meter.hpp"
#include "tracehop/trace/tracer.hpp"

namespace tracehop::instrument {

struct ServerOptions {
  /// Runs after the span opens, before the handler.
  std::function<void(trace::Span&, const http::ServerRequest&)> request_hook;
  /// Runs once the handler has answered, before the span ends (the span still current).
  std::function<void(trace::Span&, const http::ServerRequest&, const http::ServerResponse&)> response_hook;
  /// Default: the global provider, looked up at each span.
  std::shared_ptr<trace::TracerProvider> tracer_provider;
  /// Default: the global meter provider, whenever it is installed.
  std::shared_ptr<metrics::MeterProvider> meter_provider;
  /// Regular expressions searched in the request target; a match is not traced. Default: the
  /// comma-separated list in TRACEHOP_SERVER_EXCLUDED_URLS.
  std::optional<std::vector<std::string>> excluded_urls;
  /// Default: OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SERVER_REQUEST / _SERVER_RESPONSE.
  std::optional<std::vector<std::string>> capture_request_headers;
  std::optional<std::vector<std::string>> capture_response_headers;
};

class HttpServerInstrumentor {
 public:
  /// Adds the instrumentation to `server` as a RequestObserver; call it before start(). Every
  /// middleware runs inside the SERVER span, whenever it was added.
  static void instrument(http::Server& server, ServerOptions options = {});
};

/// The instrumentation scope name of the spans: "tracehop.instrument.http_server".
inline constexpr std::string_view kServerScope = "tracehop.instrument.http_server";

}  // namespace tracehop::instrument
