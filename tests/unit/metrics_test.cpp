// The metrics SDK's instruments and aggregations, collected by a pull reader.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <thread>

#include "metrics_fixture.hpp"
#include "tracehop/log.hpp"
#include "tracehop/metrics.hpp"
#include "tracehop/trace/context.hpp"
#include "tracehop/trace/tracer.hpp"

namespace tracehop::metrics {
namespace {

using namespace fixture;

TEST(Metrics, CounterSumsPerAttributeSetWhateverTheOrder) {
  Fixture f;
  auto c = f.meter.create_counter("requests", {.unit = "{request}", .description = "Requests made."});
  c.add(1, {{"method", "GET"}, {"code", 200}});
  c.add(2, {{"code", 200}, {"method", "GET"}});  // the same set in another order
  c.add(5, {{"method", "POST"}, {"code", 200}});
  const std::string key = "method", method = "GET";
  c.add(1, {{key, method}, {"code", 200}});  // run-time strings

  const auto m = f.one("requests");
  EXPECT_EQ(m.type, MetricType::Sum);
  EXPECT_TRUE(m.monotonic);
  EXPECT_EQ(m.temporality, Temporality::Cumulative);
  EXPECT_EQ(m.unit, "{request}");
  EXPECT_EQ(m.description, "Requests made.");
  ASSERT_EQ(m.numbers.size(), 2u);
  EXPECT_EQ(std::get<std::int64_t>(point(m, "method", "GET")->value), 4);
  EXPECT_EQ(std::get<std::int64_t>(point(m, "method", "POST")->value), 5);
}

TEST(Metrics, CounterIgnoresNegativeAndNaN) {
  Fixture f;
  auto c = f.meter.create_counter<double>("bytes");
  c.add(2.5);
  c.add(-1);
  c.add(std::nan(""));
  EXPECT_DOUBLE_EQ(std::get<double>(f.one("bytes").numbers.at(0).value), 2.5);
}

TEST(Metrics, UpDownCounterGoesBothWays) {
  Fixture f(delta_temporality);
  auto c = f.meter.create_up_down_counter("active");
  c.add(3);
  c.add(-1);
  auto m = f.one("active");
  EXPECT_FALSE(m.monotonic);
  EXPECT_EQ(m.temporality, Temporality::Cumulative);  // the delta preference keeps up-down counters cumulative
  EXPECT_EQ(std::get<std::int64_t>(m.numbers.at(0).value), 2);
  c.add(-2);
  EXPECT_EQ(std::get<std::int64_t>(f.one("active").numbers.at(0).value), 0);
}

TEST(Metrics, DeltaSumReportsWhatChangedSinceTheLastCollection) {
  Fixture f(delta_temporality);
  auto c = f.meter.create_counter("c");
  c.add(3, {{"a", "x"}});
  c.add(4, {{"a", "y"}});
  auto first = f.one("c");
  EXPECT_EQ(first.temporality, Temporality::Delta);
  ASSERT_EQ(first.numbers.size(), 2u);
  c.add(1, {{"a", "x"}});
  auto second = f.one("c");
  ASSERT_EQ(second.numbers.size(), 1u) << "a series without measurements is not reported";
  EXPECT_EQ(std::get<std::int64_t>(second.numbers[0].value), 1);
  EXPECT_EQ(second.numbers[0].start_time, first.numbers[0].time);
  EXPECT_TRUE(f.collect().empty());
}

TEST(Metrics, CumulativeKeepsItsStartTime) {
  Fixture f;
  auto c = f.meter.create_counter("c");
  c.add(1);
  auto first = f.one("c");
  c.add(1);
  auto second = f.one("c");
  EXPECT_EQ(first.numbers[0].start_time, second.numbers[0].start_time);
  EXPECT_LT(first.numbers[0].time, second.numbers[0].time);
  EXPECT_EQ(std::get<std::int64_t>(second.numbers[0].value), 2);
}

TEST(Metrics, HistogramCountsSumMinMaxAndBuckets) {
  Fixture f;
  auto h = f.meter.create_histogram("latency", {.unit = "ms"});
  for (double v : {0.0, 5.0, 7.0, 10000.0, 20000.0}) h.record(v);
  h.record(-1);  // ignored
  const auto m = f.one("latency");
  ASSERT_EQ(m.type, MetricType::Histogram);
  ASSERT_EQ(m.histograms.size(), 1u);
  const auto& p = m.histograms[0];
  EXPECT_EQ(p.count, 5u);
  EXPECT_DOUBLE_EQ(p.sum, 30012);
  EXPECT_EQ(*p.min, 0);
  EXPECT_EQ(*p.max, 20000);
  EXPECT_EQ(p.boundaries, (std::vector<double>{0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000}));
  ASSERT_EQ(p.bucket_counts.size(), 16u);
  EXPECT_EQ(p.bucket_counts[0], 1u);   // (-inf, 0]
  EXPECT_EQ(p.bucket_counts[1], 1u);   // (0, 5]: a value on a boundary counts below it
  EXPECT_EQ(p.bucket_counts[2], 1u);   // (5, 10]
  EXPECT_EQ(p.bucket_counts[14], 1u);  // (7500, 10000]
  EXPECT_EQ(p.bucket_counts[15], 1u);  // (10000, +inf)
}

TEST(Metrics, EachValueFallsInTheBucketOfTheFirstBoundaryNotBelowIt) {
  // Every count of boundaries (the search's depths), every boundary, and values beside each.
  for (std::size_t n = 1; n <= 20; ++n) {
    Fixture f;
    std::vector<double> bounds;
    for (std::size_t i = 0; i < n; ++i) bounds.push_back(static_cast<double>(10 * i));
    auto h = f.meter.create_histogram("h", {.bucket_boundaries = bounds});
    std::vector<std::uint64_t> expected(n + 1);
    for (double v = 0; v <= static_cast<double>(10 * n); v += 2.5) {
      h.record(v);
      ++expected[static_cast<std::size_t>(std::lower_bound(bounds.begin(), bounds.end(), v) - bounds.begin())];
    }
    EXPECT_EQ(f.one("h").histograms.at(0).bucket_counts, expected) << n << " boundaries";
  }
}

TEST(Metrics, HistogramTakesBucketAdviceAndDeltaResets) {
  Fixture f(delta_temporality);
  auto h = f.meter.create_histogram("d", {.unit = "s", .bucket_boundaries = {0.1, 1}});
  h.record(0.05);
  h.record(2);
  auto p = f.one("d").histograms.at(0);
  EXPECT_EQ(p.boundaries, (std::vector<double>{0.1, 1}));
  EXPECT_EQ(p.bucket_counts, (std::vector<std::uint64_t>{1, 0, 1}));
  h.record(0.5);
  p = f.one("d").histograms.at(0);
  EXPECT_EQ(p.count, 1u);
  EXPECT_EQ(*p.min, 0.5);
  EXPECT_EQ(p.bucket_counts, (std::vector<std::uint64_t>{0, 1, 0}));
}

TEST(Metrics, GaugeKeepsTheLastValue) {
  Fixture f;
  auto g = f.meter.create_gauge<std::int64_t>("temperature");
  g.record(20, {{"room", "a"}});
  g.record(21, {{"room", "a"}});
  const auto m = f.one("temperature");
  EXPECT_EQ(m.type, MetricType::Gauge);
  EXPECT_EQ(std::get<std::int64_t>(m.numbers.at(0).value), 21);
}

TEST(Metrics, CardinalityLimitAggregatesTheRestIntoOverflow) {
  MeterProviderOptions options;
  options.cardinality_limit = 4;
  Fixture f(cumulative_temporality, std::move(options));
  auto c = f.meter.create_counter("c");
  for (int i = 0; i < 10; ++i) c.add(1, {{"i", i}});
  c.add(1, {{"i", 0}});  // an existing series still records into itself
  const auto m = f.one("c");
  ASSERT_EQ(m.numbers.size(), 4u) << "the limit counts the overflow series";
  std::int64_t total = 0;
  for (const auto& p : m.numbers) total += std::get<std::int64_t>(p.value);
  EXPECT_EQ(total, 11) << "nothing dropped or counted twice";
  const auto* overflow = point(m, "otel.metric.overflow", "true");
  ASSERT_NE(overflow, nullptr);
  EXPECT_EQ(std::get<std::int64_t>(overflow->value), 7);
  EXPECT_EQ(std::get<std::int64_t>(point(m, "i", "0")->value), 2);
}

TEST(Metrics, ExemplarKeepsTheSampledSpansIds) {
  Fixture f;
  auto h = f.meter.create_histogram("latency", {.bucket_boundaries = {1, 10}});
  const auto trace_id = *trace::TraceId::from_hex("0af7651916cd43dd8448eb211c80319c");
  const auto span_id = *trace::SpanId::from_hex("b7ad6b7169203331");
  const trace::SpanContext sampled(trace_id, span_id, trace::TraceFlags(1), false);
  const trace::SpanContext unsampled(trace_id, span_id, trace::TraceFlags(0), false);
  h.record(5, {}, sampled);
  h.record(50, {}, unsampled);  // trace_based: no exemplar
  h.record(0.5);                // no span: none either
  const auto p = f.one("latency").histograms.at(0);
  ASSERT_EQ(p.exemplars.size(), 1u);
  EXPECT_EQ(p.exemplars[0].trace_id, trace_id);
  EXPECT_EQ(p.exemplars[0].span_id, span_id);
  EXPECT_EQ(std::get<double>(p.exemplars[0].value), 5);
}

TEST(Metrics, ExemplarComesFromTheCurrentSpan) {
  auto tp = std::make_shared<trace::TracerProvider>();
  auto tracer = tp->get_tracer("t");
  Fixture f;
  auto c = f.meter.create_counter("c");
  trace::SpanContext ctx;
  {
    auto span = tracer->start_as_current_span("work");
    ctx = span->span_context();
    c.add(1);
  }
  const auto p = f.one("c").numbers.at(0);
  ASSERT_EQ(p.exemplars.size(), 1u);
  EXPECT_EQ(p.exemplars[0].trace_id, ctx.trace_id());
  EXPECT_EQ(p.exemplars[0].span_id, ctx.span_id());
}

TEST(Metrics, ExemplarFilterAlwaysOffKeepsNone) {
  MeterProviderOptions options;
  options.exemplar_filter = ExemplarFilter::AlwaysOff;
  Fixture f(cumulative_temporality, std::move(options));
  auto h = f.meter.create_histogram("h");
  const trace::SpanContext sampled(*trace::TraceId::from_hex("0af7651916cd43dd8448eb211c80319c"),
                                   *trace::SpanId::from_hex("b7ad6b7169203331"), trace::TraceFlags(1), false);
  h.record(1, {}, sampled);
  EXPECT_TRUE(f.one("h").histograms.at(0).exemplars.empty());
}

TEST(Metrics, ObservableInstrumentsReportTheirCallbacksValues) {
  Fixture f(delta_temporality);
  std::int64_t total = 10;
  auto counter = f.meter.create_observable_counter("cpu.time", [&](ObservableResult& r) {
    r.observe(total, {{"cpu", 0}});
  });
  auto gauge = f.meter.create_observable_gauge("queue.depth", [](ObservableResult& r) { r.observe(3.5); });
  auto first = f.one("cpu.time");
  EXPECT_TRUE(first.monotonic);
  EXPECT_EQ(first.temporality, Temporality::Delta);
  EXPECT_EQ(std::get<std::int64_t>(first.numbers.at(0).value), 10);
  total = 25;
  EXPECT_EQ(std::get<std::int64_t>(f.one("cpu.time").numbers.at(0).value), 15) << "a delta of the totals";
  EXPECT_EQ(std::get<double>(f.one("queue.depth").numbers.at(0).value), 3.5);

  counter.remove();
  for (const auto& m : f.collect()) EXPECT_NE(m.name, "cpu.time") << "a removed callback reports nothing";
}

TEST(Metrics, ThrowingCallbackIsLoggedAndTheOthersStillRun) {
  std::vector<std::string> logged;
  auto previous = set_log_sink([&](LogLevel, std::string_view m) { logged.emplace_back(m); });
  Fixture f;
  auto bad = f.meter.create_observable_gauge("bad", [](ObservableResult& r) {
    r.observe(1.0);
    throw std::runtime_error("sensor gone");
  });
  auto good = f.meter.create_observable_gauge("good", [](ObservableResult& r) { r.observe(2.0); });
  const auto metrics = f.collect();
  set_log_sink(previous);
  EXPECT_EQ(metrics.size(), 2u) << "what the throwing callback observed before is kept";
  ASSERT_FALSE(logged.empty());
  EXPECT_NE(logged[0].find("sensor gone"), std::string::npos);
}

TEST(Metrics, InvalidNamesAndUnitsMakeNoOpInstruments) {
  std::vector<std::string> logged;
  auto previous = set_log_sink([&](LogLevel, std::string_view m) { logged.emplace_back(m); });
  Fixture f;
  auto bad_name = f.meter.create_counter("1starts.with.digit");
  auto bad_chars = f.meter.create_counter("has space");
  auto too_long = f.meter.create_counter(std::string(256, 'a'));
  auto bad_unit = f.meter.create_counter("ok", {.unit = std::string(64, 'u')});
  bad_name.add(1);
  bad_chars.add(1);
  too_long.add(1);
  bad_unit.add(1);
  EXPECT_FALSE(bad_name.enabled());
  auto fine = f.meter.create_counter("a_b.c-d/e");
  fine.add(1);
  EXPECT_TRUE(fine.enabled());
  set_log_sink(previous);
  const auto metrics = f.collect();
  ASSERT_EQ(metrics.size(), 1u);
  EXPECT_EQ(metrics[0].name, "a_b.c-d/e");
  EXPECT_EQ(logged.size(), 4u);
  auto max_len = f.meter.create_counter(std::string(255, 'a'));
  EXPECT_TRUE(max_len.enabled());
}

TEST(Metrics, SameInstrumentTwiceRecordsIntoOneStream) {
  Fixture f;
  auto a = f.meter.create_counter("Requests");
  auto b = f.meter.create_counter("requests");  // names are case-insensitive
  a.add(1);
  b.add(2);
  const auto metrics = f.collect();
  ASSERT_EQ(metrics.size(), 1u);
  EXPECT_EQ(std::get<std::int64_t>(metrics[0].numbers.at(0).value), 3);
}

TEST(Metrics, ConflictingInstrumentIsLoggedAndKeptApart) {
  std::vector<std::string> logged;
  auto previous = set_log_sink([&](LogLevel, std::string_view m) { logged.emplace_back(m); });
  Fixture f;
  auto a = f.meter.create_counter("x", {.unit = "s"});
  auto b = f.meter.create_counter("x", {.unit = "ms"});
  a.add(1);
  b.add(2);
  set_log_sink(previous);
  EXPECT_EQ(f.collect().size(), 2u);
  EXPECT_EQ(logged.size(), 1u);
}

TEST(Metrics, NoOpMeterAndDefaultInstrumentsDoNothing) {
  Meter none;
  auto c = none.create_counter("c");
  c.add(1);
  Counter<std::int64_t> unmade;
  unmade.add(1);
  EXPECT_FALSE(c.enabled());
  EXPECT_FALSE(unmade.enabled());
}

TEST(Metrics, GlobalProviderBindsLate) {
  auto meter = get_meter("late.scope");
  auto c = meter.create_counter("late.counter");
  c.add(100);  // no provider yet: lost
  EXPECT_FALSE(c.enabled());

  auto reader = std::make_shared<MetricReader>();
  set_meter_provider(std::make_shared<MeterProvider>(MeterProviderOptions{.readers = {reader}}));
  c.add(1);
  auto rm = reader->collect();
  ASSERT_TRUE(rm);
  ASSERT_EQ(rm->scopes.size(), 1u);
  EXPECT_EQ(rm->scopes[0].scope.name, "late.scope");
  EXPECT_EQ(std::get<std::int64_t>(rm->scopes[0].metrics.at(0).numbers.at(0).value), 1);

  auto next = std::make_shared<MetricReader>();
  set_meter_provider(std::make_shared<MeterProvider>(MeterProviderOptions{.readers = {next}}));
  c.add(5);
  EXPECT_EQ(std::get<std::int64_t>(next->collect()->scopes.at(0).metrics.at(0).numbers.at(0).value), 5);
  set_meter_provider(nullptr);
  EXPECT_FALSE(c.enabled());
}

TEST(Metrics, AnObservableInstrumentIsEnabledWhileAReaderReadsIt) {
  // What code keeping the observed values asks (the HTTP instrumentation's counts).
  auto meter = get_meter("late.observable.scope");
  ObservableInstrument depth = meter.create_observable_gauge<std::int64_t>(
      "queue.depth", [](ObservableResult& r) { r.observe(std::int64_t{3}); });
  EXPECT_FALSE(depth.enabled()) << "no provider yet";
  auto reader = std::make_shared<MetricReader>();
  set_meter_provider(std::make_shared<MeterProvider>(MeterProviderOptions{.readers = {reader}}));
  EXPECT_TRUE(depth.enabled());
  ObservableInstrument moved = std::move(depth);
  EXPECT_TRUE(moved.enabled());
  EXPECT_FALSE(depth.enabled());  // NOLINT(bugprone-use-after-move): a moved-from registration is none
  EXPECT_EQ(std::get<std::int64_t>(reader->collect()->scopes.at(0).metrics.at(0).numbers.at(0).value), 3);
  set_meter_provider(nullptr);
  EXPECT_FALSE(moved.enabled());
  moved.remove();
  EXPECT_FALSE(moved.enabled());
  EXPECT_FALSE(ObservableInstrument().enabled());
}

TEST(Metrics, ReaderServesOneProvider) {
  auto reader = std::make_shared<MetricReader>();
  MeterProvider first(MeterProviderOptions{.readers = {reader}});
  std::vector<std::string> logged;
  auto previous = set_log_sink([&](LogLevel, std::string_view m) { logged.emplace_back(m); });
  MeterProvider second(MeterProviderOptions{.readers = {reader}});
  set_log_sink(previous);
  EXPECT_EQ(logged.size(), 1u);
}

TEST(Metrics, ShutDownReaderCollectsNothing) {
  Fixture f;
  f.meter.create_counter("c").add(1);
  EXPECT_TRUE(f.provider->shutdown());
  EXPECT_FALSE(f.reader->collect());
}

TEST(Metrics, TwoThreadsCountEveryMeasurement) {
  Fixture f;
  auto c = f.meter.create_counter("c");
  auto h = f.meter.create_histogram("h");
  auto work = [&](int id) {
    for (int i = 0; i < 20000; ++i) {
      c.add(1, {{"series", i % 50}});
      h.record(i % 100, {{"thread", id}});
    }
  };
  std::thread a(work, 0), b(work, 1);
  for (int i = 0; i < 20; ++i) f.collect();  // collections meanwhile read consistent points
  a.join();
  b.join();
  std::int64_t total = 0;
  const auto m = f.one("c");
  for (const auto& p : m.numbers) total += std::get<std::int64_t>(p.value);
  EXPECT_EQ(m.numbers.size(), 50u);
  EXPECT_EQ(total, 40000);
  std::uint64_t count = 0;
  for (const auto& p : f.one("h").histograms) count += p.count;
  EXPECT_EQ(count, 40000u);
}

TEST(Metrics, ThreadsSharingOneSeriesLoseNothingAcrossDeltaCollections) {
  // Four threads into one series of a histogram and a counter (their stripes: the CPUs they
  // run on), collected meanwhile with delta temporality: every measurement in exactly one
  // point, min and max right, and at most one exemplar a bucket, each a thread's own span.
  Fixture f(delta_temporality);
  auto h = f.meter.create_histogram("h", {.bucket_boundaries = {10, 100}});
  auto c = f.meter.create_counter("c");
  constexpr int kThreads = 4, kEach = 20000;
  auto context = [](int t) {
    const auto trace_id = *trace::TraceId::from_hex("0af7651916cd43dd8448eb211c80319" + std::to_string(t));
    return trace::SpanContext(trace_id, *trace::SpanId::from_hex("b7ad6b716920333" + std::to_string(t)),
                              trace::TraceFlags(1), false);
  };
  auto work = [&](int t) {
    const auto span = context(t);
    const Attribute route[] = {{"route", "/a"}};
    for (int i = 0; i < kEach; ++i) {
      h.record(i % 200 + 1, route, span);
      c.add(2, {{"route", "/a"}});
    }
  };
  std::uint64_t count = 0;
  double sum = 0, min = 1e9, max = 0;
  std::int64_t total = 0;
  std::vector<std::uint64_t> buckets(3);
  auto take = [&] {
    for (const auto& m : f.collect()) {
      for (const auto& p : m.histograms) {
        count += p.count;
        sum += p.sum;
        min = std::min(min, *p.min);
        max = std::max(max, *p.max);
        for (std::size_t i = 0; i < 3; ++i) buckets[i] += p.bucket_counts[i];
        EXPECT_LE(p.exemplars.size(), 3u);
        for (const auto& e : p.exemplars) {
          bool known = false;
          for (int t = 0; t < kThreads; ++t) known |= e.trace_id == context(t).trace_id() && e.span_id == context(t).span_id();
          EXPECT_TRUE(known);
        }
      }
      for (const auto& p : m.numbers) total += std::get<std::int64_t>(p.value);
    }
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) threads.emplace_back(work, t);
  for (int i = 0; i < 50; ++i) take();
  for (auto& t : threads) t.join();
  take();
  EXPECT_EQ(count, std::uint64_t{kThreads} * kEach);
  EXPECT_EQ(total, 2 * kThreads * kEach);
  double expected_sum = 0;
  for (int i = 0; i < kEach; ++i) expected_sum += i % 200 + 1;
  EXPECT_DOUBLE_EQ(sum, kThreads * expected_sum);
  EXPECT_EQ(min, 1);
  EXPECT_EQ(max, 200);
  EXPECT_EQ(buckets[0] + buckets[1] + buckets[2], count);
  EXPECT_EQ(buckets[0], std::uint64_t{kThreads} * (kEach / 200) * 10);  // 1..10 of each 200
}

}  // namespace
}  // namespace tracehop::metrics
