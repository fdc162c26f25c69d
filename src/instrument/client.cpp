#include "tracehop/instrument/client.hpp"

#include <algorithm>
#include <chrono>
#include <mutex>

#include "header_capture.hpp"
#include "http_metrics.hpp"
#include "request_rules.hpp"
#include "tracehop/instrument/carrier.hpp"
#include "tracehop/log.hpp"
#include "tracehop/trace/propagation.hpp"

namespace tracehop::instrument {

namespace {

using trace::Span;
using namespace detail;

const trace::ContextKey<bool>& suppress_key() { return trace::suppress_instrumentation_key(); }

// What ClientSpans' handlers share: settled once, read-only afterwards.
struct Settings {
  ClientOptions options;
  SemconvMode mode = SemconvMode::Old;
  std::vector<UrlPattern> excluded;
  CaptureLists capture;
  std::vector<std::string> sensitive;
  std::shared_ptr<trace::Tracer> tracer;
  std::optional<HttpMetrics> metrics;
  std::unique_ptr<ConnectionMetrics> connections;
};

// One physical request's span and measurements, kept in the request's SignalContext (in place:
// no allocation). Kept for a request whose span records, or that is measured.
struct RequestSpan {
  Span span;  // a non-recording one when only measured
  std::chrono::nanoseconds waited{};  // for a connection
  std::chrono::steady_clock::time_point start;
  const RequestKind* kind = nullptr;  // what its measurements are, found at its start (or none)
  std::uint16_t status = 0;  // the response's, for a measurement at the body's end
  bool http10 = false;
  bool reused = false;
  bool recording = false;
  bool ended = false;
  bool measured = false;  // started measuring (the active count went up), not yet recorded
  bool queued = false;    // waited in the pool's queue
};
static_assert(sizeof(RequestSpan) <= http::SignalContext::kInPlace);

RequestSpan* state_of(http::SignalContext& ctx) { return ctx.get<RequestSpan>(); }

// What a measurement of the request says of it: its origin's host (as its span's server.address).
HttpRequestFacts facts(metrics::AttrValue method, const http::Origin& origin) noexcept {
  HttpRequestFacts f;
  f.method = method;
  f.scheme = scheme_value(origin.scheme);
  f.host = origin.host;
  f.port = origin.port;
  return f;
}

// The request's duration and the active count down, once (at the end of its span's life:
// response headers, or the body with end_on_body, or its exception). `status` 0: no response.
void record_end(const Settings& s, RequestSpan& r, std::string_view method, const http::Url& url, int status,
                bool http10, std::string_view error_type = {}) {
  if (!r.measured) return;
  r.measured = false;
  const auto took = std::chrono::steady_clock::now() - r.start;
  std::optional<http::Origin> origin;  // (a request of no kind: its facts from its URL again)
  HttpRequestFacts f = r.kind ? r.kind->facts() : facts(method_value(method), origin.emplace(http::origin_of(url)));
  f.status = status;
  if (status != 0) f.version = version_value(http10 ? 10 : 11);
  f.error_type = error_type;
  s.metrics->active(f, r.kind, -1);
  s.metrics->duration(f, r.kind, took, r.span.span_context());
  if (r.queued) s.metrics->time_in_queue(f, r.kind, r.waited, r.span.span_context());
}

void on_start(const Settings& s, const http::RequestStartParams& p) {
  // The current context, read in place (not copied) each time: a user's function may have
  // attached another meanwhile.
  const auto context = []() -> const trace::Context& { return trace::current_slot().get(); };
  if (context().get(suppress_key())) return;
  HeadersCarrier carrier(p.headers);
  const std::string_view url = p.url.buffer();
  if (!p.trace || matches_any(s.excluded, url)) {
    if (s.options.propagate_untraced) trace::inject(carrier, context());
    return;
  }
  // The method as measurements and span names have it: a known one, else "_OTHER".
  const metrics::AttrValue method = method_value(p.method);
  // Measured whether or not a span records (metrics do not sample).
  auto measure = [&](Span&& span, bool recording) {
    const bool measured = s.metrics->enabled();
    if (!recording && !measured) return;
    auto& r = p.ctx.emplace<RequestSpan>(std::move(span));
    r.recording = recording;
    if (!measured) return;
    r.measured = true;
    r.start = std::chrono::steady_clock::now();
    const HttpRequestFacts f = facts(method, p.origin);
    r.kind = s.metrics->kind(f);
    s.metrics->active(f, r.kind, +1);
  };

  if (!s.tracer->enabled()) {
    // No SDK (none installed, disabled, or shut down): the span would be the parent's context,
    // recording nothing, so nothing of it is built; the hook and propagation are as always.
    const auto& parent = context().span().span_context();
    Span span = parent.valid() ? Span(parent) : Span();
    run_hook(s.options.request_hook, "request_hook", span, p);
    if (s.options.propagate_untraced) trace::inject(carrier, context());
    measure(std::move(span), false);
    return;
  }

  const bool known = is_known(method);
  std::string custom_name;
  if (s.options.span_name) {
    try {
      custom_name = s.options.span_name(p.method, p.url);
    } catch (...) {
      tracehop::log_error("tracehop instrumentation: the span_name function threw; the span is named by its method");
    }
  }
  const std::string_view name = !custom_name.empty() ? std::string_view(custom_name)
                                : known                ? p.method
                                                       : std::string_view("HTTP");

  // Method, URL and server are start attributes, so that samplers see them; they are built only
  // if the sampler reads them or the span records (an unsampled request builds none).
  auto start_attributes = [&](trace::Attributes& a) {
    std::string recorded_url(url);
    if (s.options.url_filter) {
      try {
        recorded_url = s.options.url_filter(recorded_url);
      } catch (...) {  // what the filter was to hide stays hidden: the query goes
        tracehop::log_error("tracehop instrumentation: the url_filter threw; the URL is recorded without its query");
        recorded_url.resize(std::min(recorded_url.find('?'), recorded_url.size()));
      }
    }
    // (A URL without userinfo, query and fragment, as parsed, has nothing to redact.)
    if (s.options.url_filter || p.url.has_userinfo() || p.url.has_query() || p.url.has_fragment())
      recorded_url = redact_url(std::move(recorded_url), s.sensitive);
    const auto& origin = p.origin;
    // Room for what the response and the end add too (old: 4 + 1 + 2; stable: up to 6 + 3 + 2;
    // at least the 8 a span keeps room for), and no more: a list past 1 KiB is not a size malloc
    // keeps at hand.
    a.reserve(a.size() + std::max((reports_old(s.mode) ? 7 : 0) + (reports_stable(s.mode) ? 11 : 0), 8));
    if (reports_old(s.mode)) {
      append(a, "http.method", method.as_string());
      if (reports_stable(s.mode))
        append(a, "http.url", recorded_url);
      else
        append(a, "http.url", std::move(recorded_url));
      append(a, "net.peer.name", origin.host);
      append(a, "net.peer.port", static_cast<std::int64_t>(origin.port));
    }
    if (reports_stable(s.mode)) {
      append(a, "http.request.method", method.as_string());
      if (!known) append(a, "http.request.method_original", p.method);
      append(a, "url.full", std::move(recorded_url));
      append(a, "server.address", origin.host);
      append(a, "server.port", static_cast<std::int64_t>(origin.port));
      if (p.resend_count > 0) append(a, "http.request.resend_count", static_cast<std::int64_t>(p.resend_count));
    }
  };
  // The parent is the current context. (Options built in the call: one object, not a moved pair.)
  Span span = s.tracer->start_span(name, {.kind = trace::SpanKind::Client}, start_attributes);
  run_hook(s.options.request_hook, "request_hook", span, p);
  const bool recording = span.is_recording();  // (after the hook, which may end it; asked once: it locks)
  if (recording) capture_headers(span, p.headers, s.capture.request);
  // After the hook, before the first byte: the injected span id is this span's.
  if (recording || s.options.propagate_untraced) trace::inject(carrier, context().with_span(span));
  measure(std::move(span), recording);
}

void end_span(RequestSpan& r) {
  if (r.ended) return;
  r.ended = true;
  if (!r.recording) return;
  r.span.set_attribute("tracehop.connection.wait_ms", millis(r.waited));
  r.span.set_attribute("tracehop.connection.reused", r.reused);
  r.span.end();
}

void on_response(const Settings& s, const http::ResponseHeadersParams& p) {
  auto* r = state_of(p.ctx);
  if (!r || r->ended) return;
  r->status = static_cast<std::uint16_t>(p.response.status());
  r->http10 = p.response.version() == 10;
  if (!s.options.end_on_body) record_end(s, *r, p.method, p.url, r->status, r->http10);
  if (!r->recording) {
    r->ended = !s.options.end_on_body;
    return;
  }
  auto& span = r->span;
  const int status = p.response.status();
  if (reports_old(s.mode)) span.set_attribute("http.status_code", static_cast<std::int64_t>(status));
  if (reports_stable(s.mode)) {
    span.set_attribute("http.response.status_code", static_cast<std::int64_t>(status));
    span.set_attribute("network.protocol.version", p.response.version() == 10 ? "1.0" : "1.1");
  }
  if (status >= 400) {
    span.set_status(trace::StatusCode::Error);
    if (reports_stable(s.mode)) span.set_attribute("error.type", std::to_string(status));
  }
  // (Response::headers() builds the header map on first use: only when something is captured.)
  if (!s.capture.response.empty()) capture_headers(span, p.response.headers(), s.capture.response);
  run_hook(s.options.response_hook, "response_hook", span, p.response);
  if (!s.options.end_on_body) end_span(*r);
}

void on_exception(const Settings& s, const http::RequestExceptionParams& p) {
  auto* r = state_of(p.ctx);
  if (!r || r->ended) return;
  if (r->measured) record_end(s, *r, p.method, p.url, 0, false, type_name(p.exception));
  if (!r->recording) {
    r->ended = true;
    return;
  }
  if (p.cancelled) {
    r->span.add_event("cancelled");  // the caller's choice, not an error
  } else {
    r->span.record_exception(p.exception);
    std::string description;
    try {
      std::rethrow_exception(p.exception);
    } catch (const std::exception& e) {
      description = e.what();
    } catch (...) {
    }
    r->span.set_status(trace::StatusCode::Error, description);
    if (reports_stable(s.mode)) r->span.set_attribute("error.type", type_name(p.exception));
  }
  end_span(*r);
}

std::shared_ptr<Settings> settle(ClientOptions o) {
  auto s = std::make_shared<Settings>();
  s->mode = o.semconv.value_or(semconv_mode_from_env());
  s->excluded = compile_patterns(o.excluded_urls.value_or(tracehop::detail::env_list("TRACEHOP_CLIENT_EXCLUDED_URLS")));
  s->capture = capture_lists(o.capture_request_headers, o.capture_response_headers, "CLIENT");
  s->sensitive = o.sensitive_query_keys.value_or(default_sensitive_query_keys());
  s->tracer = o.tracer_provider ? o.tracer_provider->get_tracer(kClientScope, TRACEHOP_VERSION)
                                : trace::get_tracer(kClientScope, TRACEHOP_VERSION);
  const auto meter = o.meter_provider ? o.meter_provider->get_meter(kClientScope, TRACEHOP_VERSION)
                                      : metrics::get_meter(kClientScope, TRACEHOP_VERSION);
  s->metrics.emplace(o.meter_provider, meter, s->mode, /*client=*/true);
  s->connections = std::make_unique<ConnectionMetrics>(o.meter_provider, meter, s->mode);
  s->options = std::move(o);
  return s;
}

constexpr std::string_view kGroup = "tracehop.instrument.http_client";

struct Global {
  std::mutex mu;
  http::TraceConfigPtr config;
};
Global& global() {
  static Global* g = new Global;  // never destroyed: requests may run during exit
  return *g;
}

// The instrumentation's subscriber: a CLIENT span per physical request, in its SignalContext.
class ClientSpans final : public http::SignalObserver {
 public:
  // Only a recorded request keeps state (its RequestSpan): the others hear nothing after start.
  explicit ClientSpans(std::shared_ptr<const Settings> s) : SignalObserver(true), s_(std::move(s)) {}

  void on_request_start(const http::RequestStartParams& p) override { on_start(*s_, p); }
  void on_response_headers(const http::ResponseHeadersParams& p) override { on_response(*s_, p); }
  void on_request_exception(const http::RequestExceptionParams& p) override { on_exception(*s_, p); }
  void on_request_end(const http::RequestEndParams& p) override {
    auto* r = state_of(p.ctx);
    if (!r || !s_->options.end_on_body) return;
    record_end(*s_, *r, p.method, p.url, r->status, r->http10);
    end_span(*r);
  }
  void on_connection_queued_end(const http::ConnectionParams& p) override {
    auto* r = state_of(p.ctx);
    if (!r) return;
    r->waited = p.elapsed;
    r->queued = true;
  }
  void on_connection_reuseconn(const http::ConnectionParams& p) override {
    if (auto* r = state_of(p.ctx)) r->reused = true;
  }
  // The connection's steps as span events, if asked for (ClientOptions::connection_events).
  void on_dns_resolvehost_end(const http::DnsParams& p) override { event(p.ctx, "dns.resolved", p.elapsed); }
  void on_connection_create_end(const http::ConnectionParams& p) override {
    event(p.ctx, "connection.created", p.elapsed);
  }
  void on_tls_handshake_end(const http::ConnectionParams& p) override { event(p.ctx, "tls.handshake", p.elapsed); }
  void on_connection_state(const http::ConnectionStateParams& p) override { s_->connections->changed(p); }
  bool hears_connection_states() const noexcept override { return s_->connections->enabled(); }
  // Without connection events a request's steps make no span events, and its end matters only
  // with end_on_body: those signals are not sent to it at all.
  http::HeardSignals heard_signals() const noexcept override {
    return {.request_headers_sent = s_->options.connection_events,
            .request_end = s_->options.end_on_body,
            .connection_steps = s_->options.connection_events};
  }
  void on_request_headers_sent(const http::RequestHeadersSentParams& p) override {
    if (auto* r = live(p.ctx)) r->span.add_event("request.headers_sent");
  }

 private:
  RequestSpan* live(http::SignalContext& ctx) const {
    auto* r = s_->options.connection_events ? state_of(ctx) : nullptr;
    return r && !r->ended ? r : nullptr;
  }
  void event(http::SignalContext& ctx, const char* name, std::chrono::nanoseconds took) const {
    if (auto* r = live(ctx)) r->span.add_event(name, {{"duration_ms", millis(took)}});
  }
  std::shared_ptr<const Settings> s_;
};

}  // namespace

http::TraceConfigPtr make_trace_config(ClientOptions options) {
  auto c = std::make_shared<http::TraceConfig>();
  c->group = std::string(kGroup);
  c->observer = std::make_shared<ClientSpans>(settle(std::move(options)));
  return c;
}

void HttpClientInstrumentor::instrument(ClientOptions options) {
  auto config = make_trace_config(std::move(options));
  auto& g = global();
  std::lock_guard lk(g.mu);
  if (g.config) http::remove_global_trace_config(g.config);
  g.config = config;
  http::add_global_trace_config(std::move(config));
}

void HttpClientInstrumentor::uninstrument() {
  auto& g = global();
  std::lock_guard lk(g.mu);
  if (g.config) http::remove_global_trace_config(g.config);
  g.config.reset();
}

bool HttpClientInstrumentor::is_instrumented() const {
  auto& g = global();
  std::lock_guard lk(g.mu);
  return g.config != nullptr;
}

void HttpClientInstrumentor::instrument_session(http::ClientSession& session, ClientOptions options) {
  session.add_trace_config(make_trace_config(std::move(options)));
}

SuppressInstrumentation::SuppressInstrumentation()
    : scope_(trace::Context::current().with(suppress_key(), true)) {}

bool instrumentation_suppressed(const trace::Context& context) { return context.get(suppress_key()) != nullptr; }

}  // namespace tracehop::instrument
