// `tracehop fetch` as a user runs it (README: "The `tracehop` command"): curl's flags and exit
// codes, one trace per invocation, the caller's context from a flag, a header or the environment,
// and the spans it writes with --spans-out, against real servers on loopback.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <fstream>

#include "process.hpp"
#include "recorder.hpp"
#include "run.hpp"
#include "server_fixture.hpp"
#include "tracehop_cli.hpp"

namespace asio = boost::asio;

using namespace tracehop;
using namespace tracehop::http;
using namespace std::chrono_literals;
using test::kCli;
using test::kEnv;
using test::read_spans;
using test::Recorder;
using test::run_command;
using test::Serve;
using test::Span;
using test::temp_path;

namespace {

constexpr int kInternal = 1, kClient = 3;  // OTLP's SpanKind
const std::string kTraceId = "0af7651916cd43dd8448eb211c80319c", kParent = "b7ad6b7169203331";
const std::string kTraceparent = "00-" + kTraceId + "-" + kParent + "-01";

std::vector<Span> take_spans(const std::string& file) {
  auto spans = read_spans(file);
  std::remove(file.c_str());
  return spans;
}

}  // namespace

TEST(CliFetch, BodyToStdoutAndExitCodes) {
  test::ServerThread server;
  server.server().route("GET", "/status/{code}", [](ServerRequest& r) -> asio::awaitable<ServerResponse> {
    co_return ServerResponse::text(std::stoi(r.param("code")), "body " + r.param("code"));
  });
  server.server().route("GET", "/slow", [](ServerRequest&) -> asio::awaitable<ServerResponse> {
    co_await test::sleep_for(1s);
    co_return ServerResponse::text(200, "late");
  });
  server.start();
  const auto base = server.server().url();
  auto ok = run_command({kCli, "fetch", base + "/status/200"}, kEnv);
  EXPECT_EQ(ok.exit_code, 0);
  EXPECT_EQ(ok.out, "body 200");
  EXPECT_EQ(run_command({kCli, "fetch", base + "/status/404"}, kEnv).exit_code, 0);  // any HTTP response
  auto failed = run_command({kCli, "fetch", "--fail", base + "/status/404"}, kEnv);
  EXPECT_EQ(failed.exit_code, 22);
  EXPECT_EQ(failed.out, "");  // as curl --fail: no body, a line that says why
  EXPECT_EQ(failed.err, "tracehop: HTTP 404 from " + base + "/status/404\n");

  const auto port = test::free_port();
  auto refused = run_command({kCli, "fetch", "http://127.0.0.1:" + std::to_string(port) + "/"}, kEnv);
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_EQ(refused.err, "tracehop: cannot connect to 127.0.0.1:" + std::to_string(port) + ": Connection refused\n");

  for (const std::vector<std::string>& bad : {std::vector<std::string>{"-H", "no colon"},
                                              {"--traceparent", "00-nothex-01"},
                                              {"--tracestate", "a=b"},
                                              {"--bogus"}}) {
    std::vector<std::string> argv{kCli, "fetch", base + "/status/200"};
    argv.insert(argv.end(), bad.begin(), bad.end());
    auto r = run_command(argv, kEnv);
    EXPECT_EQ(r.exit_code, 2) << bad[0];
    EXPECT_TRUE(r.err.starts_with("tracehop: ")) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_EQ(r.out, "");
  }
  auto slow = run_command({kCli, "fetch", "--timeout", "0.2", base + "/slow"}, kEnv, 20s);
  EXPECT_EQ(slow.exit_code, 1);
  EXPECT_NE(slow.err.find("timeout"), std::string::npos) << slow.err;
}

TEST(CliFetch, TraceparentMethodHeadersDataBaggageAndSpans) {
  Recorder recorder;
  const std::string trace_id = kTraceId, parent = kParent;
  const auto spans_file = temp_path("fetch.jsonl");
  auto r = run_command({kCli, "fetch", "-X", "PUT", "-H", "X-Custom: yes", "-d", "payload", "--traceparent",
                        "00-" + trace_id + "-" + parent + "-01", "--baggage", "tenant=acme", "--spans-out", spans_file,
                        recorder.url("/put")},
                       kEnv);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "recorded /put");
  const auto calls = recorder.recorded();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].method, "PUT");
  EXPECT_EQ(calls[0].body, "payload");
  EXPECT_EQ(calls[0].baggage, "tenant=acme");
  const auto spans = read_spans(spans_file);
  std::remove(spans_file.c_str());
  ASSERT_EQ(spans.size(), 1u);
  EXPECT_EQ(spans[0].kind, 3);
  EXPECT_EQ(spans[0].name, "PUT");
  EXPECT_EQ(spans[0].trace_id, trace_id);
  EXPECT_EQ(spans[0].parent, parent);  // the remote parent from --traceparent
  EXPECT_EQ(calls[0].traceparent, "00-" + trace_id + "-" + spans[0].span_id + "-01");
}

// One invocation, one trace: every attempt and redirect hop a CLIENT span under one INTERNAL root.
TEST(CliFetch, AttemptsAndRedirectHopsAreSiblingsInOneTrace) {
  Recorder recorder;
  recorder.failures_left = 2;
  const auto spans_file = temp_path("retries.jsonl");
  auto r = run_command({kCli, "fetch", "--retries", "3", "--spans-out", spans_file, recorder.url("/flaky")},
                       {"OTEL_TRACES_EXPORTER=none", "OTEL_SEMCONV_STABILITY_OPT_IN=http"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(recorder.recorded().size(), 3u);
  auto spans = take_spans(spans_file);
  ASSERT_EQ(spans.size(), 4u);  // one CLIENT span per attempt, then the root that holds them
  const Span root = spans.back();
  EXPECT_EQ(root.kind, kInternal);
  EXPECT_EQ(root.name, "tracehop fetch");
  EXPECT_EQ(root.parent, "");
  std::vector<std::string> resends;
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(spans[i].kind, kClient);
    EXPECT_EQ(spans[i].trace_id, root.trace_id);
    EXPECT_EQ(spans[i].parent, root.span_id);
    const auto* count = spans[i].attributes.if_contains("http.request.resend_count");
    resends.push_back(count ? std::string(count->at("intValue").as_string()) : "-");
  }
  EXPECT_EQ(resends, (std::vector<std::string>{"-", "1", "2"}));

  r = run_command({kCli, "fetch", "--spans-out", spans_file, recorder.url("/moved")}, kEnv);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "recorded /landed");
  spans = take_spans(spans_file);
  ASSERT_EQ(spans.size(), 3u);
  EXPECT_EQ(spans[2].kind, kInternal);
  for (std::size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(spans[i].kind, kClient);
    EXPECT_EQ(spans[i].trace_id, spans[2].trace_id);
    EXPECT_EQ(spans[i].parent, spans[2].span_id);
  }
}

// The caller's context comes from --traceparent, else a -H header, else the TRACEPARENT /
// TRACESTATE / BAGGAGE environment carriers; it is the parent, sent on for the CLIENT span, and
// there is no root span of the command's own.
TEST(CliFetch, TheCallersContextFromAHeaderOrTheEnvironmentIsTheParent) {
  Recorder recorder;
  const auto spans_file = temp_path("caller.jsonl");
  struct Way {
    const char* what;
    std::vector<std::string> args, env;
  };
  const Way ways[] = {
      {"-H", {"-H", "traceparent: " + kTraceparent, "-H", "tracestate: vendor=1", "-H", "baggage: tenant=acme"}, {}},
      {"environment", {}, {"TRACEPARENT=" + kTraceparent, "TRACESTATE=vendor=1", "BAGGAGE=tenant=acme"}},
      {"flags over the others",  // tracestate goes with its traceparent: the environment's is not taken
       {"--traceparent", kTraceparent, "--tracestate", "vendor=1", "-H",
        "traceparent: 00-11111111111111111111111111111111-2222222222222222-01", "-H", "tracestate: other=2"},
       {"TRACEPARENT=00-33333333333333333333333333333333-4444444444444444-01", "TRACESTATE=vendor=3",
        "BAGGAGE=tenant=acme"}},
  };
  for (const auto& way : ways) {
    std::vector<std::string> argv{kCli, "fetch", "--spans-out", spans_file};
    argv.insert(argv.end(), way.args.begin(), way.args.end());
    argv.push_back(recorder.url("/joined"));
    auto env = way.env;
    env.push_back("OTEL_TRACES_EXPORTER=none");
    const auto r = run_command(argv, env);
    ASSERT_EQ(r.exit_code, 0) << way.what << ": " << r.err;
    const auto spans = take_spans(spans_file);
    ASSERT_EQ(spans.size(), 1u) << way.what;  // the CLIENT span alone: the caller's span is the root
    EXPECT_EQ(spans[0].kind, kClient);
    EXPECT_EQ(spans[0].trace_id, kTraceId) << way.what;
    EXPECT_EQ(spans[0].parent, kParent) << way.what;
    const auto call = recorder.recorded().back();
    EXPECT_EQ(call.traceparent, "00-" + kTraceId + "-" + spans[0].span_id + "-01") << way.what;
    EXPECT_EQ(call.headers.all("traceparent").size(), 1u) << way.what;  // replaced, not sent twice
    EXPECT_EQ(call.headers.get("tracestate").value_or(""), "vendor=1") << way.what;
    EXPECT_EQ(call.baggage, "tenant=acme") << way.what;
  }

  // A tracestate goes with its own traceparent: not the environment's beside a flag's.
  const auto mixed = run_command({kCli, "fetch", "--traceparent", kTraceparent, recorder.url("/mixed")},
                                 {"OTEL_TRACES_EXPORTER=none", "TRACESTATE=vendor=3"});
  ASSERT_EQ(mixed.exit_code, 0) << mixed.err;
  EXPECT_FALSE(recorder.recorded().back().headers.contains("tracestate"));

  // A malformed value given on the command line is bad usage; one in the environment is ignored
  // (as a propagator ignores a malformed header), and the command's own root span is the parent.
  auto bad = run_command({kCli, "fetch", "-H", "traceparent: 00-nothex-01", recorder.url("/bad")}, kEnv);
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_EQ(bad.err, "tracehop: -H 'traceparent: 00-nothex-01' is not a valid W3C traceparent (see tracehop --help)\n");
  const auto ignored = run_command({kCli, "fetch", "--spans-out", spans_file, recorder.url("/ignored")},
                                   {"OTEL_TRACES_EXPORTER=none", "TRACEPARENT=00-nothex-01"});
  EXPECT_EQ(ignored.exit_code, 0) << ignored.err;
  const auto spans = take_spans(spans_file);
  ASSERT_EQ(spans.size(), 2u);
  EXPECT_EQ(spans[1].kind, kInternal);
  EXPECT_EQ(spans[0].parent, spans[1].span_id);
}

// curl's -i, -v, -d @file, -d @- and --data-binary; --spans-out - after a body with no newline.
TEST(CliFetch, CurlsIncludeVerboseAndDataFromAFileOrStdin) {
  Recorder recorder;
  const auto included = run_command({kCli, "fetch", "-i", recorder.url("/head")}, kEnv);
  ASSERT_EQ(included.exit_code, 0) << included.err;
  EXPECT_TRUE(included.out.starts_with("HTTP/1.1 200 OK\r\n")) << included.out;
  EXPECT_NE(included.out.find("\r\nContent-Type: text/plain; charset=utf-8\r\n"), std::string::npos) << included.out;
  EXPECT_TRUE(included.out.ends_with("\r\n\r\nrecorded /head")) << included.out;

  const auto verbose = run_command({kCli, "fetch", "-v", "-H", "X-Custom: yes", recorder.url("/moved")}, kEnv);
  ASSERT_EQ(verbose.exit_code, 0) << verbose.err;
  EXPECT_EQ(verbose.out, "recorded /landed");
  const auto& err = verbose.err;
  ASSERT_TRUE(err.starts_with("* trace ")) << err;
  const std::string trace_id = err.substr(8, 32);
  EXPECT_NE(err.find("> GET /moved HTTP/1.1\n> Host: 127.0.0.1:"), std::string::npos) << err;
  EXPECT_NE(err.find("> X-Custom: yes\n"), std::string::npos) << err;
  EXPECT_NE(err.find("> traceparent: 00-" + trace_id + "-"), std::string::npos) << err;  // as sent: injected
  EXPECT_NE(err.find("< HTTP/1.1 302 Found\n"), std::string::npos) << err;
  EXPECT_NE(err.find("< Location: /landed\n"), std::string::npos) << err;
  EXPECT_NE(err.find("> GET /landed HTTP/1.1\n"), std::string::npos) << err;
  EXPECT_NE(err.find("< HTTP/1.1 200 OK\n"), std::string::npos) << err;
  EXPECT_EQ(recorder.recorded().back().traceparent.substr(3, 32), trace_id);

  const auto file = temp_path("body.txt");
  std::ofstream(file) << "line one\r\nline two\n";
  const auto spans_file = "-";
  EXPECT_EQ(run_command({kCli, "fetch", "-d", "@" + file, recorder.url("/d")}, kEnv).exit_code, 0);
  EXPECT_EQ(recorder.recorded().back().body, "line oneline two");  // curl -d drops CR and LF
  EXPECT_EQ(run_command({kCli, "fetch", "--data-binary", "@" + file, recorder.url("/bin")}, kEnv).exit_code, 0);
  EXPECT_EQ(recorder.recorded().back().body, "line one\r\nline two\n");
  const auto piped = run_command({kCli, "fetch", "--data-binary", "@-", "--spans-out", spans_file, recorder.url("/in")},
                                 kEnv, 60s, "from\nstdin");
  ASSERT_EQ(piped.exit_code, 0) << piped.err;
  EXPECT_EQ(recorder.recorded().back().method, "POST");
  EXPECT_EQ(recorder.recorded().back().body, "from\nstdin");
  ASSERT_TRUE(piped.out.starts_with("recorded /in\n{\"resourceSpans\"")) << piped.out;  // spans on a line of their own
  std::remove(file.c_str());
  const auto missing = run_command({kCli, "fetch", "-d", "@/nonexistent/file", recorder.url("/x")}, kEnv);
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_EQ(missing.err, "tracehop: cannot read '/nonexistent/file' for -d (see tracehop --help)\n");
}

// A URL that does not parse is bad usage (exit 2) with a reason in plain words; so is an unknown
// command.
TEST(CliFetch, AnInvalidUrlOrCommandIsBadUsageWithAPlainReason) {
  const std::pair<std::string, std::string> cases[] = {
      {"example.com", "no scheme (expected http:// or https://)"},
      {"http://a b/", "' ' at offset 8 is not allowed in a URL (percent-encode it as %20)"},
      {"ftp://h/", "scheme 'ftp' is not http or https"},
  };
  for (const auto& [url, why] : cases) {
    const auto r = run_command({kCli, "fetch", url}, kEnv);
    EXPECT_EQ(r.exit_code, 2) << url;
    EXPECT_EQ(r.err, "tracehop: invalid URL '" + url + "': " + why + " (see tracehop --help)\n");
  }
  const auto unknown = run_command({kCli, "fecth", "http://127.0.0.1:1/"}, kEnv);
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_EQ(unknown.err, "tracehop: unknown command 'fecth' (commands: demo, fetch, serve, bench; see tracehop --help)\n");
  const auto help = run_command({kCli, "fetch", "--help"}, kEnv);
  EXPECT_EQ(help.exit_code, 0);
  for (const char* documented : {"Exit codes:", "Redirects are followed", "64 MiB", "append", "TRACEPARENT"})
    EXPECT_NE(help.out.find(documented), std::string::npos) << documented;
}

TEST(CliFetch, ExportsOverOtlpOnlyWhenAnExporterOrAnEndpointIsSet) {
  Recorder recorder;
  // Neither set (nor inherited: empty is unset): no exporter, so no attempt at localhost:4318,
  // whose refusal was waited for and logged at exit.
  std::vector<std::string> env = {"OTEL_TRACES_EXPORTER=", "OTEL_EXPORTER_OTLP_ENDPOINT=",
                                  "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=", "OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf",
                                  "OTEL_EXPORTER_OTLP_TIMEOUT=2000"};
  auto quiet = run_command({kCli, "fetch", recorder.url("/plain")}, env);
  ASSERT_EQ(quiet.exit_code, 0) << quiet.err;
  EXPECT_EQ(quiet.err.find("otlp"), std::string::npos) << quiet.err;
  // An endpoint alone: the specification's default exporter, OTLP, to it.
  env[2] = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=" + recorder.url("/traces");
  auto exported = run_command({kCli, "fetch", recorder.url("/traced")}, env);
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  const auto calls = recorder.recorded();
  ASSERT_EQ(calls.size(), 3u);
  EXPECT_EQ(calls[0].path, "/plain");
  EXPECT_EQ(calls[1].path, "/traced");
  EXPECT_EQ(calls[2].path, "/traces");  // the CLIENT span of /traced, exported at exit
  EXPECT_EQ(calls[2].method, "POST");
}

TEST(CliFetch, TheOpenTelemetryEnvironmentConfiguresIt) {
  Recorder recorder;
  const auto spans_file = temp_path("env.jsonl");
  const std::string trace_id = kTraceId;
  auto r = run_command({kCli, "fetch", "--spans-out", spans_file, "--traceparent",
                        "00-" + trace_id + "-b7ad6b7169203331-01", recorder.url("/env")},
                       {"OTEL_TRACES_EXPORTER=none", "OTEL_SERVICE_NAME=from-env", "OTEL_PROPAGATORS=b3multi",
                        "OTEL_SEMCONV_STABILITY_OPT_IN=http"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto spans = read_spans(spans_file);
  std::remove(spans_file.c_str());
  ASSERT_EQ(spans.size(), 1u);
  EXPECT_EQ(spans[0].service, "from-env");
  EXPECT_TRUE(spans[0].attributes.contains("url.full"));    // the stable names
  EXPECT_FALSE(spans[0].attributes.contains("http.url"));
  auto calls = recorder.recorded();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].traceparent, "");  // B3 multi header instead of W3C
  EXPECT_EQ(calls[0].b3_trace_id, trace_id);

  // OTEL_SDK_DISABLED: no span is recorded, but the caller's context still goes downstream.
  r = run_command({kCli, "fetch", "--spans-out", spans_file, "--traceparent",
                   "00-" + trace_id + "-b7ad6b7169203331-01", recorder.url("/disabled")},
                  {"OTEL_SDK_DISABLED=true"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(read_spans(spans_file).empty());
  std::remove(spans_file.c_str());
  calls = recorder.recorded();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[1].traceparent, "00-" + trace_id + "-b7ad6b7169203331-01");
}

TEST(CliFetch, NoContentAnswersPrintNothingAndExit0) {
  Serve serve("no-content");
  for (const char* code : {"204", "304", "205"}) {
    const auto r = run_command({kCli, "fetch", serve.url() + "/status/" + code}, kEnv);
    EXPECT_EQ(r.exit_code, 0) << code << ": " << r.err;
    EXPECT_EQ(r.out, "") << code;
    EXPECT_EQ(r.err, "") << code;
  }
  EXPECT_EQ(serve.stop(), 0);
}
