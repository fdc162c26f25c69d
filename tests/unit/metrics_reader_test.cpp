// Views, the periodic exporting reader, the console exporter and the environment's settings.

#include <gtest/gtest.h>

#include <map>
#include <sstream>

#include <thread>

#include "metrics/provider.hpp"
#include "test_util.hpp"
#include "tracehop/log.hpp"
#include "tracehop/metrics.hpp"

namespace tracehop::metrics {
namespace {

using tracehop::test::ScopedEnv;

std::vector<MetricData> collect(MetricReader& reader) {
  std::vector<MetricData> out;
  if (auto rm = reader.collect())
    for (auto& s : rm->scopes)
      for (auto& m : s.metrics) out.push_back(m);
  return out;
}

struct Viewed {
  explicit Viewed(std::vector<View> views) : reader(std::make_shared<MetricReader>()) {
    provider = std::make_shared<MeterProvider>(MeterProviderOptions{
        .readers = {reader}, .views = std::move(views), .exemplar_filter = ExemplarFilter::AlwaysOn});
    meter = provider->get_meter("views");
  }
  std::shared_ptr<MetricReader> reader;
  std::shared_ptr<MeterProvider> provider;
  Meter meter;
};

TEST(MetricViews, WildcardMatchesNamesCaseInsensitively) {
  using detail::wildcard_match;
  EXPECT_TRUE(wildcard_match("*", "anything"));
  EXPECT_TRUE(wildcard_match("http.*.duration", "HTTP.client.duration"));
  EXPECT_TRUE(wildcard_match("http.?erver.*", "http.server.request.duration"));
  EXPECT_FALSE(wildcard_match("http.*.duration", "http.client.duration.extra"));
  EXPECT_FALSE(wildcard_match("?", ""));
  EXPECT_TRUE(wildcard_match("a*b*c", "aXbYbZc"));
}

TEST(MetricViews, RenameBoundariesAndAttributeKeys) {
  Viewed v({View{.selector = {.name = "http.client.request.duration"},
                 .name = "client.duration",
                 .description = "renamed",
                 .boundaries = std::vector<double>{0.5},
                 .attribute_keys = std::vector<std::string>{"method"}}});
  auto h = v.meter.create_histogram("http.client.request.duration");
  h.record(0.1, {{"method", "GET"}, {"url", "/a"}});
  h.record(0.9, {{"method", "GET"}, {"url", "/b"}});
  const auto metrics = collect(*v.reader);
  ASSERT_EQ(metrics.size(), 1u);
  EXPECT_EQ(metrics[0].name, "client.duration");
  EXPECT_EQ(metrics[0].description, "renamed");
  ASSERT_EQ(metrics[0].histograms.size(), 1u) << "the url key is not part of the series";
  const auto& p = metrics[0].histograms[0];
  EXPECT_EQ(p.attributes.size(), 1u);
  EXPECT_EQ(p.bucket_counts, (std::vector<std::uint64_t>{1, 1}));
  ASSERT_EQ(p.exemplars.size(), 2u);
  // The dropped keys go with each exemplar.
  EXPECT_EQ(p.exemplars[0].filtered_attributes.size(), 1u);
  EXPECT_EQ(p.exemplars[0].filtered_attributes[0].value.to_string(), "/a");
}

TEST(MetricViews, DropAndSeveralViewsMakeSeveralStreams) {
  Viewed v({View{.selector = {.name = "noisy.*"}, .drop = true},
            View{.selector = {.name = "kept"}, .name = "kept.a"},
            View{.selector = {.name = "kept"}, .name = "kept.b", .attribute_keys = std::vector<std::string>{}}});
  v.meter.create_counter("noisy.one").add(1);
  auto kept = v.meter.create_counter("kept");
  kept.add(2, {{"k", "v"}});
  const auto metrics = collect(*v.reader);
  ASSERT_EQ(metrics.size(), 2u);
  EXPECT_EQ(metrics[0].name, "kept.a");
  EXPECT_EQ(metrics[1].name, "kept.b");
  EXPECT_EQ(metrics[1].numbers.at(0).attributes.size(), 0u);
}

TEST(MetricViews, SelectorByKindAndCardinalityLimit) {
  Viewed v({View{.selector = {.kind = InstrumentKind::Counter}, .cardinality_limit = 2}});
  auto c = v.meter.create_counter("c");
  auto u = v.meter.create_up_down_counter("u");
  for (int i = 0; i < 5; ++i) {
    c.add(1, {{"i", i}});
    u.add(1, {{"i", i}});
  }
  for (const auto& m : collect(*v.reader)) EXPECT_EQ(m.numbers.size(), m.name == "c" ? 2u : 5u) << m.name;
}

TEST(MetricViews, RenamingWildcardViewIsRefused) {
  std::vector<std::string> logged;
  auto previous = set_log_sink([&](LogLevel, std::string_view m) { logged.emplace_back(m); });
  Viewed v({View{.selector = {.name = "http.*"}, .name = "one"}});
  set_log_sink(previous);
  v.meter.create_counter("http.a").add(1);
  const auto metrics = collect(*v.reader);
  ASSERT_EQ(metrics.size(), 1u);
  EXPECT_EQ(metrics[0].name, "http.a");
  EXPECT_EQ(logged.size(), 1u);
}

TEST(MetricReaders, TemporalityPreferenceFollowsTheSpecificationsTable) {
  EXPECT_EQ(delta_temporality(InstrumentKind::ObservableCounter), Temporality::Delta);
  EXPECT_EQ(delta_temporality(InstrumentKind::ObservableUpDownCounter), Temporality::Cumulative);
  EXPECT_EQ(low_memory_temporality(InstrumentKind::Histogram), Temporality::Delta);
  EXPECT_EQ(low_memory_temporality(InstrumentKind::ObservableCounter), Temporality::Cumulative);
  {
    ScopedEnv env("OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE", "LowMemory");
    EXPECT_EQ(temporality_from_env(), &low_memory_temporality);
  }
  {
    ScopedEnv env("OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE", "delta");
    EXPECT_EQ(temporality_from_env(), &delta_temporality);
  }
  ScopedEnv env("OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE", std::nullopt);
  EXPECT_EQ(temporality_from_env(), &cumulative_temporality);
}

TEST(MetricReaders, ExemplarFilterFromEnvironment) {
  {
    ScopedEnv env("OTEL_METRICS_EXEMPLAR_FILTER", "always_on");
    EXPECT_EQ(exemplar_filter_from_env(), ExemplarFilter::AlwaysOn);
  }
  {
    ScopedEnv env("OTEL_METRICS_EXEMPLAR_FILTER", "ALWAYS_OFF");
    EXPECT_EQ(exemplar_filter_from_env(), ExemplarFilter::AlwaysOff);
  }
  ScopedEnv env("OTEL_METRICS_EXEMPLAR_FILTER", std::nullopt);
  EXPECT_EQ(exemplar_filter_from_env(), ExemplarFilter::TraceBased);
}

TEST(MetricReaders, PeriodicReaderTakesItsIntervalAndTimeoutFromTheEnvironment) {
  ScopedEnv interval("OTEL_METRIC_EXPORT_INTERVAL", "1234");
  ScopedEnv timeout("OTEL_METRIC_EXPORT_TIMEOUT", "567");
  PeriodicExportingMetricReader reader(std::make_unique<InMemoryMetricExporter>());
  EXPECT_EQ(reader.interval(), std::chrono::milliseconds(1234));
  EXPECT_EQ(reader.timeout(), std::chrono::milliseconds(567));
  ScopedEnv bad("OTEL_METRIC_EXPORT_INTERVAL", "soon");
  PeriodicExportingMetricReader fallback(std::make_unique<InMemoryMetricExporter>());
  EXPECT_EQ(fallback.interval(), std::chrono::seconds(60));
}

TEST(MetricReaders, PeriodicReaderExportsOnFlushAndALastTimeAtShutdown) {
  auto exporter = std::make_unique<InMemoryMetricExporter>(delta_temporality);
  auto* memory = exporter.get();
  auto reader = std::make_shared<PeriodicExportingMetricReader>(
      std::move(exporter), PeriodicReaderOptions{.interval = std::chrono::hours(1)});
  auto provider = std::make_shared<MeterProvider>(MeterProviderOptions{.readers = {reader}});
  auto c = provider->get_meter("m").create_counter("c");
  c.add(1);
  EXPECT_TRUE(provider->force_flush());
  ASSERT_EQ(memory->collections().size(), 1u);
  c.add(2);
  EXPECT_TRUE(provider->shutdown());
  const auto all = memory->collections();
  ASSERT_EQ(all.size(), 2u) << "shutdown exports a last collection";
  EXPECT_EQ(all[1].scopes.at(0).metrics.at(0).temporality, Temporality::Delta) << "the exporter's preference";
  EXPECT_EQ(std::get<std::int64_t>(all[1].scopes.at(0).metrics.at(0).numbers.at(0).value), 2);
  EXPECT_FALSE(provider->force_flush()) << "a shut-down reader flushes nothing";
}

TEST(MetricReaders, PeriodicReaderExportsOnItsTimer) {
  auto exporter = std::make_unique<InMemoryMetricExporter>();
  auto* memory = exporter.get();
  auto reader = std::make_shared<PeriodicExportingMetricReader>(
      std::move(exporter), PeriodicReaderOptions{.interval = std::chrono::milliseconds(20)});
  MeterProvider provider(MeterProviderOptions{.readers = {reader}});
  provider.get_meter("m").create_counter("c").add(1);
  for (int i = 0; i < 500 && memory->collections().size() < 2; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_GE(memory->collections().size(), 2u);
}

TEST(MetricExporters, ConsoleWritesEachMetricReadably) {
  std::ostringstream out;
  auto reader = std::make_shared<PeriodicExportingMetricReader>(std::make_unique<ConsoleMetricExporter>(out),
                                                                PeriodicReaderOptions{.interval = std::chrono::hours(1)});
  MeterProvider provider(MeterProviderOptions{.resource = trace::Resource(trace::Attributes{{"service.name", "shop"}}),
                                              .readers = {reader},
                                              .exemplar_filter = ExemplarFilter::AlwaysOn});
  auto meter = provider.get_meter("console.scope", "0.1");
  auto h = meter.create_histogram("http.client.request.duration",
                                  {.unit = "s", .description = "Duration.", .bucket_boundaries = {0.1, 1}});
  const trace::SpanContext span(*trace::TraceId::from_hex("0af7651916cd43dd8448eb211c80319c"),
                                *trace::SpanId::from_hex("b7ad6b7169203331"), trace::TraceFlags(1), false);
  const Attribute attrs[] = {{"http.request.method", "GET"}};
  h.record(0.25, attrs, span);
  ASSERT_TRUE(provider.force_flush());
  const std::string text = out.str();
  EXPECT_NE(text.find("resource {service.name=shop}"), std::string::npos) << text;
  EXPECT_NE(text.find("scope console.scope 0.1"), std::string::npos) << text;
  EXPECT_NE(text.find("http.client.request.duration [s] histogram, cumulative: Duration."), std::string::npos) << text;
  EXPECT_NE(text.find("{http.request.method=GET} count=1 sum=0.25 min=0.25 max=0.25"), std::string::npos) << text;
  EXPECT_NE(text.find("buckets <=1:1"), std::string::npos) << text;
  EXPECT_NE(text.find("exemplar 0.25 trace_id=0af7651916cd43dd8448eb211c80319c span_id=b7ad6b7169203331"),
            std::string::npos)
      << text;
}

// A batch processor's figures as metrics: what it exported, what it lost and why.
TEST(MetricSdk, BatchSpanProcessorFiguresAreObserved) {
  struct Failing final : trace::SpanExporter {
    trace::ExportResult export_spans(std::span<const trace::SpanDataPtr>) noexcept override {
      return trace::ExportResult::Failure;
    }
    bool shutdown(std::chrono::milliseconds) noexcept override { return true; }
  };
  auto good = std::make_shared<trace::BatchSpanProcessor>(std::make_unique<trace::InMemorySpanExporter>(),
                                                          trace::BatchSpanProcessorOptions{.max_queue_size = 4,
                                                                                           .schedule_delay = std::chrono::hours(1)});
  auto bad = std::make_shared<trace::BatchSpanProcessor>(std::make_unique<Failing>());
  auto tracer_provider = std::make_shared<trace::TracerProvider>();
  tracer_provider->add_span_processor(good);
  tracer_provider->add_span_processor(bad);
  auto reader = std::make_shared<MetricReader>();
  MeterProvider meters(MeterProviderOptions{.readers = {reader}});
  const auto observed = observe_span_processor(meters.get_meter("tracehop.sdk"), good, "batching_span_processor/0");
  const auto failing = observe_span_processor(meters.get_meter("tracehop.sdk"), bad, "batching_span_processor/1");

  auto tracer = tracer_provider->get_tracer("t");
  for (int i = 0; i < 6; ++i) tracer->start_span("s").end();  // at most 4 at once in the good one's queue
  tracer_provider->force_flush();

  std::map<std::string, std::int64_t> processed;
  std::int64_t capacity = -1;
  for (const auto& m : collect(*reader)) {
    for (const auto& p : m.numbers) {
      auto attr = [&](std::string_view k) {
        const auto* v = trace::find_attribute(p.attributes, k);
        return v ? v->to_string() : std::string();
      };
      if (m.name == "otel.sdk.processor.span.processed")
        processed[attr("otel.component.name") + " " + attr("error.type")] = std::get<std::int64_t>(p.value);
      if (m.name == "otel.sdk.processor.span.queue.capacity" && attr("otel.component.name") == "batching_span_processor/0")
        capacity = std::get<std::int64_t>(p.value);
    }
    if (m.name == "otel.sdk.processor.span.processed") {
      EXPECT_TRUE(m.monotonic);
    }
  }
  // (How many the full queue turned away depends on when its worker ran: every span is one or the other.)
  EXPECT_EQ(processed["batching_span_processor/0 "] + processed["batching_span_processor/0 queue_full"], 6);
  EXPECT_GE(processed["batching_span_processor/0 "], 4);
  EXPECT_EQ(processed["batching_span_processor/1 export_failed"], 6);
  EXPECT_EQ(processed["batching_span_processor/1 "], 0);
  EXPECT_EQ(capacity, 4);
  tracer_provider->shutdown();
}

}  // namespace
}  // namespace tracehop::metrics
