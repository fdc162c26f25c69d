#pragma once
// A collection with every kind of metric point the SDK makes (an int monotonic cumulative sum,
// a double gauge, a delta histogram with min, max and an exemplar whose filtered attributes a
// view left out), and the check of its decoded OTLP request, field by field: what every OTLP
// metrics encoding test compares against the official definitions' decoding.

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "tracehop/metrics.hpp"

namespace tracehop::test {

inline const trace::TraceId kExemplarTrace = *trace::TraceId::from_hex("0af7651916cd43dd8448eb211c80319c");
inline const trace::SpanId kExemplarSpan = *trace::SpanId::from_hex("b7ad6b7169203331");

inline metrics::ResourceMetrics full_metrics() {
  auto reader = std::make_shared<metrics::MetricReader>(metrics::delta_temporality);
  metrics::MeterProvider provider(metrics::MeterProviderOptions{
      .resource = trace::Resource(trace::Attributes{{"service.name", "shop"}}),
      .readers = {reader},
      .views = {metrics::View{.selector = {.name = "http.client.request.duration"},
                              .attribute_keys = std::vector<std::string>{"http.request.method"}}},
      .exemplar_filter = metrics::ExemplarFilter::TraceBased});
  auto meter = provider.get_meter("tracehop.test", "1.2.3");
  meter.create_counter("requests", {.unit = "{request}", .description = "Requests."}).add(7, {{"code", 200}});
  meter.create_gauge("temperature", {.unit = "Cel"}).record(21.5, {{"room", "a"}, {"on", true}});
  auto h = meter.create_histogram("http.client.request.duration", {.unit = "s", .bucket_boundaries = {0.1, 1}});
  const trace::SpanContext span(kExemplarTrace, kExemplarSpan, trace::TraceFlags(1), false);
  const metrics::Attribute attrs[] = {{"http.request.method", "GET"}, {"server.address", "example.com"}};
  h.record(0.05, attrs, span);
  h.record(2.5, {{"http.request.method", "GET"}});
  return *reader->collect();
}

/// `request`: the decoded ExportMetricsServiceRequest of full_metrics().
inline void expect_full_metrics(const boost::json::value& request) {
  namespace json = boost::json;
  const auto& rm = request.at("resourceMetrics").as_array().at(0);
  EXPECT_EQ(rm.at("resource").at("attributes").at(0).at("key"), "service.name");
  const auto& sm = rm.at("scopeMetrics").as_array().at(0);
  EXPECT_EQ(sm.at("scope").at("name"), "tracehop.test");
  EXPECT_EQ(sm.at("scope").at("version"), "1.2.3");
  const auto& metrics = sm.at("metrics").as_array();
  ASSERT_EQ(metrics.size(), 3u);

  const auto& sum = metrics.at(0);
  EXPECT_EQ(sum.at("name"), "requests");
  EXPECT_EQ(sum.at("unit"), "{request}");
  EXPECT_EQ(sum.at("description"), "Requests.");
  EXPECT_EQ(sum.at("sum").at("aggregationTemporality"), 1);  // delta
  EXPECT_EQ(sum.at("sum").at("isMonotonic"), true);
  const auto& sp = sum.at("sum").at("dataPoints").at(0);
  EXPECT_EQ(sp.at("asInt"), "7");
  EXPECT_EQ(sp.at("attributes").at(0).at("value").at("intValue"), "200");
  EXPECT_NE(sp.at("startTimeUnixNano"), "0");
  EXPECT_NE(sp.at("timeUnixNano"), "0");

  const auto& gauge = metrics.at(1);
  EXPECT_EQ(gauge.at("name"), "temperature");
  const auto& gp = gauge.at("gauge").at("dataPoints").at(0);
  EXPECT_EQ(gp.at("asDouble"), 21.5);
  EXPECT_EQ(gp.at("attributes").at(1).at("value").at("boolValue"), true);

  const auto& hist = metrics.at(2);
  EXPECT_EQ(hist.at("histogram").at("aggregationTemporality"), 1);
  const auto& hp = hist.at("histogram").at("dataPoints").at(0);
  EXPECT_EQ(hp.at("attributes").as_array().size(), 1u) << "the view kept one key";
  EXPECT_EQ(hp.at("count"), "2");
  EXPECT_EQ(hp.at("sum"), 2.55);
  EXPECT_EQ(hp.at("min"), 0.05);
  EXPECT_EQ(hp.at("max"), 2.5);
  const auto& bounds = hp.at("explicitBounds").as_array();
  ASSERT_EQ(bounds.size(), 2u);
  EXPECT_EQ(bounds[0].to_number<double>(), 0.1);
  EXPECT_EQ(bounds[1].to_number<double>(), 1.0);
  EXPECT_EQ(hp.at("bucketCounts"), (json::array{"1", "0", "1"}));
  const auto& exemplars = hp.at("exemplars").as_array();
  ASSERT_EQ(exemplars.size(), 1u) << "the measurement without a sampled span has none";
  EXPECT_EQ(exemplars.at(0).at("traceId").as_string(), kExemplarTrace.to_hex());
  EXPECT_EQ(exemplars.at(0).at("spanId").as_string(), kExemplarSpan.to_hex());
  EXPECT_EQ(exemplars.at(0).at("asDouble"), 0.05);
  EXPECT_EQ(exemplars.at(0).at("filteredAttributes").at(0).at("key"), "server.address");
}

}  // namespace tracehop::test
