#include <gtest/gtest.h>

#include <sstream>

#include "test_util.hpp"

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
