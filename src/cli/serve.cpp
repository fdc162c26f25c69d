// `tracehop serve`: an instrumented server with the routes of routes.hpp.
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <optional>

#include "commands.hpp"
#include "routes.hpp"
#include "telemetry.hpp"
#include "tracehop/task.hpp"
#include "tracehop/instrument/client.hpp"
#include "tracehop/instrument/server.hpp"

namespace tracehop::cli {

namespace {

// --access-log: a line on stderr per request once its answer is ready: when it came (UTC), method,
// target, status, time to the answer, and the trace id of its SERVER span ("-" untraced). Added
// after the instrumentation, so the SERVER span is current when a request begins.
class AccessLog final : public http::RequestObserver {
 public:
  void on_request(http::ServerRequest&, http::SignalContext& state) override {
    auto& entry = state.emplace<Entry>();
    entry.start = std::chrono::steady_clock::now();
    entry.when = std::chrono::system_clock::now();
    const trace::SpanContext span = trace::current_span().span_context();
    if (span.valid()) span.trace_id().write_hex(entry.trace_id);
  }
  void on_response(const http::ServerRequest& r, http::ServerResponse& resp, http::SignalContext& state) override {
    write(r, resp.status, state);
  }
  void on_exception(const http::ServerRequest& r, const std::exception_ptr&, http::SignalContext& state) override {
    write(r, 500, state);
  }

 private:
  struct Entry {
    std::chrono::steady_clock::time_point start;
    std::chrono::system_clock::time_point when;
    char trace_id[33] = "-";
  };
  static void write(const http::ServerRequest& r, int status, http::SignalContext& state) {
    const auto* e = state.get<Entry>();
    if (!e) return;
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - e->start).count();
    const auto t = std::chrono::system_clock::to_time_t(e->when);
    const auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(e->when.time_since_epoch()).count() % 1000;
    std::tm utc{};
    gmtime_r(&t, &utc);
    char when[32];
    std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &utc);
    std::fprintf(stderr, "%s.%03dZ %s %s %d %.3f ms %s\n", when, static_cast<int>(millis), r.method.c_str(), r.target.c_str(),
                 status, ms, e->trace_id);
  }
};

}  // namespace

int run_serve(const ServeOptions& o) {
  namespace asio = boost::asio;
  std::optional<Telemetry> telemetry;
  if (!o.no_trace) {
    TelemetryOptions t;
    t.service_name = o.name;
    t.spans_out = o.spans_out;
    t.metrics_out = o.metrics_out;
    if (o.prometheus_port) t.prometheus = prometheus::ReaderOptions{.host = o.host, .port = *o.prometheus_port};
    telemetry.emplace(t);
    instrument::HttpClientInstrumentor{}.instrument();
  }

  asio::io_context io;
  http::ServerOptions so;
  so.host = o.host;
  so.port = o.port;
  http::Server server(io.get_executor(), so);
  http::ClientSession session(io.get_executor());
  if (!o.no_trace) instrument::HttpServerInstrumentor::instrument(server);
  if (o.access_log.value_or(isatty(STDERR_FILENO) == 1)) server.observe(std::make_shared<AccessLog>());
  add_serve_routes(server, session);
  // SIGTERM or SIGINT: stop accepting, let in-flight requests finish, then flush. (Handled
  // from before the first line, so whoever reads it may signal at once.)
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int) {
    if (ec) return;
    spawn(io, [&]() -> asio::awaitable<void> {
      co_await server.stop();
      co_await session.close();
    });
  });
  server.start();  // std::system_error ("cannot listen on ...: Address already in use"): exit 1 from main
  std::cout << "listening on " << server.url() << std::endl;
  if (telemetry && !telemetry->prometheus_url().empty())
    std::cout << "prometheus metrics on " << telemetry->prometheus_url() << std::endl;
  io.run();
  if (telemetry) {
    instrument::HttpClientInstrumentor{}.uninstrument();
    telemetry->shutdown();
  }
  return 0;
}

}  // namespace tracehop::cli
