// ExporterOptions::from_env: the OTEL_EXPORTER_OTLP_* variables as the specification reads them.
#include <gtest/gtest.h>

#include "test_util.hpp"
#include "tracehop/otlp/exporter.hpp"

using namespace tracehop;
using namespace std::chrono_literals;
using otlp::Compression;
using otlp::Protocol;

TEST(OtlpOptions, EnvironmentAsTheSpecificationSays) {
  test::ScopedEnv a("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc");
  test::ScopedEnv b("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4317");
  test::ScopedEnv c("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "2500");
  test::ScopedEnv d("OTEL_EXPORTER_OTLP_TIMEOUT", "9000");
  test::ScopedEnv e("OTEL_EXPORTER_OTLP_COMPRESSION", "gzip");
  test::ScopedEnv f("OTEL_EXPORTER_OTLP_INSECURE", "true");
  test::ScopedEnv g("OTEL_EXPORTER_OTLP_CERTIFICATE", "/etc/ca.pem");
  test::ScopedEnv h("OTEL_EXPORTER_OTLP_HEADERS", "a=1,b=x%3Dy");
  auto o = otlp::ExporterOptions::from_env();
  EXPECT_EQ(o.protocol, Protocol::Grpc);
  EXPECT_EQ(o.resolved_endpoint(), "http://collector:4317");  // gRPC: as given
  EXPECT_EQ(o.timeout, 2500ms);                                // the TRACES_ form wins
  EXPECT_EQ(o.compression, Compression::Gzip);
  EXPECT_TRUE(o.insecure);
  EXPECT_EQ(o.certificate, "/etc/ca.pem");
  EXPECT_EQ(o.headers, (std::vector<std::pair<std::string, std::string>>{{"a", "1"}, {"b", "x=y"}}));

  test::ScopedEnv i("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf");
  EXPECT_EQ(otlp::ExporterOptions::from_env().resolved_endpoint(), "http://collector:4317/v1/traces");
  test::ScopedEnv j("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://collector:4318/custom/path");
  EXPECT_EQ(otlp::ExporterOptions::from_env().resolved_endpoint(), "http://collector:4318/custom/path");  // as given
  test::ScopedEnv k("OTEL_EXPORTER_OTLP_ENDPOINT", std::nullopt);
  test::ScopedEnv l("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", std::nullopt);
  EXPECT_EQ(otlp::ExporterOptions::from_env().resolved_endpoint(), "http://localhost:4318/v1/traces");
  test::ScopedEnv m("OTEL_EXPORTER_OTLP_PROTOCOL", "carrier-pigeon");
  test::LogCapture logs;
  EXPECT_EQ(otlp::ExporterOptions::from_env().protocol, Protocol::HttpProtobuf);
  EXPECT_TRUE(logs.contains("carrier-pigeon"));
}
