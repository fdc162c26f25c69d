// The OTLP exporters against a receiver built from the official OpenTelemetry JS packages
// (tests/interop/otlp_receiver.js): every field over gRPC, HTTP/protobuf and HTTP/JSON, gzip,
// headers, retries on 503 / UNAVAILABLE, Retry-After, a non-retryable refusal, a stalled
// receiver and the timeout, partial success, a receiver that is down and then comes back, and
// OTEL_TRACES_EXPORTER=otlp through configure_from_env().
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <future>
#include <set>
#include <thread>

#include "otlp_receiver.hpp"
#include "otlp_spans.hpp"
#include "process.hpp"
#include "test_util.hpp"
#include "tls_server.hpp"
#include "tracehop_cli.hpp"
#include "tracehop/instrument/client.hpp"
#include "tracehop/otlp/exporter.hpp"
#include "tracehop/configure.hpp"
#include "tracehop/trace/span_processor.hpp"

using namespace tracehop;
using namespace std::chrono_literals;
using otlp::Compression;
using otlp::Protocol;
using test::ChildProcess;
using test::options_for;
using test::Receiver;
namespace json = boost::json;

namespace {

std::vector<trace::SpanDataPtr> two_spans() {
  const auto full = test::full_span();
  return {full, test::bare_span(full)};
}

struct Case {
  Protocol protocol;
  Compression compression;
  const char* name;
};

class OtlpExport : public ::testing::TestWithParam<Case> {
 protected:
  void SetUp() override { test::require_js_packages(); }
};

void PrintTo(const Case& c, std::ostream* out) { *out << c.name; }

}  // namespace

TEST_P(OtlpExport, EveryFieldAndTheHeadersArrive) {
  Receiver receiver;
  auto o = options_for(receiver, GetParam().protocol);
  o.compression = GetParam().compression;
  o.headers = {{"X-Tenant", "acme"}, {"authorization", "Bearer t0ken"}};
  auto exporter = otlp::make_exporter(o);
  const auto spans = two_spans();
  ASSERT_EQ(exporter->export_spans(spans), trace::ExportResult::Success);
  const auto got = receiver.next();
  ASSERT_TRUE(got.is_object());
  test::expect_full_request(got.at("request"));
  EXPECT_EQ(got.at("headers").at("x-tenant"), "acme");
  EXPECT_EQ(got.at("headers").at("authorization"), "Bearer t0ken");
  // (grpc-js decompresses a gRPC message before the handler sees it: there the check is that
  // a gzip-compressed message was accepted and decoded.)
  if (GetParam().protocol != Protocol::Grpc) {
    EXPECT_EQ(got.at("encoding"), GetParam().compression == Compression::Gzip ? "gzip" : "");
  }
  const std::string content_type(got.at("contentType").as_string());
  const char* expected_type = GetParam().protocol == Protocol::HttpJson       ? "application/json"
                              : GetParam().protocol == Protocol::HttpProtobuf ? "application/x-protobuf"
                                                                              : "application/grpc";
  EXPECT_EQ(content_type, expected_type);
  EXPECT_EQ(exporter->stats().exported, 2u);
  EXPECT_EQ(exporter->stats().failed, 0u);
  EXPECT_TRUE(exporter->shutdown(1s));
  EXPECT_EQ(exporter->export_spans(spans), trace::ExportResult::Failure);  // after shutdown
}

TEST_P(OtlpExport, RetriesATemporaryFailure) {
  Receiver receiver({"FAIL_FIRST=2"});
  auto exporter = otlp::make_exporter(options_for(receiver, GetParam().protocol));
  ASSERT_EQ(exporter->export_spans(two_spans()), trace::ExportResult::Success);
  const auto got = receiver.next();
  ASSERT_TRUE(got.is_object());
  test::expect_full_request(got.at("request"));  // the third attempt's body is the whole request
  const auto s = exporter->stats();
  EXPECT_EQ(s.requests, 3u);
  EXPECT_EQ(s.retries, 2u);
  EXPECT_EQ(s.exported, 2u);
}

TEST_P(OtlpExport, AStalledReceiverCostsNoMoreThanTheTimeout) {
  Receiver receiver({"STALL_MS=3000"});
  auto o = options_for(receiver, GetParam().protocol);
  o.timeout = 300ms;
  auto exporter = otlp::make_exporter(o);
  test::LogCapture logs;
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(exporter->export_spans(two_spans()), trace::ExportResult::Failure);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2500ms);  // bounded by the timeout, not the stall
  EXPECT_EQ(exporter->stats().failed, 2u);
  EXPECT_TRUE(logs.contains("2 spans not delivered"));
}

TEST_P(OtlpExport, TheBatchProcessorKeepsSeveralRequestsInFlight) {
  // The receiver holds every request until four wait at once: with the default options the
  // processor's four batches are all on their way before the first answer (one at a time, each
  // would wait out the receiver's 3 s and arrive alone).
  Receiver receiver({"HOLD=4"});
  auto o = options_for(receiver, GetParam().protocol);
  ASSERT_EQ(o.max_concurrent_requests, 4u);
  o.compression = GetParam().compression;
  trace::BatchSpanProcessor batch(otlp::make_exporter(o), {.schedule_delay = 1h, .max_export_batch_size = 2});
  const auto spans = two_spans();
  for (int i = 0; i < 4; ++i)
    for (const auto& span : spans) batch.on_end(span);
  ASSERT_TRUE(batch.force_flush(10s));
  for (int i = 0; i < 4; ++i) {
    const auto got = receiver.next();
    ASSERT_TRUE(got.is_object());
    EXPECT_EQ(got.at("held"), 4) << "request " << i << " was answered with " << got.at("held") << " in flight";
  }
  EXPECT_EQ(batch.stats().exported, 8u);
  batch.shutdown();
}

TEST_P(OtlpExport, ShutdownCutsARetryPauseShortForOneLastAttempt) {
  Receiver receiver({"FAIL_FIRST=1000"});  // never takes anything
  auto o = options_for(receiver, GetParam().protocol);
  o.timeout = 30s;
  o.initial_backoff = 5s;  // with jitter: at least 2.5 s
  o.max_backoff = 5s;
  auto exporter = otlp::make_exporter(o);
  std::promise<trace::ExportResult> result;
  exporter->export_spans_async(two_spans(), [&result](trace::ExportResult r) { result.set_value(r); });
  for (int i = 0; i < 500 && exporter->stats().retries == 0; ++i) std::this_thread::sleep_for(10ms);
  ASSERT_EQ(exporter->stats().retries, 1u);  // refused once, now waiting to try again
  const auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(exporter->shutdown(10s));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);  // not the pause
  EXPECT_EQ(result.get_future().get(), trace::ExportResult::Failure);
  const auto s = exporter->stats();
  EXPECT_EQ(s.requests, 2u);  // the first, and one last attempt at shutdown
  EXPECT_EQ(s.failed, 2u);
}

TEST_P(OtlpExport, PartialSuccessIsCountedAndLogged) {
  Receiver receiver({"REJECT=1"});
  auto exporter = otlp::make_exporter(options_for(receiver, GetParam().protocol));
  test::LogCapture logs;
  ASSERT_EQ(exporter->export_spans(two_spans()), trace::ExportResult::Success);
  EXPECT_EQ(exporter->stats().rejected, 1u);
  EXPECT_EQ(exporter->stats().exported, 1u);
  EXPECT_TRUE(logs.contains("some spans were refused"));
}

TEST_P(OtlpExport, ADownReceiverDropsCountedSpansAndRecoveryDeliversAgain) {
  const auto port = test::free_port();
  otlp::ExporterOptions o;
  o.protocol = GetParam().protocol;
  o.endpoint = GetParam().protocol == Protocol::Grpc ? "http://127.0.0.1:" + std::to_string(port)
                                                     : "http://127.0.0.1:" + std::to_string(port) + "/v1/traces";
  o.timeout = 300ms;
  o.initial_backoff = 20ms;
  auto exporter = otlp::make_exporter(o);
  test::LogCapture logs;
  EXPECT_EQ(exporter->export_spans(two_spans()), trace::ExportResult::Failure);
  EXPECT_EQ(exporter->export_spans(two_spans()), trace::ExportResult::Failure);
  EXPECT_EQ(exporter->stats().failed, 4u);
  EXPECT_GE(exporter->stats().retries, 1u);

  Receiver receiver({GetParam().protocol == Protocol::Grpc ? "GRPC_PORT=" + std::to_string(port)
                                                           : "HTTP_PORT=" + std::to_string(port)});
  // (gRPC's channel reconnects with its own backoff, at most a second here: give it the time.)
  bool delivered = false;
  for (int i = 0; i < 30 && !delivered; ++i) delivered = exporter->export_spans(two_spans()) == trace::ExportResult::Success;
  EXPECT_TRUE(delivered);
  EXPECT_TRUE(receiver.next().is_object());
}

INSTANTIATE_TEST_SUITE_P(Protocols, OtlpExport,
                         ::testing::Values(Case{Protocol::Grpc, Compression::None, "grpc"},
                                           Case{Protocol::Grpc, Compression::Gzip, "grpc_gzip"},
                                           Case{Protocol::HttpProtobuf, Compression::None, "http_protobuf"},
                                           Case{Protocol::HttpProtobuf, Compression::Gzip, "http_protobuf_gzip"},
                                           Case{Protocol::HttpJson, Compression::None, "http_json"},
                                           Case{Protocol::HttpJson, Compression::Gzip, "http_json_gzip"}),
                         [](const auto& param) { return std::string(param.param.name); });

TEST(OtlpHttp, RetryAfterIsHonouredAndANonRetryableStatusIsNotRetried) {
  test::require_js_packages();
  {
    Receiver receiver({"FAIL_FIRST=1", "FAIL_STATUS=429", "RETRY_AFTER=0"});
    auto o = options_for(receiver, Protocol::HttpProtobuf);
    o.initial_backoff = 10s;  // the Retry-After of 0 must win over this
    auto exporter = otlp::make_exporter(o);
    ASSERT_EQ(exporter->export_spans(two_spans()), trace::ExportResult::Success);
    EXPECT_EQ(exporter->stats().retries, 1u);
  }
  Receiver receiver({"FAIL_FIRST=1", "FAIL_STATUS=400"});
  auto exporter = otlp::make_exporter(options_for(receiver, Protocol::HttpProtobuf));
  test::LogCapture logs;
  EXPECT_EQ(exporter->export_spans(two_spans()), trace::ExportResult::Failure);
  EXPECT_EQ(exporter->stats().requests, 1u);
  EXPECT_EQ(exporter->stats().failed, 2u);
  EXPECT_TRUE(logs.contains("HTTP 400 scripted failure"));
}

TEST(OtlpConfigure, TracesExporterOtlpSendsThroughTheBatchProcessor) {
  test::require_js_packages();
  Receiver receiver;
  test::ScopedEnv a("OTEL_TRACES_EXPORTER", "otlp");
  test::ScopedEnv b("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json");
  // The generic endpoint is a base URL: /v1/traces is appended.
  const auto traces_url = receiver.endpoint(Protocol::HttpJson);
  test::ScopedEnv c("OTEL_EXPORTER_OTLP_ENDPOINT", traces_url.substr(0, traces_url.size() - std::string("/v1/traces").size()));
  test::ScopedEnv d("OTEL_EXPORTER_OTLP_HEADERS", "x-api-key=s%20cret, bad-entry");
  test::ScopedEnv e("OTEL_SERVICE_NAME", "configured");
  test::ScopedEnv f("OTEL_SDK_DISABLED", std::nullopt);
  auto provider = configure_from_env();
  ASSERT_TRUE(provider);
  trace::get_tracer("t")->start_span("sent-by-configure").end();
  trace::shutdown();
  trace::set_tracer_provider(nullptr);
  const auto got = receiver.next();
  ASSERT_TRUE(got.is_object());
  EXPECT_EQ(got.at("headers").at("x-api-key"), "s cret");
  const auto& rs = got.at("request").at("resourceSpans").at(0);
  EXPECT_EQ(rs.at("scopeSpans").at(0).at("spans").at(0).at("name"), "sent-by-configure");
}

// A stalled collector behind the batch processor: span.end() never waits for it, the queue
// stays bounded (the overflow is dropped and counted), and shutdown is bounded by the timeouts.
TEST(OtlpBatch, AStalledCollectorNeverBlocksTheApplication) {
  test::require_js_packages();
  Receiver receiver({"STALL_MS=5000"});
  auto o = options_for(receiver, Protocol::HttpProtobuf);
  o.timeout = 300ms;
  trace::BatchSpanProcessorOptions bo;
  bo.max_queue_size = 256;
  bo.max_export_batch_size = 64;
  bo.schedule_delay = 10ms;
  bo.export_timeout = 1s;
  auto batch = std::make_shared<trace::BatchSpanProcessor>(otlp::make_exporter(o), bo);
  auto provider = std::make_shared<trace::TracerProvider>();
  provider->add_span_processor(batch);
  auto tracer = provider->get_tracer("stalled");
  test::LogCapture logs;

  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 5000; ++i) tracer->start_span("work").end();
  // Each export of the stalled receiver takes its 300 ms timeout: had end() waited for them,
  // 5000 spans in batches of 64 would take 20 s and more.
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
  const auto stats = batch->stats();
  EXPECT_GT(stats.dropped_queue_full, 0u);
  EXPECT_LE(stats.queued, 5000u);

  const auto stopping = std::chrono::steady_clock::now();
  provider->shutdown(2s);
  EXPECT_LT(std::chrono::steady_clock::now() - stopping, 4s);  // bounded, whatever was queued
  const auto after = batch->stats();
  EXPECT_EQ(after.exported, 0u);
  EXPECT_EQ(after.queued + after.dropped_queue_full, 5000u);  // every span accounted for
  EXPECT_TRUE(logs.contains("spans not delivered"));
}

// TLS with the CA given by OTEL_EXPORTER_OTLP_CERTIFICATE (here: the receiver's self-signed
// certificate); without it the system's store does not know the receiver and nothing is sent.
TEST(OtlpTls, TheGivenCertificateVerifiesTheReceiver) {
  test::require_js_packages();
  test::TestCertificate cert("DNS:localhost,IP:127.0.0.1");
  Receiver receiver({"TLS_CERT=" + cert.cert.string(), "TLS_KEY=" + cert.key.string()});
  for (const auto protocol : {Protocol::Grpc, Protocol::HttpProtobuf}) {
    SCOPED_TRACE(protocol == Protocol::Grpc ? "grpc" : "http/protobuf");
    ASSERT_TRUE(receiver.endpoint(protocol).starts_with("https://"));
    test::ScopedEnv a("OTEL_EXPORTER_OTLP_PROTOCOL", protocol == Protocol::Grpc ? "grpc" : "http/protobuf");
    test::ScopedEnv b("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", receiver.endpoint(protocol));
    test::ScopedEnv c("OTEL_EXPORTER_OTLP_CERTIFICATE", cert.cert.string());
    test::ScopedEnv d("OTEL_EXPORTER_OTLP_TIMEOUT", "2000");
    auto exporter = otlp::make_exporter(otlp::ExporterOptions::from_env());
    ASSERT_EQ(exporter->export_spans(two_spans()), trace::ExportResult::Success);
    EXPECT_TRUE(receiver.next().is_object());

    test::ScopedEnv e("OTEL_EXPORTER_OTLP_CERTIFICATE", std::nullopt);
    test::ScopedEnv f("OTEL_EXPORTER_OTLP_TIMEOUT", "500");
    test::LogCapture logs;
    auto untrusting = otlp::make_exporter(otlp::ExporterOptions::from_env());
    EXPECT_EQ(untrusting->export_spans(two_spans()), trace::ExportResult::Failure);
    EXPECT_EQ(untrusting->stats().failed, 2u);
  }
}

// RESOURCE_EXHAUSTED is retried only when the server says when (google.rpc.RetryInfo in the
// status details), and then after the delay it asks for; other refusals are not retried.
TEST(OtlpGrpc, ResourceExhaustedIsRetriedOnlyWithRetryInfo) {
  test::require_js_packages();
  {
    Receiver receiver({"FAIL_FIRST=1", "FAIL_GRPC_CODE=RESOURCE_EXHAUSTED", "RETRY_DELAY_MS=300"});
    auto o = options_for(receiver, Protocol::Grpc);
    o.initial_backoff = 1ms;  // the server's 300 ms must win over this
    auto exporter = otlp::make_exporter(o);
    const auto start = std::chrono::steady_clock::now();
    ASSERT_EQ(exporter->export_spans(two_spans()), trace::ExportResult::Success);
    EXPECT_GE(std::chrono::steady_clock::now() - start, 300ms);
    EXPECT_EQ(exporter->stats().retries, 1u);
  }
  for (const char* code : {"RESOURCE_EXHAUSTED", "INVALID_ARGUMENT", "PERMISSION_DENIED"}) {
    SCOPED_TRACE(code);
    Receiver receiver({"FAIL_FIRST=1", std::string("FAIL_GRPC_CODE=") + code});
    auto exporter = otlp::make_exporter(options_for(receiver, Protocol::Grpc));
    test::LogCapture logs;
    EXPECT_EQ(exporter->export_spans(two_spans()), trace::ExportResult::Failure);
    EXPECT_EQ(exporter->stats().requests, 1u);
    EXPECT_EQ(exporter->stats().failed, 2u);
    EXPECT_TRUE(logs.contains("scripted failure"));
  }
}

// `tracehop demo --exporter otlp` delivers the demo's three services' spans to the receiver.
TEST(OtlpCli, DemoExportsEveryServiceOverOtlp) {
  test::require_js_packages();
  Receiver receiver;
  auto r = test::run_command({test::kCli, "demo", "--exporter", "otlp"},
                             {"OTEL_EXPORTER_OTLP_PROTOCOL=grpc", "OTEL_EXPORTER_OTLP_ENDPOINT=" + receiver.endpoint(Protocol::Grpc)});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::set<std::string> services, measured;
  std::size_t spans = 0;
  auto service_of = [](const json::value& resource) {
    for (const auto& a : resource.at("attributes").as_array())
      if (a.at("key") == "service.name") return std::string(a.at("value").at("stringValue").as_string());
    return std::string();
  };
  for (json::value got; (got = receiver.next(2s)).is_object();) {
    if (got.as_object().contains("signal")) {  // each service's metrics, at its exit
      for (const auto& rm : got.at("request").at("resourceMetrics").as_array()) measured.insert(service_of(rm.at("resource")));
      continue;
    }
    for (const auto& rs : got.at("request").at("resourceSpans").as_array()) {
      services.insert(service_of(rs.at("resource")));
      for (const auto& ss : rs.at("scopeSpans").as_array()) spans += ss.at("spans").as_array().size();
    }
  }
  EXPECT_EQ(services, (std::set<std::string>{"checkout-gateway", "inventory", "pricing"}));
  EXPECT_EQ(spans, 26u);  // every span of the three traces the demo prints
  EXPECT_EQ(measured, services) << "the OTLP endpoint gets every service's metrics too";
}

// The HTTP exporter's own requests are not traced, even with the client instrumented and a
// span current, and carry no one's trace context.
TEST(OtlpHttp, TheExporterNeverTracesItself) {
  test::require_js_packages();
  Receiver receiver;
  test::MemoryProvider memory;
  trace::set_tracer_provider(memory.provider);
  instrument::HttpClientInstrumentor{}.instrument();
  auto exporter = otlp::make_exporter(options_for(receiver, Protocol::HttpProtobuf));
  {
    auto busy = memory.tracer->start_as_current_span("application-work");
    ASSERT_EQ(exporter->export_spans(two_spans()), trace::ExportResult::Success);
  }
  instrument::HttpClientInstrumentor{}.uninstrument();
  trace::set_tracer_provider(nullptr);
  const auto got = receiver.next();
  ASSERT_TRUE(got.is_object());
  EXPECT_FALSE(got.at("headers").as_object().contains("traceparent"));
  const auto spans = memory.spans();
  ASSERT_EQ(spans.size(), 1u);  // the application's span only: no CLIENT span for the export
  EXPECT_EQ(spans[0]->name, "application-work");
}

// gRPC to host:port without a scheme is TLS unless OTEL_EXPORTER_OTLP_INSECURE says otherwise.
TEST(OtlpGrpc, InsecureMakesASchemelessEndpointPlaintext) {
  test::require_js_packages();
  Receiver receiver;
  const std::string host_port = receiver.endpoint(Protocol::Grpc).substr(std::string("http://").size());
  test::ScopedEnv a("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc");
  test::ScopedEnv b("OTEL_EXPORTER_OTLP_ENDPOINT", host_port);
  test::ScopedEnv c("OTEL_EXPORTER_OTLP_TIMEOUT", "500");
  auto tls = otlp::make_exporter(otlp::ExporterOptions::from_env());
  EXPECT_EQ(tls->export_spans(two_spans()), trace::ExportResult::Failure);  // a TLS handshake with a plaintext server
  test::ScopedEnv d("OTEL_EXPORTER_OTLP_INSECURE", "true");
  test::ScopedEnv e("OTEL_EXPORTER_OTLP_TIMEOUT", "5000");
  auto plain = otlp::make_exporter(otlp::ExporterOptions::from_env());
  EXPECT_EQ(plain->export_spans(two_spans()), trace::ExportResult::Success);
  EXPECT_TRUE(receiver.next().is_object());
}
