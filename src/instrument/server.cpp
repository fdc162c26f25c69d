#include "tracehop/instrument/server.hpp"

#include <charconv>
#include <cstring>
#include <optional>

#include "header_capture.hpp"
#include "http_metrics.hpp"
#include "request_rules.hpp"
#include "tracehop/instrument/carrier.hpp"
#include "tracehop/instrument/semconv.hpp"
#include "tracehop/trace/propagation.hpp"

namespace tracehop::instrument {

namespace {

using namespace detail;

struct Settings {
  ServerOptions options;
  std::vector<UrlPattern> excluded;
  CaptureLists capture;
  std::shared_ptr<trace::Tracer> tracer;
  std::unique_ptr<HttpMetrics> metrics;  // (not movable: its kinds' table)
};

// `host[:port]` of the Host header, or the address the request came in on.
std::pair<std::string_view, std::int64_t> server_of(const http::ServerRequest& r) {
  if (const auto host = r.headers.first("Host"); host && !host->empty()) {
    std::string_view h = *host;
    std::int64_t port = 80;
    const auto close = h.rfind(']');
    const auto colon = h.rfind(':');
    if (colon != std::string_view::npos && (close == std::string_view::npos || colon > close)) {
      const auto digits = h.substr(colon + 1);
      std::int64_t n = 0;
      const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
      if (ec == std::errc{} && end == digits.data() + digits.size()) port = n;
      h = h.substr(0, colon);
    }
    if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
    return {h, port};
  }
  return {r.local_address, r.local_port};
}

void add_start_attributes(trace::Attributes& a, const http::ServerRequest& r, std::string_view method, bool known) {
  const auto ua = r.headers.first("User-Agent");
  // Exactly the room needed, with the response's status code and error.type: no reallocation
  // later, and a block small enough for malloc's per-thread cache.
  a.reserve(a.size() + 11 + !known + !r.query.empty() + !r.route.empty() + ua.has_value());
  append(a, "http.request.method", method);
  if (!known) append(a, "http.request.method_original", r.method);
  append(a, "url.scheme", "http");
  append(a, "url.path", r.path);
  if (!r.query.empty()) append(a, "url.query", r.query);
  if (!r.route.empty()) append(a, "http.route", r.route);
  const auto [address, port] = server_of(r);
  append(a, "server.address", address);
  append(a, "server.port", port);
  append(a, "client.address", r.remote_address);
  append(a, "network.peer.address", r.remote_address);
  append(a, "network.peer.port", static_cast<std::int64_t>(r.remote_port));
  append(a, "network.protocol.version", r.version == 10 ? "1.0" : "1.1");
  if (ua) append(a, "user_agent.original", *ua);
}

// A request's SERVER span, kept in its observer state: the context its handler runs in (the
// extracted one with this span) is current from on_request until the answer or the failure.
// The request is measured from on_request until its span ends (when its answer is built, or its
// streamed body is written).
struct ServerSpan {
  ServerSpan(Span s, trace::Context context) : span(std::move(s)), attached(trace::attach(std::move(context))) {}
  ServerSpan(const ServerSpan&) = delete;
  ~ServerSpan() { detach(); }
  /// Makes the context current before on_request current again (once).
  void detach() noexcept {
    if (attached) trace::detach(std::exchange(attached, trace::Token{}));
  }
  Span span;
  trace::Token attached;  // (a Token, not an optional Scope: a word less, and the state fits in place)
  std::chrono::steady_clock::time_point start{};  // the epoch: not measured
  const RequestKind* kind = nullptr;  // what its measurements are, found at its start (or none)
  bool measured() const noexcept { return start != std::chrono::steady_clock::time_point{}; }
};

HttpRequestFacts facts(const http::ServerRequest& req, metrics::AttrValue method) noexcept {
  HttpRequestFacts f;
  f.method = method;
  f.scheme = "http";
  f.route = req.route;
  f.version = version_value(req.version);
  return f;
}
HttpRequestFacts facts(const http::ServerRequest& req) noexcept { return facts(req, method_value(req.method)); }

// The measurement at the request's end: the duration with its outcome, the active count down.
void measure_end(const HttpMetrics& m, HttpRequestFacts f, const RequestKind* kind,
                 std::chrono::steady_clock::time_point start, const trace::SpanContext& span) {
  m.duration(f, kind, std::chrono::steady_clock::now() - start, span);
  m.active(f, kind, -1);
}

// A failure's facts: 500 when the server answered for it, and the exception's type.
HttpRequestFacts failure_facts(HttpRequestFacts f, bool answered_500, const std::string& error) {
  if (answered_500) f.status = 500;
  f.error_type = error;
  return f;
}
static_assert(sizeof(ServerSpan) <= http::SignalContext::kInPlace, "kept in place, not allocated");

// Starts the SERVER span of `req` into `state`, and makes current the context its handler runs
// in: the extracted one (its baggage) with this span. Attributes are built only for a span that
// records them (or a sampler that reads them).
void start_server_span(const Settings& s, http::ServerRequest& req, http::SignalContext& state) {
  const HeadersCarrier carrier(std::as_const(req.headers));
  trace::Context parent = trace::Context::current();
  trace::extract_into(carrier, parent);
  const metrics::AttrValue method_attribute = method_value(req.method);  // (worked out once: spans and metrics)
  const bool known = is_known(method_attribute);
  const std::string_view method = method_attribute.as_string();  // the known method, or "_OTHER"
  // `{method} {route}`, on the stack unless the route is long.
  char buffer[128];
  std::string long_name;
  std::string_view name = known ? std::string_view(req.method) : std::string_view("HTTP");
  if (!req.route.empty()) {
    const std::size_t size = name.size() + 1 + req.route.size();
    char* out = buffer;
    if (size > sizeof buffer) {
      long_name.resize(size);
      out = long_name.data();
    }
    std::memcpy(out, name.data(), name.size());
    out[name.size()] = ' ';
    std::memcpy(out + name.size() + 1, req.route.data(), req.route.size());
    name = std::string_view(out, size);
  }
  Span span = s.tracer->start_span(name, {.kind = trace::SpanKind::Server, .parent = parent},
                                   [&](trace::Attributes& a) { add_start_attributes(a, req, method, known); });
  if (!s.capture.request.empty() && span.is_recording()) capture_headers(span, req.headers, s.capture.request);
  run_hook(s.options.request_hook, "request_hook", span, std::as_const(req));
  // The handler (and every middleware) runs with the SERVER span current, and the extracted baggage.
  trace::Context context = std::move(parent).with_span(span);
  auto& r = state.emplace<ServerSpan>(std::move(span), std::move(context));
  if (s.metrics->enabled()) {
    r.start = std::chrono::steady_clock::now();
    const HttpRequestFacts f = facts(req, method_attribute);
    r.kind = s.metrics->kind(f);
    s.metrics->active(f, r.kind, +1);
  }
}

void set_status_code(Span& span, int status) {
  span.set_attribute("http.response.status_code", static_cast<std::int64_t>(status));
  if (status >= 500) {  // a 4xx is the client's problem, not the server's
    span.set_status(trace::StatusCode::Error);
    span.set_attribute("error.type", std::to_string(status));
  }
}

// A failure of the request: the exception, its type, and the 500 the server answers for it
// when nothing was sent yet.
void record_failure(Span& span, const std::exception_ptr& e, bool answered_500) {
  span.record_exception(e);
  span.set_attribute("error.type", type_name(e));
  span.set_status(trace::StatusCode::Error);
  if (answered_500) span.set_attribute("http.response.status_code", std::int64_t{500});
}

// A streamed body runs after the answer is built: the SERVER span is current again and stays
// open until the body's end, and records a stream that fails.
// What a streamed body's end measures: the request's facts, copied (the request is gone by then).
struct StreamMeasure {
  const HttpMetrics* metrics = nullptr;  // nullptr: not measured
  std::string method;
  std::string route;
  std::string version;
  int status = 0;
  std::chrono::steady_clock::time_point start;
  const RequestKind* kind = nullptr;
  HttpRequestFacts facts() const {
    HttpRequestFacts f;
    f.method = method_value(method);
    f.scheme = "http";
    f.route = route;
    f.version = version == "1.0" ? version_value(10) : version_value(11);
    f.status = status;
    return f;
  }
};

boost::asio::awaitable<void> streamed(const http::BodyStream& inner, Span span, trace::Context context,
                                      const StreamMeasure& measure, http::BodyWriter& out) {
  trace::Scope scope(std::move(context));
  try {
    co_await inner(out);
  } catch (...) {
    const auto e = std::current_exception();
    record_failure(span, e, !out.started());
    span.end();
    if (measure.metrics)
      measure_end(*measure.metrics, failure_facts(measure.facts(), !out.started(), type_name(e)), measure.kind,
                  measure.start, span.span_context());
    throw;
  }
  span.end();
  if (measure.metrics) measure_end(*measure.metrics, measure.facts(), measure.kind, measure.start, span.span_context());
}

class Observer final : public http::RequestObserver {
 public:
  explicit Observer(Settings s) : s_(std::move(s)) {}

  void on_request(http::ServerRequest& req, http::SignalContext& state) override {
    if (!s_.excluded.empty() && matches_any(s_.excluded, req.target)) return;
    start_server_span(s_, req, state);
  }

  void on_response(const http::ServerRequest& req, http::ServerResponse& resp, http::SignalContext& state) override {
    auto* r = state.get<ServerSpan>();
    if (!r) return;
    auto& span = r->span;
    set_status_code(span, resp.status);
    if (!s_.capture.response.empty() && span.is_recording()) capture_headers(span, resp.headers, s_.capture.response);
    run_hook(s_.options.response_hook, "response_hook", span, req, std::as_const(resp));
    const bool streamed_body = static_cast<bool>(resp.stream);
    if (streamed_body) {
      // The server drops a stream it does not send (HEAD, 204, 304): the span ends with it then.
      struct EndWithStream {
        explicit EndWithStream(Span s) : span(std::move(s)) {}
        ~EndWithStream() { span.end(); }
        Span span;
        StreamMeasure measure;
      };
      auto owner = std::make_shared<EndWithStream>(std::move(span));
      if (r->measured()) {
        const HttpRequestFacts f = facts(req);
        owner->measure = {&*s_.metrics, std::string(f.method.as_string()), req.route, std::string(f.version.as_string()), resp.status, r->start, r->kind};
      }
      // The handler's own scopes are closed: the current context is the one on_request attached.
      resp.stream = [inner = std::move(resp.stream), owner = std::move(owner),
                     context = trace::Context::current()](http::BodyWriter& out) {
        return streamed(inner, owner->span, context, owner->measure, out);
      };
    }
    r->detach();
    if (!streamed_body) {  // (a stream's span ends with the stream, and is measured there)
      span.end();
      if (r->measured()) {
        HttpRequestFacts f = facts(req);
        f.status = resp.status;
        measure_end(*s_.metrics, f, r->kind, r->start, span.span_context());
      }
    }
  }

  void on_exception(const http::ServerRequest& req, const std::exception_ptr& error, http::SignalContext& state) override {
    auto* r = state.get<ServerSpan>();
    if (!r) return;
    r->detach();
    record_failure(r->span, error, true);
    r->span.end();
    if (r->measured())
      measure_end(*s_.metrics, failure_facts(facts(req), true, type_name(error)), r->kind, r->start,
                  r->span.span_context());
  }

 private:
  Settings s_;
};

}  // namespace

void HttpServerInstrumentor::instrument(http::Server& server, ServerOptions options) {
  Settings s;
  s.excluded = compile_patterns(options.excluded_urls.value_or(tracehop::detail::env_list("TRACEHOP_SERVER_EXCLUDED_URLS")));
  s.capture = capture_lists(options.capture_request_headers, options.capture_response_headers, "SERVER");
  s.tracer = options.tracer_provider ? options.tracer_provider->get_tracer(kServerScope, TRACEHOP_VERSION)
                                     : trace::get_tracer(kServerScope, TRACEHOP_VERSION);
  // The server's spans have the stable conventions' names only, and so have its metrics.
  const auto meter = options.meter_provider ? options.meter_provider->get_meter(kServerScope, TRACEHOP_VERSION)
                                            : metrics::get_meter(kServerScope, TRACEHOP_VERSION);
  s.metrics = std::make_unique<HttpMetrics>(options.meter_provider, meter, SemconvMode::Stable, /*client=*/false);
  s.options = std::move(options);
  server.observe(std::make_shared<Observer>(std::move(s)));
}

}  // namespace tracehop::instrument
