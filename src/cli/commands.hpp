#pragma once
// The `tracehop` subcommands (README: "The `tracehop` command"): each returns the process exit code.

#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace tracehop::cli {

/// Thrown for bad usage found after parsing (a malformed -H, --traceparent, ...): exit 2.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct FetchOptions {
  std::string url;
  std::string method;  // empty: GET, or POST with data
  std::vector<std::string> headers;  // "Name: value"
  std::optional<std::string> data;         // -d: "@file" / "@-" read, CR and LF dropped (as curl)
  std::optional<std::string> data_binary;  // --data-binary: the same, bytes kept
  std::string traceparent, tracestate, baggage;
  int retries = 0;
  double timeout_seconds = 0;  // 0: the session's default
  bool insecure = false;
  bool fail = false;
  bool include = false;  // -i: status line and header before the body
  bool verbose = false;  // -v: each hop's request and response header, and the trace id, on stderr
  std::string spans_out;
  std::string metrics_out;
};
/// One instrumented request in one trace; the body to stdout. 0, 22 (>= 400 with fail), 1
/// (client error), UsageError (2) for a bad URL or option.
int run_fetch(const FetchOptions& options);

struct ServeOptions {
  std::string host = "127.0.0.1";
  unsigned short port = 8080;
  std::string name;  // service.name
  std::string spans_out;
  std::string metrics_out;
  bool no_trace = false;  // neither SDK nor instrumentation: the baseline
  std::optional<bool> access_log;  // a line per request on stderr; unset: when stderr is a terminal
  std::optional<unsigned short> prometheus_port;  // serve the metrics to Prometheus there
};
/// An instrumented server until SIGTERM or SIGINT; 0 after a graceful stop.
int run_serve(const ServeOptions& options);

struct BenchOptions {
  std::string url;
  std::string method;                 // -X; empty: GET, or POST with data
  std::vector<std::string> headers;   // -H "Name: value"
  std::optional<std::string> data;    // --data: every request's body
  std::size_t concurrency = 10;
  std::optional<std::size_t> requests;  // -n
  std::optional<std::string> duration;  // -d: "10s", "500ms", "2m" or seconds
  double timeout_seconds = 0;           // --timeout: each request's limit; 0: the session's default
  std::size_t limit_per_host = 0;       // 0: the concurrency
  std::optional<double> rate;           // -R: requests per second (open loop); unset: flat out
  bool no_trace = false;
  std::optional<std::string> sampler;   // unset: OTEL_TRACES_SAMPLER(_ARG)
  bool json = false;
  std::string spans_out;
  std::string metrics_out;
  std::size_t warmup = 0;
};
/// A bounded load run on one session; prints the figures. 0; 1 when no request got a response
/// below 400; 130 when interrupted (SIGINT, SIGTERM: the figures so far are printed).
int run_bench(const BenchOptions& options);

struct DemoOptions {
  /// console, otlp or none; unset: OTEL_TRACES_EXPORTER if set, else none (the demo needs no
  /// outside service).
  std::optional<std::string> exporter;
  std::string spans_out;
  std::string metrics_out;
};
/// The checkout-gateway walk-through of the reference guide over real HTTP on loopback.
int run_demo(const DemoOptions& options);

}  // namespace tracehop::cli
