#include <gtest/gtest.h>

#include <sstream>

#include "test_util.hpp"
#include "tracehop/configure.hpp"
#include "tracehop/metrics.hpp"

using namespace tracehop;
using namespace tracehop::trace;
using tracehop::test::ScopedEnv;

TEST(Configure, SdkDisabledInstallsNoProviderButKeepsPropagation) {
  ScopedEnv a("OTEL_SDK_DISABLED", "true");
  ScopedEnv b("OTEL_PROPAGATORS", "b3");
  EXPECT_EQ(configure_from_env(), nullptr);
  EXPECT_EQ(tracer_provider(), nullptr);
  EXPECT_FALSE(get_tracer("t")->start_span("s").is_recording());
  EXPECT_EQ(global_propagator()->fields(), std::vector<std::string>{"b3"});
  set_global_propagator(propagator_from_names("tracecontext,baggage"));
}

TEST(Configure, WiresSamplerResourceAndRegisteredExporter) {
  auto mem = std::make_shared<InMemorySpanExporter>();
  // A registered exporter factory: the way tracehop::otlp plugs "otlp" in.
  register_span_exporter("memtest", [mem] { return std::make_unique<SharedSpanExporter>(mem); });
  ScopedEnv a("OTEL_SDK_DISABLED", std::nullopt);
  ScopedEnv b("OTEL_TRACES_EXPORTER", "memtest");
  ScopedEnv c("OTEL_SERVICE_NAME", "configured");
  ScopedEnv d("OTEL_TRACES_SAMPLER", "always_on");
  ScopedEnv e("OTEL_BSP_SCHEDULE_DELAY", "3600000");
  auto provider = configure_from_env();
  ASSERT_NE(provider, nullptr);
  EXPECT_EQ(provider->sampler().description(), "AlwaysOnSampler");
  EXPECT_EQ(tracer_provider(), provider);
  get_tracer("t")->start_span("configured-span").end();
  EXPECT_TRUE(shutdown());  // the batch processor flushes on shutdown
  auto spans = mem->finished_spans();
  ASSERT_EQ(spans.size(), 1u);
  EXPECT_EQ(*spans[0]->resource->get("service.name")->get_if<std::string>(), "configured");
  set_tracer_provider(nullptr);
}

TEST(Configure, UnknownExporterIsLoggedNotFatal) {
  tracehop::test::LogCapture logs;
  ScopedEnv a("OTEL_SDK_DISABLED", std::nullopt);
  ScopedEnv b("OTEL_TRACES_EXPORTER", "zipkin,none");
  auto provider = configure_from_env();
  ASSERT_NE(provider, nullptr);
  EXPECT_TRUE(logs.contains("'zipkin' is not available"));
  set_tracer_provider(nullptr);
}

TEST(Configure, ConsoleExporterPrintsSpans) {
  ScopedEnv a("OTEL_SDK_DISABLED", std::nullopt);
  ScopedEnv b("OTEL_TRACES_EXPORTER", "console");
  ::testing::internal::CaptureStdout();
  configure_from_env();
  get_tracer("t")->start_span("printed-span").end();
  shutdown();
  const auto out = ::testing::internal::GetCapturedStdout();
  EXPECT_NE(out.find("\"name\": \"printed-span\""), std::string::npos);
  set_tracer_provider(nullptr);
}

TEST(Configure, OverridesReplaceTheEnvironmentAndInstallNothingGlobal) {
  auto mem = std::make_shared<InMemorySpanExporter>();
  register_span_exporter("memoverride", [mem] { return std::make_unique<SharedSpanExporter>(mem); });
  ScopedEnv a("OTEL_SDK_DISABLED", std::nullopt);
  ScopedEnv b("OTEL_TRACES_EXPORTER", "console");
  ScopedEnv c("OTEL_SERVICE_NAME", "from-env");
  ScopedEnv d("OTEL_TRACES_SAMPLER", "always_on");
  ProviderOverrides o;
  o.exporters = "memoverride";
  o.resource = Resource(Attributes{KeyValue{"service.name", "from-flag"}});
  o.sampler = always_off_sampler();
  auto provider = provider_from_env(o);
  ASSERT_NE(provider, nullptr);
  EXPECT_EQ(tracer_provider(), nullptr);
  EXPECT_EQ(provider->sampler().description(), "AlwaysOffSampler");
  o.sampler = nullptr;
  provider = provider_from_env(o);
  provider->get_tracer("t")->start_span("overridden").end();
  provider->shutdown();
  auto spans = mem->finished_spans();
  ASSERT_EQ(spans.size(), 1u);  // to the named exporter, not to the console
  EXPECT_EQ(*spans[0]->resource->get("service.name")->get_if<std::string>(), "from-flag");
  EXPECT_NE(make_span_exporter("console"), nullptr);
  EXPECT_EQ(make_span_exporter("zipkin"), nullptr);
}

// configure_from_env takes the overrides provider_from_env takes, and installs the result: a
// custom sampler, and extra processors after the exporters' (the span reaches both).
TEST(Configure, ConfigureFromEnvTakesASamplerAndExtraProcessors) {
  auto mem = std::make_shared<InMemorySpanExporter>();
  auto extra = std::make_shared<InMemorySpanExporter>();
  register_span_exporter("memconfigure", [mem] { return std::make_unique<SharedSpanExporter>(mem); });
  ScopedEnv a("OTEL_SDK_DISABLED", std::nullopt);
  ScopedEnv b("OTEL_TRACES_EXPORTER", "memconfigure");
  ScopedEnv c("OTEL_TRACES_SAMPLER", "always_off");
  ProviderOverrides o;
  o.sampler = always_on_sampler();
  o.processors.push_back(std::make_shared<SimpleSpanProcessor>(std::make_unique<SharedSpanExporter>(extra)));
  auto provider = configure_from_env(o);
  ASSERT_NE(provider, nullptr);
  EXPECT_EQ(tracer_provider(), provider);
  EXPECT_EQ(provider->sampler().description(), "AlwaysOnSampler");
  get_tracer("t")->start_span("both").end();
  EXPECT_TRUE(shutdown());
  ASSERT_EQ(mem->finished_spans().size(), 1u);    // the environment's exporter, batched
  ASSERT_EQ(extra->finished_spans().size(), 1u);  // and the extra processor
  set_tracer_provider(nullptr);
}

TEST(Configure, SpanProcessorsFromEnvMakeASimpleProcessorForTheConsoleAndBatchesOtherwise) {
  register_span_exporter("memlisted", [] { return std::make_unique<InMemorySpanExporter>(); });
  ScopedEnv a("OTEL_TRACES_EXPORTER", "console,memlisted");
  const auto processors = span_processors_from_env();
  ASSERT_EQ(processors.size(), 2u);
  EXPECT_NE(dynamic_cast<SimpleSpanProcessor*>(processors[0].get()), nullptr);
  EXPECT_NE(dynamic_cast<BatchSpanProcessor*>(processors[1].get()), nullptr);
  EXPECT_EQ(span_processors_from_env("none").size(), 0u);  // the argument replaces the variable
  for (const auto& p : processors) p->shutdown();
}

TEST(Configure, MetricsExporterFromTheEnvironmentAndItsInterval) {
  ScopedEnv a("OTEL_SDK_DISABLED", std::nullopt);
  ScopedEnv b("OTEL_TRACES_EXPORTER", "none");
  ScopedEnv c("OTEL_METRICS_EXPORTER", "console");
  ScopedEnv d("OTEL_METRIC_EXPORT_INTERVAL", "3600000");
  ScopedEnv e("OTEL_SERVICE_NAME", "measured");
  ::testing::internal::CaptureStdout();
  configure_from_env();
  auto meters = metrics::meter_provider();
  ASSERT_NE(meters, nullptr);
  EXPECT_EQ(meters->resource().get("service.name")->to_string(), "measured");
  metrics::get_meter("configured").create_counter("configured.requests").add(3);
  EXPECT_TRUE(meters->shutdown());  // the periodic reader exports a last time
  const auto out = ::testing::internal::GetCapturedStdout();
  EXPECT_NE(out.find("configured.requests"), std::string::npos) << out;
  metrics::set_meter_provider(nullptr);
  set_tracer_provider(nullptr);
}

TEST(Configure, MetricsOverridesAndDisabledSdk) {
  ScopedEnv a("OTEL_SDK_DISABLED", std::nullopt);
  ScopedEnv b("OTEL_METRICS_EXPORTER", "console");
  auto reader = std::make_shared<metrics::MetricReader>();
  ProviderOverrides o;
  o.metrics_exporters = "none";  // replaces the environment's console
  o.metric_readers = {reader};
  auto meters = meter_provider_from_env(o);
  ASSERT_NE(meters, nullptr);
  EXPECT_EQ(metrics::meter_provider(), nullptr) << "installs nothing global";
  meters->get_meter("m").create_counter("c").add(1);
  EXPECT_EQ(reader->collect()->scopes.size(), 1u);
  EXPECT_TRUE(metric_readers_from_env("none").empty());
  EXPECT_EQ(metric_readers_from_env("console").size(), 1u);

  tracehop::test::LogCapture logs;
  EXPECT_TRUE(metric_readers_from_env("zipkin").empty());
  EXPECT_TRUE(logs.contains("'zipkin' is not available"));

  ScopedEnv disabled("OTEL_SDK_DISABLED", "true");
  EXPECT_EQ(meter_provider_from_env({}), nullptr);
}

