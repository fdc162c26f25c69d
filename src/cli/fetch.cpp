// `tracehop fetch`: one instrumented request, like curl with a trace.
#include <boost/asio/io_context.hpp>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>

#include "commands.hpp"
#include "flags.hpp"
#include "common/env.hpp"
#include "telemetry.hpp"
#include "tracehop/http/errors.hpp"
#include "tracehop/http/response.hpp"
#include "tracehop/http/session.hpp"
#include "tracehop/instrument/client.hpp"
#include "tracehop/task.hpp"
#include "tracehop/trace/propagation.hpp"

namespace tracehop::cli {

namespace {

namespace asio = boost::asio;

// curl's -d: "@-" is standard input, "@file" a file's bytes; -d drops CR and LF from them as curl
// does, --data-binary keeps them.
std::optional<std::string> request_body(const FetchOptions& o) {
  const bool binary = o.data_binary.has_value();
  if (binary && o.data) throw UsageError("give -d or --data-binary, not both");
  const auto& given = binary ? o.data_binary : o.data;
  if (!given || !given->starts_with('@')) return given;
  const std::string path = given->substr(1);
  std::string body;
  if (path == "-") {
    body.assign(std::istreambuf_iterator<char>(std::cin), {});
  } else {
    std::ifstream file(path, std::ios::binary);
    if (!file) throw UsageError("cannot read '" + path + "' for " + (binary ? "--data-binary" : "-d"));
    body.assign(std::istreambuf_iterator<char>(file), {});
  }
  if (!binary) std::erase_if(body, [](char c) { return c == '\r' || c == '\n'; });
  return body;
}

// The caller's trace context: traceparent and tracestate from the first source that has a
// traceparent (the flags; headers given with -H, taken out of the request's headers, since the
// propagators send the context on for this command's span; the TRACEPARENT / TRACESTATE
// environment variables, the OpenTelemetry specification's environment carrier, as otel-cli
// reads it), and baggage from the first of --baggage, -H, BAGGAGE. A malformed value on the
// command line is bad usage; one in the environment is ignored, as a propagator ignores a
// malformed header.
struct CallerContext {
  trace::Context context;
  bool has_parent = false;  // a traceparent came from somewhere
};

CallerContext caller_context(const FetchOptions& o, http::Headers& headers) {
  struct Field {
    std::string value, given;  // given: as the user wrote it, for a message
  };
  auto header = [&](const char* name) {
    Field f;
    if (auto h = headers.get(name)) f = {std::string(*h), std::string("-H '") + name + ": " + std::string(*h) + "'"};
    headers.erase(name);
    return f;
  };
  auto flag = [](const std::string& value, const char* name) {
    return value.empty() ? Field{} : Field{value, std::string(name) + " '" + value + "'"};
  };
  auto variable = [](const char* name) { return Field{tracehop::detail::env(name).value_or(""), name}; };

  Field parent = flag(o.traceparent, "--traceparent"), state = flag(o.tracestate, "--tracestate");
  const Field header_parent = header("traceparent"), header_state = header("tracestate");
  bool strict = true;
  if (parent.value.empty() && state.value.empty()) {
    parent = header_parent;
    state = header_state;
    if (parent.value.empty() && state.value.empty()) {
      parent = variable("TRACEPARENT");
      state = variable("TRACESTATE");
      strict = false;
    }
  }
  Field baggage = flag(o.baggage, "--baggage");
  if (const Field from_header = header("baggage"); baggage.value.empty()) baggage = from_header;
  const bool strict_baggage = !baggage.value.empty();
  if (baggage.value.empty()) baggage = variable("BAGGAGE");

  CallerContext caller;
  if (!parent.value.empty()) {
    if (trace::parse_traceparent(parent.value)) {
      trace::MapCarrier carrier;
      carrier.set("traceparent", parent.value);
      if (!state.value.empty()) carrier.set("tracestate", state.value);
      caller.context = trace::trace_context_propagator()->extract(carrier, caller.context);
      caller.has_parent = true;
    } else if (strict) {
      throw UsageError(parent.given + " is not a valid W3C traceparent");
    }
  } else if (strict && !state.value.empty()) {
    throw UsageError(state.given + " needs a traceparent");
  }
  if (!baggage.value.empty()) {
    auto entries = trace::parse_baggage(baggage.value);
    if (entries.size() > 0)
      caller.context = caller.context.with_baggage(std::move(entries));
    else if (strict_baggage)
      throw UsageError(baggage.given + " has no valid W3C baggage entry");
  }
  return caller;
}

// The status line and header fields, each line `prefix` ... `eol`.
void print_head(std::FILE* out, const char* prefix, const http::Response& r, const char* eol) {
  std::fprintf(out, "%sHTTP/%d.%d %d %s%s", prefix, r.version() / 10, r.version() % 10, r.status(), r.reason().c_str(), eol);
  for (const auto& [name, value] : r.headers()) std::fprintf(out, "%s%s: %s%s", prefix, name.c_str(), value.c_str(), eol);
}

// -v: every hop's request and response header on stderr, as curl prints them.
http::TraceConfigPtr verbose_trace_config() {
  auto config = std::make_shared<http::TraceConfig>();
  config->on_request_headers_sent.push_back([](const http::RequestHeadersSentParams& p) {
    std::fprintf(stderr, "> %.*s %s HTTP/1.1\n", static_cast<int>(p.method.size()), p.method.data(),
                 http::request_target(p.url).c_str());
    if (!p.headers.contains("Host")) std::fprintf(stderr, "> Host: %s\n", http::origin_of(p.url).host_header().c_str());
    p.headers.for_each([](std::string_view n, std::string_view v) {
      std::fprintf(stderr, "> %.*s: %.*s\n", static_cast<int>(n.size()), n.data(), static_cast<int>(v.size()), v.data());
    });
    std::fputs(">\n", stderr);
  });
  config->on_response_headers.push_back([](const http::ResponseHeadersParams& p) {
    print_head(stderr, "< ", p.response, "\n");
    std::fputs("<\n", stderr);
  });
  return config;
}

}  // namespace

int run_fetch(const FetchOptions& o) {
  check_url(o.url);
  http::Headers headers = parse_headers(o.headers);
  const CallerContext caller = caller_context(o, headers);
  if (o.retries < 0) throw UsageError("--retries must be 0 or more");
  if (o.timeout_seconds < 0) throw UsageError("--timeout must be positive");

  http::SessionOptions so;
  so.connector.verify_ssl = !o.insecure;
  if (o.timeout_seconds > 0)
    so.timeout.total = std::chrono::milliseconds(static_cast<std::int64_t>(o.timeout_seconds * 1000));
  if (o.retries > 0) {
    so.retry = http::RetryPolicy{};
    so.retry->attempts = o.retries + 1;
  }
  if (o.verbose) so.trace_configs.push_back(verbose_trace_config());
  http::RequestOptions ro;
  ro.headers = std::move(headers);
  ro.data = request_body(o);
  const std::string method = request_method(o.method, ro.data.has_value());

  TelemetryOptions t;
  t.spans_out = o.spans_out;
  t.metrics_out = o.metrics_out;
  Telemetry telemetry(t);
  instrument::HttpClientInstrumentor{}.instrument();

  // One trace per invocation: with no caller's context, an INTERNAL root span holds every attempt
  // and redirect hop, as a program's span would.
  trace::Scope scope(caller.context);
  std::optional<trace::ScopedSpan> root;
  if (!caller.has_parent) root.emplace(trace::get_tracer("tracehop")->start_as_current_span("tracehop fetch"));
  if (o.verbose) {
    const trace::SpanContext sc = trace::current_span().span_context();
    if (sc.valid()) std::fprintf(stderr, "* trace %s\n", sc.trace_id().to_hex().c_str());
  }

  asio::io_context io;
  int status = 0;
  std::string final_url, error;
  char last = '\n';  // the last byte written to standard output
  spawn(io, [&]() -> asio::awaitable<void> {
    const auto executor = co_await asio::this_coro::executor;
    http::ClientSession session(executor, std::move(so));
    try {
      auto resp = co_await session.request(method, o.url, ro);
      status = resp.status();
      final_url = resp.url().buffer();
      if (o.fail && status >= 400) {  // as curl --fail: no body
        resp.release();
      } else {
        if (o.include) {
          print_head(stdout, "", resp, "\r\n");  // as on the wire
          std::fputs("\r\n", stdout);
        }
        for (std::string piece; !(piece = co_await resp.read_chunk()).empty(); last = piece.back())
          std::fwrite(piece.data(), 1, piece.size(), stdout);
      }
    } catch (const http::ClientError& e) {
      error = e.what();
    }
    co_await session.close();
  });
  io.run();
  std::fflush(stdout);

  if (root) {
    if (!error.empty()) {
      (*root)->set_status(trace::StatusCode::Error, error);
    } else if (o.fail && status >= 400) {
      (*root)->set_status(trace::StatusCode::Error, "HTTP " + std::to_string(status));
    }
    root.reset();
  }
  instrument::HttpClientInstrumentor{}.uninstrument();
  if (o.spans_out == "-" && last != '\n') std::fputc('\n', stdout);  // the span lines start on a line of their own
  telemetry.shutdown();

  if (!error.empty()) {
    std::cerr << "tracehop: " << error << '\n';
    return 1;
  }
  if (o.fail && status >= 400) {
    std::cerr << "tracehop: HTTP " << status << " from " << final_url << '\n';
    return 22;
  }
  return 0;
}

}  // namespace tracehop::cli
