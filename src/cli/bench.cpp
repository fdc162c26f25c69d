// `tracehop bench`: a bounded load run on one session, with each request in its own task under
// its own INTERNAL `bench.request` span (unless --no-trace), so the CLIENT spans show whether
// every request found its own parent under concurrency.
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json.hpp>
#include <boost/unordered/unordered_flat_map.hpp>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <map>
#include <mutex>

#include "commands.hpp"
#include "common/env.hpp"
#include "common/text.hpp"
#include "flags.hpp"
#include "latency.hpp"
#include "telemetry.hpp"
#include "tracehop/http/session.hpp"
#include "tracehop/task.hpp"
#include "tracehop/instrument/client.hpp"
#include "tracehop/trace/span_processor.hpp"

namespace tracehop::cli {

namespace {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

constexpr std::string_view kRequestSpan = "bench.request";

// The exporter of a bench run: counts CLIENT spans and those whose parent is the bench.request
// span of their own trace (each request is a trace of its own). Runs on the batch thread; keeps
// the unmatched half of each pair in an open-addressing table, so a span costs no allocation.
class ParentCheck final : public trace::SpanExporter {
 public:
  trace::ExportResult export_spans(std::span<const trace::SpanDataPtr> spans) noexcept override {
    std::lock_guard lk(mu_);
    for (const auto& s : spans) {
      const auto& trace_id = s->context.trace_id();
      if (s->kind == trace::SpanKind::Client) {
        ++clients_;
        match(trace_id, s->parent_span_id, client_parents_, request_ids_);
      } else if (s->name == kRequestSpan) {
        match(trace_id, s->context.span_id(), request_ids_, client_parents_);
      }
    }
    return trace::ExportResult::Success;
  }
  bool shutdown(std::chrono::milliseconds) noexcept override { return true; }

  std::pair<std::uint64_t, std::uint64_t> counts() const {
    std::lock_guard lk(mu_);
    return {clients_, parented_};
  }

 private:
  struct Hash {
    std::size_t operator()(const trace::TraceId& id) const noexcept {
      std::size_t h;
      std::memcpy(&h, id.bytes().data() + 8, sizeof h);  // the random half
      return h;
    }
  };
  using ByTrace = boost::unordered_flat_map<trace::TraceId, trace::SpanId, Hash>;

  // Whichever of the pair comes second settles it.
  void match(const trace::TraceId& trace_id, const trace::SpanId& id, ByTrace& mine, ByTrace& theirs) {
    if (auto it = theirs.find(trace_id); it != theirs.end()) {
      parented_ += it->second == id;
      theirs.erase(it);
    } else {
      mine.emplace(trace_id, id);
    }
  }

  mutable std::mutex mu_;
  ByTrace client_parents_, request_ids_;
  std::uint64_t clients_ = 0, parented_ = 0;
};

std::chrono::microseconds cpu_time() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  const auto us = [](const timeval& t) { return std::int64_t{t.tv_sec} * 1'000'000 + t.tv_usec; };
  return std::chrono::microseconds(us(u.ru_utime) + us(u.ru_stime));
}

trace::SamplerPtr sampler_of(const std::string& name) {
  if (name == "always_on") return trace::always_on_sampler();
  if (name == "always_off") return trace::always_off_sampler();
  if (name.starts_with("ratio:")) {
    char* end = nullptr;
    const std::string arg = name.substr(6);
    const double ratio = std::strtod(arg.c_str(), &end);
    if (!arg.empty() && end == arg.c_str() + arg.size() && ratio >= 0 && ratio <= 1)
      return trace::parent_based_sampler(trace::trace_id_ratio_sampler(ratio));
  }
  throw UsageError("--sampler '" + name + "': expected always_on, always_off or ratio:X with X in [0, 1]");
}

// What became of the requests: a response's status, or a failure of some kind.
struct Outcomes {
  struct Failure {
    std::size_t count = 0;
    std::string first;  // the first one's message
  };
  std::map<int, std::size_t> statuses;
  std::map<std::string, Failure> failures;  // by the error's type, as `error.type` names it
  std::size_t cancelled = 0;  // in flight when the run ended (-d, Ctrl-C)

  std::size_t succeeded() const {
    std::size_t n = 0;
    for (const auto& [status, count] : statuses) n += status < 400 ? count : 0;
    return n;
  }
  std::size_t errors() const {  // failures and statuses >= 400
    std::size_t n = 0;
    for (const auto& [status, count] : statuses) n += status >= 400 ? count : 0;
    for (const auto& [kind, f] : failures) n += f.count;
    return n;
  }
  void failed(const std::exception& e) {
    std::string kind = tracehop::detail::demangle(typeid(e).name());
    kind = kind.substr(kind.rfind(':') == std::string::npos ? 0 : kind.rfind(':') + 1);
    auto& f = failures[kind];
    if (f.count++ == 0) f.first = e.what();
  }
};

struct Run {
  const BenchOptions& options;
  http::ClientSession& session;
  std::shared_ptr<trace::Tracer> tracer;  // null: --no-trace
  const std::string& method;
  std::size_t limit = 0;                  // requests to start (0: until the deadline)
  Clock::time_point deadline = Clock::time_point::max();
  double rate = 0;                        // requests a second from `paced_from` (0: flat out)
  Clock::time_point paced_from;
  bool traced = true;                     // false for the warm-up
  std::size_t started = 0, done = 0;     // done: answered or failed (not cancelled)
  Outcomes outcomes;
  LatencyHistogram latency;  // fixed size: the tool's memory does not grow with the run
  bool stopping = false;
  std::vector<asio::cancellation_signal> cancel;  // a worker's: its pacing wait and its request

  bool take() {
    if (stopping || (limit ? started >= limit : Clock::now() >= deadline)) return false;
    ++started;
    return true;
  }

  // Ends the run now: nothing more starts, and what is in flight is cancelled.
  void stop() {
    if (stopping) return;
    stopping = true;
    for (auto& c : cancel) c.emit(asio::cancellation_type::terminal);
  }

  // Not a coroutine: the options are gone once the request is prepared, instead of taking room
  // in every request's frame.
  asio::awaitable<http::Response> send() {
    http::RequestOptions o;
    o.trace = traced;
    o.data = options.data;
    return session.request_consuming(method, options.url, o);
  }

  // `t0`: when the request was due (its scheduled start at a --rate, so a late start counts).
  asio::awaitable<void> one(Clock::time_point t0) {
    std::optional<trace::ScopedSpan> span;
    if (traced && tracer) span.emplace(tracer->start_as_current_span(kRequestSpan));
    bool answered = false;
    try {
      auto resp = co_await send();
      co_await resp.read();
      ++outcomes.statuses[resp.status()];
      answered = true;
    } catch (const std::exception& e) {
      if (stopping) {  // not a request of the run's: cut short by its end
        ++outcomes.cancelled;
        co_return;
      }
      outcomes.failed(e);
    }
    span.reset();
    if (traced && answered) latency.record(Clock::now() - t0);
    ++done;
  }

  asio::awaitable<void> worker(asio::cancellation_signal& signal) {
    const auto executor = co_await asio::this_coro::executor;
    asio::steady_timer pace(executor);
    while (take()) {
      auto due = Clock::now();
      if (rate > 0) {  // request number `started` is due at (started - 1) / rate
        due = paced_from + std::chrono::duration_cast<Clock::duration>(
                               std::chrono::duration<double>(static_cast<double>(started - 1) / rate));
        if (due >= deadline) break;  // -d: nothing starts after the end
        pace.expires_at(due);
        boost::system::error_code ec;
        co_await pace.async_wait(asio::bind_cancellation_slot(signal.slot(), asio::redirect_error(asio::use_awaitable, ec)));
        if (stopping) break;
      }
      // A task per request, cancelled by stop().
      co_await spawn(executor, one(due), asio::bind_cancellation_slot(signal.slot(), asio::use_awaitable));
    }
  }

  asio::awaitable<void> all() {
    const auto executor = co_await asio::this_coro::executor;
    cancel = std::vector<asio::cancellation_signal>(options.concurrency);
    std::size_t running = options.concurrency;
    asio::steady_timer all_done(executor, Clock::time_point::max());
    for (std::size_t i = 0; i < options.concurrency; ++i)
      spawn(executor, [this, i, &running, &all_done]() -> asio::awaitable<void> {
        co_await worker(cancel[i]);
        if (--running == 0) all_done.cancel();
      });
    boost::system::error_code ec;
    if (deadline != Clock::time_point::max()) {  // -d: the run ends then, whatever is in flight
      all_done.expires_at(deadline);
      co_await all_done.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      if (!ec) stop();
      all_done.expires_at(Clock::time_point::max());
    }
    if (running > 0) co_await all_done.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
};

// A progress bar on stderr, redrawn every 200 ms while the run goes on.
asio::awaitable<void> progress(const Run& run, const bool& finished, Clock::time_point start, Clock::duration length) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  constexpr int kWidth = 40;
  while (!finished) {
    timer.expires_after(std::chrono::milliseconds(200));
    co_await timer.async_wait(asio::use_awaitable);
    double part = run.limit ? static_cast<double>(run.done) / static_cast<double>(run.limit)
                            : std::chrono::duration<double>(Clock::now() - start) / length;
    part = std::clamp(part, 0.0, 1.0);
    const int filled = static_cast<int>(part * kWidth);
    std::fprintf(stderr, "\r[%s%s] %3d%%  %zu requests", std::string(static_cast<std::size_t>(filled), '#').c_str(),
                 std::string(static_cast<std::size_t>(kWidth - filled), ' ').c_str(), static_cast<int>(part * 100), run.done);
  }
  std::fprintf(stderr, "\r%*s\r", kWidth + 32, "");
}

}  // namespace

int run_bench(const BenchOptions& o) {
  check_url(o.url);
  if (o.concurrency == 0) throw UsageError("-c must be at least 1");
  if (o.requests && *o.requests == 0) throw UsageError("-n must be at least 1");
  const std::optional<Clock::duration> length =
      o.duration ? std::optional<Clock::duration>(parse_duration(*o.duration, "-d")) : std::nullopt;
  if (o.rate && !(*o.rate > 0 && *o.rate <= 1e7)) throw UsageError("-R must be between 0 and 10,000,000 requests a second");
  if (!(o.timeout_seconds >= 0 && o.timeout_seconds <= 86400)) throw UsageError("--timeout must be between 0 and 86400 seconds");
  http::SessionOptions so;
  so.headers = parse_headers(o.headers);
  so.connector.limit = o.concurrency;
  so.connector.limit_per_host = o.limit_per_host;
  if (o.timeout_seconds > 0)
    so.timeout.total = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::duration<double>(o.timeout_seconds));
  const std::string method = request_method(o.method, o.data.has_value());
  const trace::SamplerPtr sampler = o.no_trace || !o.sampler ? nullptr : sampler_of(*o.sampler);

  // Tracing: the sampler asked for (else OTEL_TRACES_SAMPLER's), the exporters of the environment
  // (none unless OTEL_TRACES_EXPORTER says), and the parent check behind a batch processor like
  // any exporter.
  std::optional<Telemetry> telemetry;
  std::shared_ptr<trace::BatchSpanProcessor> batch;
  ParentCheck* check = nullptr;
  std::string tracing = "off";
  if (!o.no_trace) {
    TelemetryOptions t;
    t.sampler = sampler;
    t.spans_out = o.spans_out;
    t.metrics_out = o.metrics_out;
    if (!std::getenv("OTEL_TRACES_EXPORTER")) t.exporters = "none";
    telemetry.emplace(t);
    if (const auto& provider = telemetry->provider()) {
      auto exporter = std::make_unique<ParentCheck>();
      check = exporter.get();
      batch = std::make_shared<trace::BatchSpanProcessor>(std::move(exporter));
      provider->add_span_processor(batch);
      using tracehop::detail::env;
      const auto arg = env("OTEL_TRACES_SAMPLER_ARG");
      tracing = o.sampler ? *o.sampler
                          : env("OTEL_TRACES_SAMPLER").value_or("parentbased_always_on") + (arg ? ":" + *arg : "");
    } else {
      tracing = "disabled (OTEL_SDK_DISABLED)";
    }
    instrument::HttpClientInstrumentor{}.instrument();
  }

  asio::io_context io;
  http::ClientSession session(io.get_executor(), std::move(so));
  auto tracer = o.no_trace ? nullptr : trace::get_tracer("tracehop.bench", TRACEHOP_VERSION);

  Run warmup{o, session, tracer, method};
  warmup.limit = o.warmup;
  warmup.traced = false;
  Run run{o, session, tracer, method};
  run.limit = o.requests.value_or(length ? 0 : 1000);

  // Ctrl-C (or SIGTERM): the run ends at once, and its figures so far are printed.
  bool interrupted = false;
  asio::signal_set interrupt(io, SIGINT, SIGTERM);
  interrupt.async_wait([&](const boost::system::error_code& ec, int) {
    if (ec) return;
    interrupted = true;
    warmup.stop();
    run.stop();
  });

  const bool show_progress = !o.json && isatty(STDERR_FILENO);
  Clock::time_point start, end;
  std::chrono::microseconds cpu{};
  bool finished = false;
  spawn(io, [&]() -> asio::awaitable<void> {
    if (o.warmup) co_await warmup.all();
    start = Clock::now();
    const auto cpu0 = cpu_time();
    if (length) run.deadline = start + *length;
    run.rate = o.rate.value_or(0);
    run.paced_from = start;
    if (show_progress) spawn(co_await asio::this_coro::executor, progress(run, finished, start, length.value_or(Clock::duration{1})));
    co_await run.all();
    end = Clock::now();
    cpu = cpu_time() - cpu0;
    finished = true;
    interrupt.cancel();
    co_await session.close();
  });
  io.run();
  if (telemetry) {
    instrument::HttpClientInstrumentor{}.uninstrument();
    telemetry->shutdown();  // flushes the parent check too
  }

  const double seconds = std::chrono::duration<double>(end - start).count();
  const double n = static_cast<double>(std::max<std::size_t>(run.done, 1));
  const double rps = static_cast<double>(run.done) / std::max(seconds, 1e-9);
  const double cpu_us = static_cast<double>(cpu.count()) / n;
  const auto ms = [](std::chrono::nanoseconds t) { return std::chrono::duration<double, std::milli>(t).count(); };
  const double p50 = ms(run.latency.percentile(0.5)), p90 = ms(run.latency.percentile(0.9)),
               p99 = ms(run.latency.percentile(0.99)), max = ms(run.latency.max()), mean = run.latency.mean() / 1e6,
               stdev = run.latency.stdev() / 1e6;
  const Outcomes& out = run.outcomes;
  const auto exported = telemetry ? telemetry->export_stats() : std::nullopt;
  const auto exp = exported.value_or(trace::BatchSpanProcessor::Stats{});

  if (o.json) {
    boost::json::object statuses, failures;
    for (const auto& [status, count] : out.statuses) statuses[std::to_string(status)] = count;
    for (const auto& [kind, f] : out.failures) failures[kind] = {{"count", f.count}, {"first", f.first}};
    boost::json::object doc{{"requests", run.done},
                            {"errors", out.errors()},
                            {"status_codes", std::move(statuses)},
                            {"error_kinds", std::move(failures)},
                            {"cancelled", out.cancelled},
                            {"interrupted", interrupted},
                            {"seconds", seconds},
                            {"requests_per_second", rps},
                            {"cpu_us_per_request", cpu_us},
                            {"latency_ms", {{"mean", mean}, {"stdev", stdev}, {"p50", p50}, {"p90", p90}, {"p99", p99}, {"max", max}}},
                            {"concurrency", o.concurrency},
                            {"rate", o.rate ? boost::json::value(*o.rate) : boost::json::value(nullptr)},
                            {"tracing", tracing}};
    if (check) {
      const auto [clients, parented] = check->counts();
      doc["spans"] = {{"client", clients},
                      {"under_own_request_span", parented},
                      {"unchecked", batch->stats().dropped_queue_full},
                      {"exported", exp.exported},
                      {"export_failed", exp.export_failed},
                      {"dropped", {{"queue_full", exp.dropped_queue_full}, {"shutdown_timeout", exp.dropped_shutdown_timeout}}}};
    }
    std::cout << boost::json::serialize(doc) << '\n';
  } else {
    std::printf("tracehop bench %s %s\n", method.c_str(), o.url.c_str());
    std::printf("  %zu requests, concurrency %zu%s, tracing %s%s\n", run.done, o.concurrency,
                o.rate ? (", at " + std::to_string(static_cast<long long>(*o.rate)) + "/s").c_str() : "", tracing.c_str(),
                interrupted ? " (interrupted)" : "");
    std::printf("  requests/s   %.1f (%.2f s)\n", rps, seconds);
    std::printf("  latency      mean %.3f ms  stdev %.3f ms  p50 %.3f ms  p90 %.3f ms  p99 %.3f ms  max %.3f ms\n", mean,
                stdev, p50, p90, p99, max);
    std::printf("  client CPU   %.1f us per request\n", cpu_us);
    std::string statuses;
    for (const auto& [status, count] : out.statuses)
      statuses += (statuses.empty() ? "" : ", ") + std::to_string(status) + " x " + std::to_string(count);
    std::printf("  status       %s\n", statuses.empty() ? "none" : statuses.c_str());
    std::printf("  errors       %zu\n", out.errors());
    for (const auto& [kind, f] : out.failures)
      std::printf("    %zu %s, the first: %s\n", f.count, kind.c_str(), f.first.c_str());
    if (out.cancelled) std::printf("  cancelled    %zu (in flight when the run ended)\n", out.cancelled);
    if (check) {
      const auto [clients, parented] = check->counts();
      std::printf("  spans        %llu CLIENT spans, %llu under their own %s span\n", static_cast<unsigned long long>(clients),
                  static_cast<unsigned long long>(parented), std::string(kRequestSpan).c_str());
      if (exported)
        std::printf("  exported     %llu spans; %llu failed, %llu dropped (queue full), %llu not sent (shutdown timeout)\n",
                    static_cast<unsigned long long>(exp.exported), static_cast<unsigned long long>(exp.export_failed),
                    static_cast<unsigned long long>(exp.dropped_queue_full),
                    static_cast<unsigned long long>(exp.dropped_shutdown_timeout));
    }
  }
  if (interrupted) return 130;
  if (out.succeeded() == 0) {
    const std::string why = !out.failures.empty() ? out.failures.begin()->second.first
                            : !out.statuses.empty() ? "every status was 400 or more"
                                                    : "none completed";
    std::cerr << "tracehop: no request succeeded (" << why << ")\n";
    return 1;
  }
  return 0;
}

}  // namespace tracehop::cli
