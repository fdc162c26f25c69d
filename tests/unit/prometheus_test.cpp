// The Prometheus expositions of real collections: names, units, counters, histograms, labels,
// scopes, the resource, OpenMetrics' exemplars; the format a scraper's Accept asks for.

#include <gtest/gtest.h>

#include "tracehop/metrics.hpp"
#include "tracehop/prometheus/exposition.hpp"

namespace tracehop::prometheus {
namespace {

struct Collected {
  explicit Collected(metrics::TemporalitySelector temporality = metrics::cumulative_temporality)
      : reader(std::make_shared<metrics::MetricReader>(temporality)),
        provider(metrics::MeterProviderOptions{.resource = trace::Resource(trace::Attributes{{"service.name", "shop"}}),
                                               .readers = {reader},
                                               .exemplar_filter = metrics::ExemplarFilter::TraceBased}),
        meter(provider.get_meter("my.scope", "1.0")) {}
  std::string text(Format format = Format::Text) { return to_exposition(*reader->collect(), format); }
  std::shared_ptr<metrics::MetricReader> reader;
  metrics::MeterProvider provider;
  metrics::Meter meter;
};

bool has(const std::string& text, std::string_view line) { return text.find(line) != std::string::npos; }

TEST(Prometheus, NamesAreSanitisedAndGetTheirUnitsSuffix) {
  auto name = [](std::string n, std::string unit, metrics::MetricType type = metrics::MetricType::Histogram) {
    metrics::MetricData m;
    m.name = std::move(n);
    m.unit = std::move(unit);
    m.type = type;
    return metric_name(m);
  };
  EXPECT_EQ(name("http.server.request.duration", "s"), "http_server_request_duration_seconds");
  EXPECT_EQ(name("http.client.duration", "ms"), "http_client_duration_milliseconds");
  EXPECT_EQ(name("http.server.active_requests", "{request}"), "http_server_active_requests");
  EXPECT_EQ(name("body.size", "By"), "body_size_bytes");
  EXPECT_EQ(name("speed", "m/s"), "speed_meters_per_second");
  EXPECT_EQ(name("cpu.utilization", "1", metrics::MetricType::Gauge), "cpu_utilization_ratio");
  EXPECT_EQ(name("latency_seconds", "s"), "latency_seconds") << "a suffix that is there is not added twice";
  EXPECT_EQ(name("weird--name!!", ""), "weird_name_");
  EXPECT_EQ(name("2xx", ""), "_2xx");
  EXPECT_EQ(name("ns:metric", ""), "ns:metric");
  EXPECT_EQ(label_name("http.request.method"), "http_request_method");
  EXPECT_EQ(label_name("9lives"), "_9lives");
}

TEST(Prometheus, CountersGaugesAndHistogramsInTheTextFormat) {
  Collected c;
  c.meter.create_counter("http.requests", {.unit = "{request}", .description = "Requests.\nAll of them."})
      .add(5, {{"http.request.method", "GET"}});
  c.meter.create_up_down_counter("active").add(-2);
  c.meter.create_gauge("temperature", {.unit = "Cel"}).record(21.5);
  auto h = c.meter.create_histogram("http.server.request.duration", {.unit = "s", .bucket_boundaries = {0.1, 1}});
  h.record(0.05, {{"http.route", "/items/{sku}"}});
  h.record(0.5, {{"http.route", "/items/{sku}"}});
  h.record(5, {{"http.route", "/items/{sku}"}});
  const auto text = c.text();

  EXPECT_TRUE(has(text, "# HELP target_info Target metadata\n# TYPE target_info gauge\n"));
  EXPECT_TRUE(has(text, "service_name=\"shop\""));
  EXPECT_TRUE(has(text, "# HELP http_requests_total Requests.\\nAll of them.\n# TYPE http_requests_total counter\n"));
  EXPECT_TRUE(has(text, "http_requests_total{http_request_method=\"GET\",otel_scope_name=\"my.scope\",otel_scope_version=\"1.0\"} 5\n"));
  EXPECT_TRUE(has(text, "# TYPE active gauge\nactive{otel_scope_name=\"my.scope\",otel_scope_version=\"1.0\"} -2\n"))
      << "an up-down counter is a gauge";
  EXPECT_TRUE(has(text, "# TYPE temperature_celsius gauge\ntemperature_celsius{"));
  EXPECT_TRUE(has(text, "# TYPE http_server_request_duration_seconds histogram\n"));
  const std::string labels = "http_route=\"/items/{sku}\",otel_scope_name=\"my.scope\",otel_scope_version=\"1.0\"";
  EXPECT_TRUE(has(text, "http_server_request_duration_seconds_bucket{" + labels + ",le=\"0.1\"} 1\n"));
  EXPECT_TRUE(has(text, "http_server_request_duration_seconds_bucket{" + labels + ",le=\"1\"} 2\n"));
  EXPECT_TRUE(has(text, "http_server_request_duration_seconds_bucket{" + labels + ",le=\"+Inf\"} 3\n"));
  EXPECT_TRUE(has(text, "http_server_request_duration_seconds_sum{" + labels + "} 5.55\n"));
  EXPECT_TRUE(has(text, "http_server_request_duration_seconds_count{" + labels + "} 3\n"));
  EXPECT_FALSE(has(text, "# EOF")) << text;
  EXPECT_FALSE(has(text, "trace_id")) << "no exemplars in the text format";
}

TEST(Prometheus, LabelValuesAreEscapedAndCollidingKeysJoined) {
  Collected c;
  c.meter.create_counter("c").add(1, {{"a.b", "x"}, {"a_b", "y"}, {"quote", "say \"hi\"\\\n"}});
  const auto text = c.text();
  EXPECT_TRUE(has(text, "a_b=\"x;y\"")) << text;
  EXPECT_TRUE(has(text, "quote=\"say \\\"hi\\\"\\\\\\n\"")) << text;
}

TEST(Prometheus, OpenMetricsHasUnitsExemplarsAndAnEnd) {
  Collected c;
  auto h = c.meter.create_histogram("http.server.request.duration", {.unit = "s", .bucket_boundaries = {0.1, 1}});
  const trace::SpanContext span(*trace::TraceId::from_hex("0af7651916cd43dd8448eb211c80319c"),
                                *trace::SpanId::from_hex("b7ad6b7169203331"), trace::TraceFlags(1), false);
  h.record(0.5, {}, span);
  c.meter.create_counter("requests").add(1, {}, span);
  const auto text = c.text(Format::OpenMetrics);
  EXPECT_TRUE(has(text, "# TYPE target info\ntarget_info{"));
  EXPECT_TRUE(has(text, "# TYPE http_server_request_duration_seconds histogram\n"
                        "# UNIT http_server_request_duration_seconds seconds\n"));
  EXPECT_TRUE(has(text, "le=\"1\"} 1 # {trace_id=\"0af7651916cd43dd8448eb211c80319c\",span_id=\"b7ad6b7169203331\"} 0.5 "))
      << text;
  EXPECT_TRUE(has(text, "le=\"0.1\"} 0\n")) << "a bucket without one has no exemplar";
  EXPECT_TRUE(has(text, "# TYPE requests counter\nrequests_total{otel_scope_name=\"my.scope\",otel_scope_version=\"1.0\"} 1 # {trace_id="));
  EXPECT_EQ(text.substr(text.size() - 6), "# EOF\n");
}

TEST(Prometheus, DeltaPointsAreLeftOut) {
  Collected c(metrics::delta_temporality);
  c.meter.create_counter("delta.counter").add(1);
  c.meter.create_up_down_counter("cumulative.updown").add(1);
  const auto text = c.text();
  EXPECT_FALSE(has(text, "delta_counter"));
  EXPECT_TRUE(has(text, "cumulative_updown"));
}

TEST(Prometheus, TheScrapersAcceptChoosesTheFormat) {
  // What Prometheus 2.42 sends.
  EXPECT_EQ(negotiate("application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,"
                      "text/plain;version=0.0.4;q=0.5,*/*;q=0.1"),
            Format::OpenMetrics);
  EXPECT_EQ(negotiate("text/plain"), Format::Text);
  EXPECT_EQ(negotiate(""), Format::Text);
  EXPECT_EQ(content_type(Format::Text), "text/plain; version=0.0.4; charset=utf-8");
}

}  // namespace
}  // namespace tracehop::prometheus
