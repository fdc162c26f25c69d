#pragma once
// Client instrumentation: each request a ClientSession sends becomes a CLIENT span, and its
// trace context goes out in the request's headers (what OpenTelemetry's
// AioHttpClientInstrumentor does for aiohttp). It subscribes to the session's lifecycle
// signals; the HTTP client itself knows nothing of spans.
//
// One span per *physical* request: each redirect hop and each retry is a span of its own, with
// http.request.resend_count. The span ends when the response headers are in (the semantic
// conventions' choice), or, with ClientOptions::end_on_body, when the body has been read.
// Each physical request is measured too (whether its span is sampled or not), when a meter
// provider is installed: http.client.request.duration (its exemplars point at the span),
// http.client.active_requests, http.client.request.time_in_queue, or the old conventions'
// http.client.duration in milliseconds (OTEL_SEMCONV_STABILITY_OPT_IN, as for the spans).

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tracehop/http/session.hpp"
#include "tracehop/http/signals.hpp"
#include "tracehop/instrument/semconv.hpp"
#include "tracehop/metrics/meter.hpp"
#include "tracehop/trace/context.hpp"
#include "tracehop/trace/tracer.hpp"

namespace tracehop::instrument {

/// Runs after the span opens and before the request's bytes go out. The headers in `request`
/// may be changed; the trace context is injected after the hook, so it always wins.
using RequestHook = std::function<void(trace::Span& span, const http::RequestStartParams& request)>;
/// Runs once the response headers are in, before the span ends.
using ResponseHook = std::function<void(trace::Span& span, const http::Response& response)>;
/// Rewrites the URL recorded on the span (credentials and sensitive query values are redacted
/// afterwards, whatever the filter returns).
using UrlFilter = std::function<std::string(std::string_view url)>;
/// Names the span, e.g. "GET /items/{sku}" from a URL template; default: the method.
using SpanNamer = std::function<std::string(std::string_view method, const http::Url& url)>;

struct ClientOptions {
  RequestHook request_hook;
  ResponseHook response_hook;
  UrlFilter url_filter;
  SpanNamer span_name;
  /// Default: the global provider, looked up at each span (so instrumenting before a provider
  /// is installed still yields real spans once it is).
  std::shared_ptr<trace::TracerProvider> tracer_provider;
  /// Where the request metrics go (http.client.request.duration and the others). Default: the
  /// global meter provider, whenever it is installed; none installed: nothing is measured.
  std::shared_ptr<metrics::MeterProvider> meter_provider;
  /// Regular expressions searched in the full URL; a match is not traced. Default: the
  /// comma-separated list in TRACEHOP_CLIENT_EXCLUDED_URLS.
  std::optional<std::vector<std::string>> excluded_urls;
  /// Requests that record no span (excluded, `trace = false`, or not sampled) still send the
  /// caller's current context downstream, so the trace does not break at them. Off: they send
  /// no propagation header at all.
  bool propagate_untraced = true;
  /// Span events for DNS resolution, new connections, TLS handshakes and request headers sent.
  bool connection_events = false;
  /// End the span when the response body has been read (or the response released) instead of
  /// when its headers are in.
  bool end_on_body = false;
  /// Default: semconv_mode_from_env().
  std::optional<SemconvMode> semconv;
  /// Header names captured as `http.request.header.<name>` / `http.response.header.<name>`
  /// string arrays. Default: OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_CLIENT_REQUEST /
  /// _CLIENT_RESPONSE.
  std::optional<std::vector<std::string>> capture_request_headers;
  std::optional<std::vector<std::string>> capture_response_headers;
  /// Default: default_sensitive_query_keys().
  std::optional<std::vector<std::string>> sensitive_query_keys;
};

/// The signals subscription that does all of the above, for SessionOptions::trace_configs or
/// ClientSession::add_trace_config (like Python's create_trace_config).
http::TraceConfigPtr make_trace_config(ClientOptions options = {});

/// Process-wide client instrumentation: every session, existing or future, from its next
/// request on. Thread-safe. A session instrumented on its own (instrument_session) keeps its own
/// options and is not traced twice.
class HttpClientInstrumentor {
 public:
  /// Instruments every session. Instrumenting again replaces the options.
  void instrument(ClientOptions options = {});
  void uninstrument();
  bool is_instrumented() const;
  /// Instruments one session, with its own options.
  static void instrument_session(http::ClientSession& session, ClientOptions options = {});
};

/// While one is alive in a task (or thread), no request records a span or injects anything:
/// for code that must not trace itself, such as an exporter sending spans over HTTP.
class [[nodiscard]] SuppressInstrumentation {
 public:
  SuppressInstrumentation();

 private:
  trace::Scope scope_;
};
/// Whether instrumentation is suppressed in `context`.
bool instrumentation_suppressed(const trace::Context& context = trace::Context::current());

/// The instrumentation scope name of the spans: "tracehop.instrument.http_client".
inline constexpr std::string_view kClientScope = "tracehop.instrument.http_client";

}  // namespace tracehop::instrument
