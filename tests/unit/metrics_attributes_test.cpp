// How a measurement's attributes find their series: a list compared with the series' own copy
// (literals by their address and length, anything else by its characters), and an
// AttributeSet found by its identity.

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "metrics_fixture.hpp"
#include "tracehop/metrics.hpp"

namespace tracehop::metrics {
namespace {

using namespace fixture;

std::int64_t sum_of(const NumberPoint* p) { return p ? std::get<std::int64_t>(p->value) : -1; }

TEST(MetricAttributes, RepeatedKeyKeepsTheLastValue) {
  Fixture f;
  auto c = f.meter.create_counter("c");
  c.add(1, {{"k", 1}, {"k", 2}});
  c.add(1, {{"k", 2}});
  const auto m = f.one("c");
  ASSERT_EQ(m.numbers.size(), 1u);
  EXPECT_EQ(m.numbers[0].attributes.size(), 1u);
  EXPECT_EQ(std::get<std::int64_t>(m.numbers[0].value), 2);
}


TEST(MetricAttributes, SetsThatAlternateAndInstrumentsThatShareAThreadsCacheSlotEachKeepTheirSeries) {
  // More instruments than the per-thread cache of last series has slots, each recording two
  // alternating sets, and one of them also in another order: every measurement in its series.
  Fixture f;
  std::vector<Counter<std::int64_t>> counters;
  for (int i = 0; i < 40; ++i) counters.push_back(f.meter.create_counter("c" + std::to_string(i)));
  const std::string host = "example.com";
  for (int round = 0; round < 3; ++round)
    for (std::size_t i = 0; i < counters.size(); ++i) {
      counters[i].add(1, {{"host", std::string_view(host)}, {"code", 200}});
      counters[i].add(10, {{"host", std::string_view(host)}, {"code", 500}});
      counters[i].add(100, {{"code", 200}, {"host", "example.com"}});
    }
  const auto all = f.collect();
  ASSERT_EQ(all.size(), counters.size());
  for (const auto& m : all) {
    ASSERT_EQ(m.numbers.size(), 2u) << m.name;
    EXPECT_EQ(std::get<std::int64_t>(point(m, "code", "200")->value), 303) << m.name;
    EXPECT_EQ(std::get<std::int64_t>(point(m, "code", "500")->value), 30) << m.name;
  }
}

TEST(MetricAttributes, AKeyOrValueAtALiteralsAddressButShorterIsAnotherOne) {
  // A run-time view that starts where a literal does is not that literal: its words differ in
  // length, and it is compared by its characters.
  static constexpr char kKey[] = "method";
  static constexpr char kValue[] = "GET";
  Fixture f;
  auto c = f.meter.create_counter("c");
  c.add(1, {{kKey, kValue}});
  c.add(10, {{std::string_view(kKey, 3), kValue}});   // key "met"
  c.add(100, {{kKey, std::string_view(kValue, 2)}});  // value "GE"
  c.add(1000, {{kKey, kValue}});
  const auto m = f.one("c");
  ASSERT_EQ(m.numbers.size(), 3u);
  EXPECT_EQ(sum_of(point(m, "method", "GET")), 1001);
  EXPECT_EQ(sum_of(point(m, "met", "GET")), 10);
  EXPECT_EQ(sum_of(point(m, "method", "GE")), 100);
}

TEST(MetricAttributes, ARunTimeValueIsMatchedByItsCharactersNotItsAddress) {
  Fixture f;
  auto c = f.meter.create_counter("c");
  std::string host = "a.example";
  c.add(1, {{"host", std::string_view(host)}});
  host[0] = 'b';  // the same buffer, other characters: another series
  c.add(10, {{"host", std::string_view(host)}});
  c.add(100, {{"host", "a.example"}});  // a literal of the first one's characters: its series
  const auto m = f.one("c");
  ASSERT_EQ(m.numbers.size(), 2u);
  EXPECT_EQ(sum_of(point(m, "host", "a.example")), 101);
  EXPECT_EQ(sum_of(point(m, "host", "b.example")), 10);
}

TEST(MetricAttributes, ValuesOfOneTypeAndValueAreOneSeriesWhateverTheirBits) {
  Fixture f;
  auto c = f.meter.create_counter("c");
  c.add(1, {{"ratio", 0.0}});
  c.add(10, {{"ratio", -0.0}});  // equal to 0.0 (other bits)
  c.add(100, {{"ratio", 1}});    // an integer: another type, another series
  c.add(1000, {{"ratio", true}});
  const auto m = f.one("c");
  ASSERT_EQ(m.numbers.size(), 3u);
  EXPECT_EQ(sum_of(point(m, "ratio", "0")), 11);
}

TEST(MetricAttributes, AnAttributeSetIsTheSeriesOfTheSameList) {
  Fixture f;
  auto c = f.meter.create_counter("c");
  std::string host = "api.example";
  const AttributeSet set{{"method", "GET"}, {"host", std::string_view(host)}, {"code", 200}};
  host = "changed after";  // the set keeps its own copy
  c.add(1, set);
  c.add(10, {{"code", 200}, {"method", "GET"}, {"host", "api.example"}});  // the same list, reordered
  const AttributeSet copy = set;
  c.add(100, copy);
  c.add(1000, AttributeSet{{"host", "api.example"}, {"code", 200}, {"method", "GET"}});  // another set, same attributes
  c.add(10000, AttributeSet{{"code", 201}, {"method", "GET"}, {"host", "api.example"}});
  const auto m = f.one("c");
  ASSERT_EQ(m.numbers.size(), 2u);
  const NumberPoint* p = point(m, "code", "200");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(sum_of(p), 1111);
  EXPECT_EQ(attr(p->attributes, "host"), "api.example");
  EXPECT_EQ(p->attributes.size(), 3u);
  EXPECT_EQ(sum_of(point(m, "code", "201")), 10000);
}

TEST(MetricAttributes, AnAttributeSetWithARepeatedKeyKeepsTheLastValue) {
  Fixture f;
  auto c = f.meter.create_counter("c");
  const AttributeSet set{{"k", 1}, {"k", std::string("two")}};
  EXPECT_EQ(set.list().size(), 1u);
  c.add(1, set);
  c.add(1, {{"k", "two"}});
  const auto m = f.one("c");
  ASSERT_EQ(m.numbers.size(), 1u);
  EXPECT_EQ(sum_of(point(m, "k", "two")), 2);
}

TEST(MetricAttributes, SetsAndListsThatAlternateOnOneInstrumentEachKeepTheirSeries) {
  // A thread remembers one series an instrument: sets and lists taking turns replace it each
  // time, and are found again by the hash.
  Fixture f;
  auto h = f.meter.create_histogram("h", {.bucket_boundaries = {1}});
  const AttributeSet ok{{"code", 200}}, failed{{"code", 500}}, none;
  for (int i = 0; i < 3; ++i) {
    h.record(0.5, ok);
    h.record(2, failed);
    h.record(0.5, {{"code", 200}});
    h.record(0.5, none);
  }
  const auto m = f.one("h");
  ASSERT_EQ(m.histograms.size(), 3u);
  for (const auto& p : m.histograms) {
    const std::string code = attr(p.attributes, "code");
    EXPECT_EQ(p.count, code == "200" ? 6u : 3u) << code;
    EXPECT_EQ(p.bucket_counts, code == "500" ? (std::vector<std::uint64_t>{0, 3})
                                              : (std::vector<std::uint64_t>{p.count, 0})) << code;
  }
}

TEST(MetricAttributes, AnAttributeSetIsFilteredByAViewsAttributeKeys) {
  Fixture f(cumulative_temporality,
            MeterProviderOptions{.views = {View{.selector = {.name = "c"},
                                                .attribute_keys = std::vector<std::string>{"method"}}}});
  auto c = f.meter.create_counter("c");
  c.add(1, AttributeSet{{"method", "GET"}, {"url", "/a"}});
  c.add(10, AttributeSet{{"url", "/b"}, {"method", "GET"}});
  c.add(100, {{"method", "GET"}, {"url", "/c"}});
  const auto m = f.one("c");
  ASSERT_EQ(m.numbers.size(), 1u);
  EXPECT_EQ(m.numbers[0].attributes.size(), 1u);
  EXPECT_EQ(sum_of(point(m, "method", "GET")), 111);
}

TEST(MetricAttributes, AnAttributeSetMeasurementKeepsItsExemplar) {
  Fixture f;
  auto h = f.meter.create_histogram("h", {.bucket_boundaries = {1}});
  const auto trace_id = *trace::TraceId::from_hex("0af7651916cd43dd8448eb211c80319c");
  const auto span_id = *trace::SpanId::from_hex("b7ad6b7169203331");
  const trace::SpanContext sampled(trace_id, span_id, trace::TraceFlags(1), false);
  const AttributeSet set{{"code", 200}};
  h.record(0.5, set, sampled);
  const auto m = f.one("h");
  ASSERT_EQ(m.histograms.size(), 1u);
  ASSERT_EQ(m.histograms[0].exemplars.size(), 1u);
  EXPECT_EQ(m.histograms[0].exemplars[0].trace_id, trace_id);
  EXPECT_EQ(m.histograms[0].exemplars[0].span_id, span_id);
}

}  // namespace
}  // namespace tracehop::metrics
