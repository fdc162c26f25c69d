// `tracehop fetch`: one instrumented request, like curl with a trace.
#include <boost/asio/io_context.hpp>
#include <cstdio>
#include <iostream>

#include "commands.hpp"
#include "common/text.hpp"
#include "telemetry.hpp"
#include "tracehop/http/session.hpp"
#include "tracehop/task.hpp"
#include "tracehop/instrument/client.hpp"
#include "tracehop/trace/propagation.hpp"

namespace tracehop::cli {

namespace {

namespace asio = boost::asio;

http::Headers parse_headers(const std::vector<std::string>& lines) {
  http::Headers headers;
  for (const auto& line : lines) {
    const auto colon = line.find(':');
    if (colon == std::string::npos || colon == 0)
      throw UsageError("-H '" + line + "': expected 'Name: value'");
    headers.add(line.substr(0, colon), tracehop::detail::trim_ows(std::string_view(line).substr(colon + 1)));
  }
  return headers;
}

// The context the request runs in: the remote parent given on the command line, if any.
trace::Context parent_context(const FetchOptions& o) {
  trace::Context context;
  if (!o.traceparent.empty()) {
    if (!trace::parse_traceparent(o.traceparent))
      throw UsageError("--traceparent '" + o.traceparent + "' is not a valid W3C traceparent");
    trace::MapCarrier carrier;
    carrier.set("traceparent", o.traceparent);
    if (!o.tracestate.empty()) carrier.set("tracestate", o.tracestate);
    context = trace::trace_context_propagator()->extract(carrier, context);
  } else if (!o.tracestate.empty()) {
    throw UsageError("--tracestate needs --traceparent");
  }
  if (!o.baggage.empty()) {
    auto baggage = trace::parse_baggage(o.baggage);
    if (baggage.size() == 0) throw UsageError("--baggage '" + o.baggage + "' has no valid W3C baggage entry");
    context = context.with_baggage(std::move(baggage));
  }
  return context;
}

}  // namespace

int run_fetch(const FetchOptions& o) {
  const http::Headers headers = parse_headers(o.headers);
  const trace::Context parent = parent_context(o);
  if (o.retries < 0) throw UsageError("--retries must be 0 or more");
  if (o.timeout_seconds < 0) throw UsageError("--timeout must be positive");

  TelemetryOptions t;
  t.spans_out = o.spans_out;
  Telemetry telemetry(t);
  instrument::HttpClientInstrumentor{}.instrument();

  http::SessionOptions so;
  so.connector.verify_ssl = !o.insecure;
  if (o.timeout_seconds > 0)
    so.timeout.total = std::chrono::milliseconds(static_cast<std::int64_t>(o.timeout_seconds * 1000));
  if (o.retries > 0) {
    so.retry = http::RetryPolicy{};
    so.retry->attempts = o.retries + 1;
  }
  http::RequestOptions ro;
  ro.headers = headers;
  ro.data = o.data;
  const std::string method = !o.method.empty() ? o.method : o.data ? "POST" : "GET";

  asio::io_context io;
  int status = 0;
  std::string error;
  {
    trace::Scope scope(parent);
    spawn(io, [&]() -> asio::awaitable<void> {
      const auto executor = co_await asio::this_coro::executor;
      http::ClientSession session(executor, std::move(so));
      try {
        auto resp = co_await session.request(method, o.url, std::move(ro));
        status = resp.status();
        for (std::string piece; !(piece = co_await resp.read_chunk()).empty();)
          std::fwrite(piece.data(), 1, piece.size(), stdout);
        std::fflush(stdout);
      } catch (const http::ClientError& e) {
        error = e.what();
      }
      co_await session.close();
    });
  }
  io.run();
  instrument::HttpClientInstrumentor{}.uninstrument();
  telemetry.shutdown();

  if (!error.empty()) {
    std::cerr << "tracehop: " << error << '\n';
    return 1;
  }
  return o.fail && status >= 400 ? 22 : 0;
}

}  // namespace tracehop::cli
