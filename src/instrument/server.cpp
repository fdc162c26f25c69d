#include "tracehop/instrument/server.hpp"

#include "header_capture.hpp"
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
};

// `host[:port]` of the Host header, or the address the request came in on.
std::pair<std::string, std::int64_t> server_of(const http::ServerRequest& r) {
  if (const auto host = r.headers.first("Host"); host && !host->empty()) {
    std::string_view h = *host;
    std::int64_t port = 80;
    const auto close = h.rfind(']');
    const auto colon = h.rfind(':');
    if (colon != std::string_view::npos && (close == std::string_view::npos || colon > close)) {
      try {
        port = std::stoll(std::string(h.substr(colon + 1)));
      } catch (...) {
      }
      h = h.substr(0, colon);
    }
    if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
    return {std::string(h), port};
  }
  return {r.local_address, r.local_port};
}

trace::Attributes start_attributes(const http::ServerRequest& r, std::string_view method, bool known) {
  trace::Attributes a;
  a.reserve(13);
  a.push_back({"http.request.method", method});
  if (!known) a.push_back({"http.request.method_original", r.method});
  a.push_back({"url.scheme", "http"});
  a.push_back({"url.path", r.path});
  if (!r.query.empty()) a.push_back({"url.query", r.query});
  if (!r.route.empty()) a.push_back({"http.route", r.route});
  auto [address, port] = server_of(r);
  a.push_back({"server.address", std::move(address)});
  a.push_back({"server.port", port});
  a.push_back({"client.address", r.remote_address});
  a.push_back({"network.peer.address", r.remote_address});
  a.push_back({"network.peer.port", static_cast<std::int64_t>(r.remote_port)});
  a.push_back({"network.protocol.version", r.version == 10 ? "1.0" : "1.1"});
  if (const auto ua = r.headers.first("User-Agent")) a.push_back({"user_agent.original", *ua});
  return a;
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

// A streamed body runs after the middleware has returned: the SERVER span stays current and
// open until the body's end, and records a stream that fails.
boost::asio::awaitable<void> streamed(const http::BodyStream& inner, Span span, trace::Context context,
                                      http::BodyWriter& out) {
  trace::Scope scope(std::move(context));
  try {
    co_await inner(out);
  } catch (...) {
    record_failure(span, std::current_exception(), !out.started());
    span.end();
    throw;
  }
  span.end();
}

boost::asio::awaitable<http::ServerResponse> traced(std::shared_ptr<const Settings> s, http::ServerRequest& req,
                                                   const http::Handler& next) {
  if (!s->excluded.empty() && matches_any(s->excluded, req.target)) co_return co_await next(req);

  const HeadersCarrier carrier(std::as_const(req.headers));
  const trace::Context parent = trace::extract(carrier, trace::Context::current());
  const bool known = is_known_method(req.method);
  const std::string_view method = known ? std::string_view(req.method) : std::string_view("_OTHER");
  std::string name(known ? std::string_view(req.method) : std::string_view("HTTP"));
  if (!req.route.empty()) name.append(" ").append(req.route);

  trace::StartSpanOptions start;
  start.kind = trace::SpanKind::Server;
  start.parent = parent;
  start.attributes = start_attributes(req, method, known);
  Span span = s->tracer->start_span(name, std::move(start));
  if (span.is_recording()) capture_headers(span, req.headers, s->capture.request);
  run_hook(s->options.request_hook, "request_hook", span, std::as_const(req));

  http::ServerResponse resp;
  {
    // The handler runs with the SERVER span current (and the extracted baggage).
    trace::Scope scope(parent.with_span(span));
    try {
      resp = co_await next(req);
    } catch (...) {
      record_failure(span, std::current_exception(), true);
      span.end();
      throw;
    }
  }
  set_status_code(span, resp.status);
  if (span.is_recording()) capture_headers(span, resp.headers, s->capture.response);
  run_hook(s->options.response_hook, "response_hook", span, std::as_const(req), std::as_const(resp));
  if (resp.stream) {
    // The server drops a stream it does not send (HEAD, 204, 304): the span ends with it then.
    struct EndWithStream {
      explicit EndWithStream(Span s) : span(std::move(s)) {}
      ~EndWithStream() { span.end(); }
      Span span;
    };
    resp.stream = [inner = std::move(resp.stream), owner = std::make_shared<EndWithStream>(span),
                   context = parent.with_span(span)](http::BodyWriter& out) {
      return streamed(inner, owner->span, context, out);
    };
    co_return resp;
  }
  span.end();
  co_return resp;
}

}  // namespace

void HttpServerInstrumentor::instrument(http::Server& server, ServerOptions options) {
  auto s = std::make_shared<Settings>();
  s->excluded = compile_patterns(options.excluded_urls.value_or(tracehop::detail::env_list("TRACEHOP_SERVER_EXCLUDED_URLS")));
  s->capture = capture_lists(options.capture_request_headers, options.capture_response_headers, "SERVER");
  s->tracer = options.tracer_provider ? options.tracer_provider->get_tracer(kServerScope, TRACEHOP_VERSION)
                                      : trace::get_tracer(kServerScope, TRACEHOP_VERSION);
  s->options = std::move(options);
  server.use([s = std::shared_ptr<const Settings>(std::move(s))](http::ServerRequest& req, const http::Handler& next) {
    return traced(s, req, next);
  });
}

}  // namespace tracehop::instrument
