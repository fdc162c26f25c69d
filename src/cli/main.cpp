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

  FetchOptions fetch;
  auto* fetch_cmd = app.add_subcommand("fetch", "one instrumented request; the body to stdout");
  fetch_cmd->add_option("url", fetch.url, "the URL")->required();
  fetch_cmd->add_option("-X,--request", fetch.method, "the method (default GET, or POST with -d)");
  fetch_cmd->add_option("-H,--header", fetch.headers, "a request header 'Name: value' (repeatable)");
  fetch_cmd->add_option("-d,--data", fetch.data, "the request body");
  fetch_cmd->add_option("--traceparent", fetch.traceparent, "a W3C traceparent: the CLIENT span's remote parent");
  fetch_cmd->add_option("--tracestate", fetch.tracestate, "the W3C tracestate that goes with --traceparent");
  fetch_cmd->add_option("--baggage", fetch.baggage, "W3C baggage to send along (key=value,...)");
  fetch_cmd->add_option("--retries", fetch.retries, "retry 429/502/503/504 and connection failures N times (idempotent methods)");
  fetch_cmd->add_option("--timeout", fetch.timeout_seconds, "the whole request's time limit in seconds");
  fetch_cmd->add_flag("--insecure", fetch.insecure, "do not verify the server's TLS certificate");
  fetch_cmd->add_flag("--fail", fetch.fail, "exit 22 on an HTTP status >= 400");
  fetch_cmd->add_option("--spans-out", fetch.spans_out, "write every span as OTLP/JSON lines to FILE (- for stdout)");

  ServeOptions serve;
  auto* serve_cmd = app.add_subcommand("serve", "an instrumented server");
  serve_cmd->footer(
      "Routes: GET /items/{sku} (a JSON item), GET /status/{code} (that status, 200-599), GET /delay/{ms}\n"
      "(answers after ms, at most 60000), GET|POST /echo (the request as JSON), POST /test (the W3C\n"
      "trace-context test-service protocol). Every GET route answers HEAD. SIGTERM or SIGINT: finish\n"
      "in-flight requests, flush the spans, exit 0.");
  serve_cmd->add_option("--host", serve.host, "the address to listen on")->capture_default_str();
  serve_cmd->add_option("--port", serve.port, "the port (0: any free one)")->capture_default_str();
  serve_cmd->add_option("--name", serve.name, "the service.name of its spans");
  auto* serve_spans = serve_cmd->add_option("--spans-out", serve.spans_out, "write every span as OTLP/JSON lines to FILE (- for stdout)");
  serve_cmd->add_flag("--no-trace", serve.no_trace, "no instrumentation at all (the baseline of bench/server-overhead)")
      ->excludes(serve_spans);

  BenchOptions bench;
  auto* bench_cmd = app.add_subcommand("bench", "a bounded load run on one session");
  bench_cmd->add_option("url", bench.url, "the URL (GET)")->required();
  bench_cmd->add_option("-c,--concurrency", bench.concurrency, "requests in flight")->capture_default_str();
  auto* n = bench_cmd->add_option("-n,--requests", bench.requests, "exactly N requests (default 1000)");
  bench_cmd->add_option("-d,--duration", bench.seconds, "run for SECONDS instead")->excludes(n);
  bench_cmd->add_option("--limit-per-host", bench.limit_per_host, "connections to the host (default: the concurrency)");
  bench_cmd->add_option("-R,--rate", bench.rate,
                        "start R requests a second, on schedule (as wrk2 does; latency counts from the scheduled start)");
  bench_cmd->add_flag("--no-trace", bench.no_trace, "no tracing at all (the baseline)");
  bench_cmd->add_option("--sampler", bench.sampler, "always_on, always_off or ratio:X")->capture_default_str();
  bench_cmd->add_flag("--json", bench.json, "print one JSON object");
  bench_cmd->add_option("--spans-out", bench.spans_out, "write every span as OTLP/JSON lines to FILE");
  bench_cmd->add_option("--warmup", bench.warmup, "untraced warm-up requests first");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
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
