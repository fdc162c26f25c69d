// `tracehop bench` as a user runs it (README: "The `tracehop` command"): its JSON figures, each
// CLIENT span under its own bench.request span, -d, -R pacing, errors by kind and exit codes,
// hanging requests, Ctrl-C, the sampler from the environment, the exporters' counts, and bad
// usage, against servers on loopback.
#include <gtest/gtest.h>

#include <atomic>
#include <boost/json.hpp>

#include "process.hpp"
#include "recorder.hpp"
#include "server_fixture.hpp"
#include "tracehop_cli.hpp"

namespace asio = boost::asio;

using namespace tracehop;
using namespace tracehop::http;
using test::kCli;
using test::kEnv;
using test::run_command;
namespace json = boost::json;

TEST(CliBench, JsonFiguresAndEachClientSpanUnderItsOwnRequestSpan) {
  test::ServerThread server;
  std::atomic<int> served{0};
  server.server().route("GET", "/ok", [&](ServerRequest&) -> asio::awaitable<ServerResponse> {
    ++served;
    co_return ServerResponse::text(200, "ok");
  });
  server.start();
  const auto url = server.server().url() + "/ok";
  auto r = run_command({kCli, "bench", url, "-n", "60", "-c", "4", "--warmup", "5", "--json"}, kEnv);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto out = json::parse(r.out).as_object();
  EXPECT_EQ(out.at("requests"), 60);
  EXPECT_EQ(out.at("errors"), 0);
  for (const char* key : {"seconds", "requests_per_second", "cpu_us_per_request"}) EXPECT_GT(out.at(key).to_number<double>(), 0) << key;
  const auto& latency = out.at("latency_ms").as_object();
  EXPECT_LE(latency.at("p50").to_number<double>(), latency.at("p99").to_number<double>());
  EXPECT_GT(latency.at("mean").to_number<double>(), 0);
  EXPECT_LE(latency.at("mean").to_number<double>(), latency.at("max").to_number<double>());
  EXPECT_GE(latency.at("stdev").to_number<double>(), 0);
  EXPECT_EQ(out.at("status_codes"), (json::object{{"200", 60}}));
  EXPECT_LE(latency.at("p99").to_number<double>(), latency.at("max").to_number<double>());
  EXPECT_EQ(out.at("spans").at("client"), 60);  // the warm-up is untraced
  EXPECT_EQ(out.at("spans").at("under_own_request_span"), 60);
  EXPECT_EQ(served.load(), 65);

  auto untraced = run_command({kCli, "bench", url, "-n", "10", "--no-trace", "--json"}, kEnv);
  ASSERT_EQ(untraced.exit_code, 0) << untraced.err;
  EXPECT_FALSE(json::parse(untraced.out).as_object().contains("spans"));

  auto timed = run_command({kCli, "bench", url, "-d", "300ms", "-c", "2", "--sampler", "ratio:0.5"}, kEnv);
  ASSERT_EQ(timed.exit_code, 0) << timed.err;
  EXPECT_NE(timed.out.find("requests/s"), std::string::npos) << timed.out;
  EXPECT_NE(timed.out.find("p99"), std::string::npos) << timed.out;

  // -R paces the starts: the 40th of 40 requests at 200/s is due 195 ms after the first, so the
  // run cannot take less (flat out it takes a few milliseconds).
  auto paced = run_command({kCli, "bench", url, "-n", "40", "-c", "4", "-R", "200", "--json", "--no-trace"}, kEnv);
  ASSERT_EQ(paced.exit_code, 0) << paced.err;
  const auto paced_out = json::parse(paced.out).as_object();
  EXPECT_EQ(paced_out.at("requests"), 40);
  EXPECT_GE(paced_out.at("seconds").to_number<double>(), 0.195);
  EXPECT_EQ(paced_out.at("rate"), 200.0);

  for (const std::vector<std::string>& bad :
       {std::vector<std::string>{"-n", "5", "-d", "1"}, {"--sampler", "ratio:2"}, {"--sampler", "sometimes"}, {"-c", "0"},
        {"-R", "0"}, {"-d", "10x"}, {"-d", "0s"}, {"-H", "no colon"}}) {
    std::vector<std::string> argv{kCli, "bench", url};
    argv.insert(argv.end(), bad.begin(), bad.end());
    EXPECT_EQ(run_command(argv, kEnv).exit_code, 2) << bad[0] << " " << bad[1];
  }
}

// Errors by kind with the first message, statuses by count, and exit 1 when nothing succeeded;
// a URL that does not parse is bad usage before anything runs.
TEST(CliBench, ErrorsByKindStatusesByCountAndTheExitCode) {
  test::ServerThread server;
  std::atomic<int> served{0};
  server.server().route("GET", "/status/{code}", [&](ServerRequest& r) -> asio::awaitable<ServerResponse> {
    ++served;
    co_return ServerResponse::text(std::stoi(r.param("code")), "");
  });
  server.start();
  const auto failing = run_command({kCli, "bench", server.server().url() + "/status/503", "-n", "7", "-c", "2", "--json"}, kEnv);
  EXPECT_EQ(failing.exit_code, 1);
  EXPECT_EQ(failing.err, "tracehop: no request succeeded (every status was 400 or more)\n");
  const auto out = json::parse(failing.out).as_object();
  EXPECT_EQ(out.at("status_codes"), (json::object{{"503", 7}}));
  EXPECT_EQ(out.at("errors"), 7);

  const auto port = std::to_string(test::free_port());
  const auto refused = run_command({kCli, "bench", "http://127.0.0.1:" + port + "/", "-n", "5", "-c", "2", "--json"}, kEnv);
  EXPECT_EQ(refused.exit_code, 1);
  const std::string why = "cannot connect to 127.0.0.1:" + port + ": Connection refused";
  EXPECT_EQ(refused.err, "tracehop: no request succeeded (" + why + ")\n");
  const auto refused_out = json::parse(refused.out).as_object();
  EXPECT_EQ(refused_out.at("error_kinds"), (json::object{{"ClientConnectorError", {{"count", 5}, {"first", why}}}}));
  EXPECT_EQ(refused_out.at("status_codes"), json::object{});
  const auto text = run_command({kCli, "bench", "http://127.0.0.1:" + port + "/", "-n", "3"}, kEnv);
  EXPECT_NE(text.out.find("    3 ClientConnectorError, the first: " + why + "\n"), std::string::npos) << text.out;

  const int before = served.load();
  const auto bad = run_command({kCli, "bench", server.server().url() + "/status/200 x", "-n", "5"}, kEnv);
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_TRUE(bad.err.starts_with("tracehop: invalid URL '")) << bad.err;
  EXPECT_EQ(bad.out, "");
  EXPECT_EQ(served.load(), before);
}

// -X, -H and --data shape every request.
TEST(CliBench, MethodHeadersAndBody) {
  test::Recorder recorder;
  const auto r = run_command({kCli, "bench", recorder.url("/put"), "-n", "3", "-c", "1", "-X", "PUT", "-H", "X-Tenant: acme",
                              "--data", "payload", "--no-trace"},
                             kEnv);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto calls = recorder.recorded();
  ASSERT_EQ(calls.size(), 3u);
  for (const auto& c : calls) {
    EXPECT_EQ(c.method, "PUT");
    EXPECT_EQ(c.body, "payload");
    EXPECT_EQ(c.headers.get("X-Tenant").value_or(""), "acme");
  }
}

// A server that takes connections and never answers: --timeout makes each request an error of
// its kind; -d ends the run at its time, the requests in flight cancelled and counted.
TEST(CliBench, HangingRequestsEndByTimeoutOrByTheRunsEnd) {
  asio::io_context io;
  asio::ip::tcp::acceptor silent(io, {asio::ip::make_address("127.0.0.1"), 0});  // the kernel accepts; nobody answers
  const auto url = "http://127.0.0.1:" + std::to_string(silent.local_endpoint().port()) + "/";
  const auto timed_out = run_command({kCli, "bench", url, "-n", "3", "-c", "3", "--timeout", "0.2", "--json"}, kEnv);
  EXPECT_EQ(timed_out.exit_code, 1);
  const auto out = json::parse(timed_out.out).as_object();
  EXPECT_EQ(out.at("error_kinds").at("ServerTimeoutError").at("count"), 3);

  const auto ended = run_command({kCli, "bench", url, "-d", "300ms", "-c", "3", "--json"}, kEnv);
  EXPECT_EQ(ended.exit_code, 1);
  EXPECT_EQ(ended.err, "tracehop: no request succeeded (none completed)\n");
  const auto ended_out = json::parse(ended.out).as_object();
  EXPECT_EQ(ended_out.at("cancelled"), 3);
  EXPECT_EQ(ended_out.at("requests"), 0);
  EXPECT_EQ(ended_out.at("errors"), 0);
  EXPECT_LT(ended_out.at("seconds").to_number<double>(), 5.0);  // not held by the requests
}

// Ctrl-C: the figures so far, the spans flushed, exit 130.
TEST(CliBench, InterruptPrintsTheFiguresSoFarAndFlushesTheSpans) {
  test::ServerThread server;
  server.server().route("GET", "/ok", [](ServerRequest&) -> asio::awaitable<ServerResponse> {
    co_return ServerResponse::text(200, "ok");
  });
  server.start();
  const auto spans_file = test::temp_path("interrupted.jsonl");
  test::ChildProcess bench({kCli, "bench", server.server().url() + "/ok", "-d", "60s", "-c", "2", "-R", "200", "--json",
                            "--spans-out", spans_file},
                           kEnv);
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  EXPECT_EQ(bench.stop(SIGINT), 130);
  const auto line = bench.read_line(std::chrono::seconds(5));
  ASSERT_TRUE(line);
  const auto out = json::parse(*line).as_object();
  EXPECT_EQ(out.at("interrupted"), true);
  const auto requests = out.at("requests").to_number<std::int64_t>();
  EXPECT_GT(requests, 0);
  const auto spans = test::read_spans(spans_file);
  std::remove(spans_file.c_str());
  EXPECT_EQ(static_cast<std::int64_t>(spans.size()), out.at("spans").at("exported").to_number<std::int64_t>());
  EXPECT_GE(static_cast<std::int64_t>(spans.size()), 2 * requests);  // bench.request and CLIENT each (and any cancelled)
}

// OTEL_TRACES_SAMPLER applies unless --sampler is given; the JSON carries what the exporters'
// batch processors did with the spans.
TEST(CliBench, TheEnvironmentsSamplerAndTheExportersCounts) {
  test::ServerThread server;
  server.server().route("GET", "/ok", [](ServerRequest&) -> asio::awaitable<ServerResponse> {
    co_return ServerResponse::text(200, "ok");
  });
  server.start();
  const auto url = server.server().url() + "/ok";
  const auto spans_file = test::temp_path("bench-counts.jsonl");
  auto off = run_command({kCli, "bench", url, "-n", "20", "--json"}, {"OTEL_TRACES_EXPORTER=none", "OTEL_TRACES_SAMPLER=always_off"});
  ASSERT_EQ(off.exit_code, 0) << off.err;
  auto off_out = json::parse(off.out).as_object();
  EXPECT_EQ(off_out.at("tracing"), "always_off");
  EXPECT_EQ(off_out.at("spans").at("client"), 0);
  auto on = run_command({kCli, "bench", url, "-n", "20", "--json", "--sampler", "always_on"},
                        {"OTEL_TRACES_EXPORTER=none", "OTEL_TRACES_SAMPLER=always_off"});
  EXPECT_EQ(json::parse(on.out).at("spans").at("client"), 20);

  auto counted = run_command({kCli, "bench", url, "-n", "50", "-c", "2", "--json", "--spans-out", spans_file}, kEnv);
  ASSERT_EQ(counted.exit_code, 0) << counted.err;
  const auto spans = json::parse(counted.out).at("spans").as_object();
  const auto written = test::read_spans(spans_file).size();
  std::remove(spans_file.c_str());
  EXPECT_EQ(written, 100u);  // 50 bench.request + 50 CLIENT
  EXPECT_EQ(spans.at("exported"), 100);  // the --spans-out processor's own count
  EXPECT_EQ(spans.at("export_failed"), 0);
  EXPECT_EQ(spans.at("dropped"), (json::object{{"queue_full", 0}, {"shutdown_timeout", 0}}));
}
