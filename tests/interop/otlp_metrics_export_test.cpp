// The OTLP metrics exporters against the receiver built from the official OpenTelemetry JS
// packages (MetricsService over gRPC, /v1/metrics over HTTP with protobuf and JSON): every field,
// a retried failure, a partial success, a collector that is down (counted in data points, logged,
// bounded by the timeout), and OTEL_METRICS_EXPORTER=otlp with its own endpoint variable.
#include <gtest/gtest.h>

#include "otlp_metrics.hpp"
#include "otlp_receiver.hpp"
#include "test_util.hpp"
#include "tracehop/configure.hpp"

using namespace tracehop;
using namespace std::chrono_literals;
using otlp::Protocol;
using test::Receiver;

namespace {

otlp::ExporterOptions metrics_options(const Receiver& r, Protocol protocol) {
  auto o = test::options_for(r, protocol);
  o.signal = otlp::Signal::Metrics;
  o.endpoint = r.metrics_endpoint(protocol);
  return o;
}

// Options for a collector that is down: nothing listens on the port.
otlp::ExporterOptions down_collector(Protocol protocol, std::chrono::milliseconds timeout) {
  otlp::ExporterOptions o;
  o.signal = otlp::Signal::Metrics;
  o.protocol = protocol;
  const auto port = std::to_string(test::free_port());
  o.endpoint = protocol == Protocol::Grpc ? "http://127.0.0.1:" + port : "http://127.0.0.1:" + port + "/v1/metrics";
  o.timeout = timeout;
  o.initial_backoff = 10ms;
  o.max_backoff = 50ms;
  return o;
}

class OtlpMetricsExport : public ::testing::TestWithParam<Protocol> {
 protected:
  void SetUp() override { test::require_js_packages(); }
};

}  // namespace

TEST_P(OtlpMetricsExport, EveryFieldArrivesAtTheMetricsService) {
  Receiver receiver;
  auto o = metrics_options(receiver, GetParam());
  o.headers = {{"X-Tenant", "acme"}};
  auto exporter = otlp::make_metric_exporter(o);
  ASSERT_EQ(exporter->export_metrics(test::full_metrics()), metrics::ExportResult::Success);
  const auto got = receiver.next();
  ASSERT_TRUE(got.is_object());
  EXPECT_EQ(got.at("signal"), "metrics");
  EXPECT_EQ(got.at("headers").at("x-tenant"), "acme");
  test::expect_full_metrics(got.at("request"));
  EXPECT_TRUE(exporter->shutdown(1s));
  EXPECT_EQ(exporter->export_metrics(test::full_metrics()), metrics::ExportResult::Failure);  // after shutdown
}

TEST_P(OtlpMetricsExport, RetriesATemporaryFailureAndLogsAPartialSuccess) {
  Receiver receiver({"FAIL_FIRST=1", "REJECT=2"});
  auto exporter = otlp::make_metric_exporter(metrics_options(receiver, GetParam()));
  test::LogCapture logs;
  ASSERT_EQ(exporter->export_metrics(test::full_metrics()), metrics::ExportResult::Success);
  ASSERT_TRUE(receiver.next().is_object());
  EXPECT_TRUE(logs.contains("rejected 2 data points: some points were refused")) << logs.text();
}

TEST_P(OtlpMetricsExport, ACollectorThatIsDownCostsTheTimeoutAndIsCounted) {
  auto exporter = otlp::make_metric_exporter(down_collector(GetParam(), 300ms));
  test::LogCapture logs;
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(exporter->export_metrics(test::full_metrics()), metrics::ExportResult::Failure);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
  EXPECT_TRUE(logs.contains("3 data points not delivered")) << logs.text();  // a sum, a gauge, a histogram
  EXPECT_TRUE(exporter->shutdown(1s));
}

TEST_P(OtlpMetricsExport, TheLastExportAtShutdownMakesOneAttempt) {
  auto o = down_collector(GetParam(), 10s);  // the default timeout: a retried export would hold the exit that long
  o.initial_backoff = std::chrono::seconds(1);
  auto reader = std::make_shared<metrics::PeriodicExportingMetricReader>(otlp::make_metric_exporter(o),
                                                                         metrics::PeriodicReaderOptions{.interval = 1h});
  metrics::MeterProvider provider(metrics::MeterProviderOptions{.readers = {reader}});
  provider.get_meter("m").create_counter("c").add(1);
  test::LogCapture logs;
  const auto start = std::chrono::steady_clock::now();
  provider.shutdown();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
  EXPECT_TRUE(logs.contains("1 data points not delivered")) << logs.text();
}

INSTANTIATE_TEST_SUITE_P(Protocols, OtlpMetricsExport,
                         ::testing::Values(Protocol::Grpc, Protocol::HttpProtobuf, Protocol::HttpJson),
                         [](const auto& param_info) {
                           const Protocol p = param_info.param;
                           return p == Protocol::Grpc ? "grpc" : p == Protocol::HttpJson ? "http_json" : "http_protobuf";
                         });

TEST(OtlpMetricsExportEnv, TheMetricsEndpointVariableAndTheGenericOnesPath) {
  test::require_js_packages();
  Receiver receiver;
  {
    test::ScopedEnv a("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json");
    test::ScopedEnv b("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.endpoint(Protocol::HttpProtobuf).substr(
                                                         0, receiver.endpoint(Protocol::HttpProtobuf).rfind("/v1/traces")));
    const auto o = otlp::ExporterOptions::from_env(otlp::Signal::Metrics);
    EXPECT_EQ(o.endpoint, receiver.metrics_endpoint(Protocol::HttpJson)) << "the generic endpoint gets /v1/metrics";
  }
  test::ScopedEnv a("OTEL_EXPORTER_OTLP_METRICS_PROTOCOL", "grpc");
  test::ScopedEnv b("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", receiver.endpoint(Protocol::Grpc));
  test::ScopedEnv c("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json");  // the signal's own wins
  auto readers = metric_readers_from_env("otlp");
  ASSERT_EQ(readers.size(), 1u);
  metrics::MeterProvider provider(metrics::MeterProviderOptions{.readers = readers});
  provider.get_meter("env").create_counter("env.counter").add(5);
  ASSERT_TRUE(provider.force_flush(5s));
  const auto got = receiver.next();
  ASSERT_TRUE(got.is_object());
  EXPECT_EQ(got.at("transport"), "grpc");
  EXPECT_NE(boost::json::serialize(got.at("request")).find("env.counter"), std::string::npos);
}
