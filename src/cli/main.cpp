// The tracehop command (README: "The `tracehop` command"): demo, fetch, serve, bench.
#include <CLI/CLI.hpp>
#include <iostream>
#include <system_error>

#include "commands.hpp"

int main(int argc, char** argv) {
  using namespace tracehop::cli;
  CLI::App app{"tracehop: one distributed trace across every HTTP hop", "tracehop"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "tracehop " TRACEHOP_VERSION);

  DemoOptions demo;
  auto* demo_cmd = app.add_subcommand("demo", "run the reference guide's checkout gateway over HTTP and print its traces");
  demo_cmd->add_option("--exporter", demo.exporter,
                       "also export spans: console, otlp or none (default: OTEL_TRACES_EXPORTER, else none)")
      ->check(CLI::IsMember({"console", "otlp", "none"}));
  demo_cmd->add_option("--spans-out", demo.spans_out, "write every span as OTLP/JSON lines to FILE (- for stdout)");
  demo_cmd->add_option("--metrics-out", demo.metrics_out, "append each service's metrics as OTLP/JSON lines to FILE (- for stdout)");

  FetchOptions fetch;
  auto* fetch_cmd = app.add_subcommand("fetch", "one instrumented request in one trace; the body to stdout");
  fetch_cmd->add_option("url", fetch.url, "the URL (http:// or https://)")->required();
  fetch_cmd->add_option("-X,--request", fetch.method, "the method (default GET, or POST with -d)");
  fetch_cmd->add_option("-H,--header", fetch.headers, "a request header 'Name: value' (repeatable)");
  auto* data = fetch_cmd->add_option("-d,--data", fetch.data, "the request body; @FILE reads a file, @- stdin (CR and LF dropped)");
  fetch_cmd->add_option("--data-binary", fetch.data_binary, "as -d, the bytes kept as they are")->excludes(data);
  fetch_cmd->add_flag("-i,--include", fetch.include, "print the status line and header before the body");
  fetch_cmd->add_flag("-v,--verbose", fetch.verbose, "print each request and response header, and the trace id, on stderr");
  fetch_cmd->add_option("--traceparent", fetch.traceparent, "a W3C traceparent: the parent of this command's spans");
  fetch_cmd->add_option("--tracestate", fetch.tracestate, "the W3C tracestate that goes with the traceparent");
  fetch_cmd->add_option("--baggage", fetch.baggage, "W3C baggage to send along (key=value,...)");
  fetch_cmd->add_option("--retries", fetch.retries, "retry 429/502/503/504 and connection failures N times (idempotent methods)");
  fetch_cmd->add_option("--timeout", fetch.timeout_seconds, "each attempt's time limit in seconds");
  fetch_cmd->add_flag("--insecure", fetch.insecure, "do not verify the server's TLS certificate");
  fetch_cmd->add_flag("--fail", fetch.fail, "on an HTTP status >= 400: no body, a line on stderr, exit 22");
  fetch_cmd->add_option("--spans-out", fetch.spans_out, "append every span as OTLP/JSON lines to FILE (- for stdout, after the body)");
  fetch_cmd->add_option("--metrics-out", fetch.metrics_out, "append the request metrics as OTLP/JSON lines to FILE (- for stdout, after the body)");
  fetch_cmd->footer(
      "Redirects are followed, at most 10 (a 303, and a 301/302 after POST, continue as GET); each hop\n"
      "is a CLIENT span. A response body over 64 MiB is an error.\n"
      "Trace context: the parent is --traceparent, else a traceparent header given with -H, else the\n"
      "TRACEPARENT environment variable, each with its tracestate; baggage likewise (--baggage, -H,\n"
      "BAGGAGE). The propagators send it on (OTEL_PROPAGATORS). With no parent, one INTERNAL span\n"
      "'tracehop fetch' is the root of every attempt and hop, so one invocation is one trace.\n"
      "Spans are exported over OTLP only when OTEL_TRACES_EXPORTER or an OTEL_EXPORTER_OTLP_ENDPOINT is set.\n"
      "Exit codes: 0 a response (any status), 22 a status >= 400 with --fail, 1 no response\n"
      "(connection, TLS, timeout or protocol error: the reason on stderr), 2 bad usage (an option or\n"
      "the URL).");

  ServeOptions serve;
  auto* serve_cmd = app.add_subcommand("serve", "an instrumented HTTP server with test routes");
  serve_cmd->footer(
      "Routes:\n"
      "  GET /items/{sku}     a JSON item\n"
      "  GET /status/{code}   that status (200-599)\n"
      "  GET /delay/{ms}      answers after ms milliseconds (at most 60000)\n"
      "  GET|POST /echo       the request as JSON (a body that is not UTF-8 as body_base64)\n"
      "  POST /test           the W3C trace-context test-service protocol: a JSON array of\n"
      "                       {\"url\", \"arguments\"}, each arguments POSTed to its url, in order\n"
      "Every GET route answers HEAD. Its first stdout line is 'listening on http://HOST:PORT'; with\n"
      "--prometheus-port the second is 'prometheus metrics on http://HOST:PORT/metrics'.\n"
      "SIGTERM or SIGINT: finish in-flight requests, flush the spans, exit 0. Exit 1 when it cannot\n"
      "listen (the reason on stderr), 2 bad usage.");
  serve_cmd->add_option("--host", serve.host, "the address or host name to listen on")->capture_default_str();
  serve_cmd->add_option("--port", serve.port, "the port (0: any free one)")->capture_default_str();
  serve_cmd->add_option("--name", serve.name, "the service.name of its spans");
  auto* serve_spans = serve_cmd->add_option("--spans-out", serve.spans_out, "append every span as OTLP/JSON lines to FILE (- for stdout)");
  auto* serve_prometheus = serve_cmd->add_option("--prometheus-port", serve.prometheus_port,
                                                 "serve the metrics to Prometheus at GET /metrics on this port (0: any free one)");
  auto* serve_metrics = serve_cmd->add_option("--metrics-out", serve.metrics_out, "append the metrics as OTLP/JSON lines to FILE (- for stdout): every OTEL_METRIC_EXPORT_INTERVAL and at exit");
  serve_cmd->add_flag("--no-trace", serve.no_trace, "no instrumentation at all (the baseline of bench/server-overhead)")
      ->excludes(serve_spans)
      ->excludes(serve_metrics)
      ->excludes(serve_prometheus);
  serve_cmd->add_flag("--access-log,!--no-access-log", serve.access_log,
                      "a line per request on stderr: time, method, target, status, duration, trace id (default: on a terminal)");

  BenchOptions bench;
  auto* bench_cmd = app.add_subcommand("bench", "a bounded load run on one session");
  bench_cmd->add_option("url", bench.url, "the URL (http:// or https://)")->required();
  bench_cmd->add_option("-c,--concurrency", bench.concurrency, "requests in flight")->capture_default_str();
  auto* n = bench_cmd->add_option("-n,--requests", bench.requests, "exactly N requests (default 1000)");
  bench_cmd->add_option("-d,--duration", bench.duration, "run for this long instead: 10s, 500ms, 2m, or seconds")->excludes(n);
  bench_cmd->add_option("-X,--method", bench.method, "the method (default GET, or POST with --data)");
  bench_cmd->add_option("-H,--header", bench.headers, "a request header 'Name: value' (repeatable)");
  bench_cmd->add_option("--data", bench.data, "every request's body");
  bench_cmd->add_option("--timeout", bench.timeout_seconds, "each request's time limit in seconds (a timeout is an error)");
  bench_cmd->add_option("--limit-per-host", bench.limit_per_host, "connections to the host (default: the concurrency)");
  bench_cmd->add_option("-R,--rate", bench.rate,
                        "start R requests a second, on schedule (as wrk2 does; latency counts from the scheduled start)");
  bench_cmd->add_flag("--no-trace", bench.no_trace, "no tracing at all (the baseline)");
  bench_cmd->add_option("--sampler", bench.sampler, "always_on, always_off or ratio:X (default: OTEL_TRACES_SAMPLER, else always on)");
  bench_cmd->add_flag("--json", bench.json, "print one JSON object");
  bench_cmd->add_option("--spans-out", bench.spans_out, "append every span as OTLP/JSON lines to FILE");
  bench_cmd->add_option("--metrics-out", bench.metrics_out, "append the metrics as OTLP/JSON lines to FILE (- for stdout): every OTEL_METRIC_EXPORT_INTERVAL and at exit");
  bench_cmd->add_option("--warmup", bench.warmup, "untraced warm-up requests first");
  bench_cmd->footer(
      "Each request runs in its own task under its own INTERNAL bench.request span. Printed: requests/s,\n"
      "latency (mean, stdev, p50, p90, p99, max; of the requests answered), client CPU per request, the\n"
      "status codes by count, the errors by kind with the first message of each, the spans and what the\n"
      "exporters did with them. -d ends the run at its time: requests still in flight are cancelled and\n"
      "counted as such. Ctrl-C ends it too, prints the figures so far and flushes the spans.\n"
      "Exit codes: 0, 1 when no request got a status below 400 (the reason on stderr), 2 bad usage, 130\n"
      "interrupted.");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // CLI11 takes an unknown command for a missing one: say what was given.
    if (argc > 1 && argv[1][0] != '-' && app.get_subcommands().empty()) {
      std::cerr << "tracehop: unknown command '" << argv[1] << "' (commands: demo, fetch, serve, bench; see tracehop --help)\n";
      return 2;
    }
    std::cerr << "tracehop: " << e.what() << " (see tracehop --help)\n";
    return 2;
  }

  try {
    if (*demo_cmd) return run_demo(demo);
    if (*fetch_cmd) return run_fetch(fetch);
    if (*serve_cmd) return run_serve(serve);
    if (*bench_cmd) return run_bench(bench);
  } catch (const UsageError& e) {
    std::cerr << "tracehop: " << e.what() << " (see tracehop --help)\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "tracehop: " << e.what() << '\n';
    return 1;
  }
  return 0;
}
