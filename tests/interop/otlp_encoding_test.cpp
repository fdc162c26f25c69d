// tracehop's OTLP encodings decoded by the official generated protobuf code of
// @opentelemetry/otlp-transformer (tests/interop/otlp_decode.js): the protobuf request the
// exporters send, and the OTLP/JSON lines of --spans-out / OtlpJsonFileExporter. Every field of
// a span: ids, parent, flags, kind, times, attributes of every type, events, links, status,
// dropped counts, resource, scope. And of metrics (--metrics-out): sums, gauges, histograms,
// exemplars.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <fstream>

#include "process.hpp"
#include "tracehop/otlp/encoding.hpp"
#include "tracehop/otlp/json.hpp"
#include "otlp_metrics.hpp"
#include "otlp_spans.hpp"
#include "tracehop_cli.hpp"

using namespace tracehop;
using namespace std::chrono_literals;
using test::bare_span;
using test::expect_full_request;
using test::full_span;
namespace json = boost::json;

namespace {

json::value decode(const std::string& format, const std::string& file) {
  auto r = test::run_command({"node", test::kInteropDir + "/otlp_decode.js", format, file});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return json::parse(r.out);
}

}  // namespace

TEST(OtlpEncoding, ProtobufDecodesWithTheOfficialDefinitions) {
  test::require_js_packages();
  const auto full = full_span();
  const std::vector<trace::SpanDataPtr> spans{full, bare_span(full)};
  const auto file = test::temp_path("request.pb");
  {
    std::ofstream out(file, std::ios::binary);
    out << otlp::to_otlp_protobuf(spans);
  }
  const auto request = decode("protobuf", file);
  std::remove(file.c_str());
  expect_full_request(request);
}

TEST(OtlpEncoding, JsonFileLinesDecodeWithTheOfficialDefinitions) {
  test::require_js_packages();
  const auto full = full_span();
  const std::vector<trace::SpanDataPtr> spans{full, bare_span(full)};
  const auto file = test::temp_path("spans.jsonl");
  {
    otlp::OtlpJsonFileExporter exporter(file);
    ASSERT_EQ(exporter.export_spans(spans), trace::ExportResult::Success);
    exporter.shutdown(1s);
  }
  const auto request = decode("json", file);
  std::remove(file.c_str());
  expect_full_request(request);
}

TEST(OtlpEncoding, MetricsJsonLinesDecodeWithTheOfficialDefinitions) {
  test::require_js_packages();
  const auto file = test::temp_path("metrics.jsonl");
  {
    otlp::OtlpJsonMetricsFileExporter exporter(file);
    ASSERT_EQ(exporter.export_metrics(test::full_metrics()), metrics::ExportResult::Success);
    ASSERT_EQ(exporter.export_metrics(metrics::ResourceMetrics{}), metrics::ExportResult::Success);  // skipped
    exporter.shutdown(1s);
  }
  const auto request = decode("metrics-json", file);
  std::remove(file.c_str());
  test::expect_full_metrics(request);
}

TEST(OtlpEncoding, MetricsProtobufDecodesWithTheOfficialDefinitions) {
  test::require_js_packages();
  const auto file = test::temp_path("metrics.pb");
  {
    std::ofstream out(file, std::ios::binary);
    out << otlp::to_otlp_protobuf(test::full_metrics());
  }
  const auto request = decode("metrics-protobuf", file);
  std::remove(file.c_str());
  test::expect_full_metrics(request);
}

