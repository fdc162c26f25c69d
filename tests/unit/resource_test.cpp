#include <gtest/gtest.h>

#include "test_util.hpp"

using namespace tracehop::trace;
using tracehop::test::ScopedEnv;

namespace {
std::string str(const Resource& r, std::string_view key) {
  const auto* v = r.get(key);
  return v && v->get_if<std::string>() ? *v->get_if<std::string>() : "<missing>";
}
}  // namespace

TEST(Resource, DefaultServiceNameIsUnknownServiceWithProcessName) {
  ScopedEnv a("OTEL_SERVICE_NAME", std::nullopt);
  ScopedEnv b("OTEL_RESOURCE_ATTRIBUTES", std::nullopt);
  auto r = Resource::create();
  EXPECT_EQ(str(r, "service.name").rfind("unknown_service:", 0), 0u);
  EXPECT_GT(str(r, "service.name").size(), std::string("unknown_service:").size());
  EXPECT_EQ(str(r, "telemetry.sdk.name"), "tracehop");
  EXPECT_EQ(str(r, "telemetry.sdk.language"), "cpp");
  EXPECT_NE(str(r, "telemetry.sdk.version"), "<missing>");
}

TEST(Resource, EnvAttributesArePercentDecoded) {
  ScopedEnv a("OTEL_SERVICE_NAME", std::nullopt);
  ScopedEnv b("OTEL_RESOURCE_ATTRIBUTES", " service.name=inventory , team=a%20b%2Cc,deployment.environment=prod ");
  auto r = Resource::create();
  EXPECT_EQ(str(r, "service.name"), "inventory");
  EXPECT_EQ(str(r, "team"), "a b,c");
  EXPECT_EQ(str(r, "deployment.environment"), "prod");
}

TEST(Resource, ServiceNameEnvWinsOverResourceAttributes) {
  ScopedEnv a("OTEL_SERVICE_NAME", "checkout-gateway");
  ScopedEnv b("OTEL_RESOURCE_ATTRIBUTES", "service.name=other");
  EXPECT_EQ(str(Resource::create(), "service.name"), "checkout-gateway");
}

TEST(Resource, UserAttributesWinOverEnv) {
  ScopedEnv a("OTEL_SERVICE_NAME", "from-env");
  auto r = Resource::create(Resource(Attributes{KeyValue{"service.name", "from-code"}}));
  EXPECT_EQ(str(r, "service.name"), "from-code");
}

TEST(Resource, MalformedEnvIsIgnoredWhole) {
  tracehop::test::LogCapture logs;
  ScopedEnv a("OTEL_SERVICE_NAME", std::nullopt);
  ScopedEnv b("OTEL_RESOURCE_ATTRIBUTES", "good=1,broken,other=2");
  auto r = Resource::create();
  EXPECT_EQ(r.get("good"), nullptr);
  EXPECT_TRUE(logs.contains("OTEL_RESOURCE_ATTRIBUTES"));
  EXPECT_FALSE(Resource::parse_attribute_list("k=%zz"));
  EXPECT_FALSE(Resource::parse_attribute_list("=v"));
}

TEST(Resource, MergeUpdatingWinsAndSchemaUrlRules) {
  Resource a(Attributes{{"k", "a"}, {"only_a", 1}}, "https://opentelemetry.io/schemas/1.21.0");
  Resource b(Attributes{{"k", "b"}, {"only_b", 2}});
  auto m = a.merge(b);
  EXPECT_EQ(str(m, "k"), "b");
  EXPECT_NE(m.get("only_a"), nullptr);
  EXPECT_NE(m.get("only_b"), nullptr);
  EXPECT_EQ(m.schema_url(), "https://opentelemetry.io/schemas/1.21.0");
  EXPECT_EQ(b.merge(a).schema_url(), "https://opentelemetry.io/schemas/1.21.0");
  tracehop::test::LogCapture logs;
  Resource c(Attributes{}, "https://opentelemetry.io/schemas/1.24.0");
  EXPECT_EQ(a.merge(c).schema_url(), "https://opentelemetry.io/schemas/1.21.0");
  EXPECT_TRUE(logs.contains("schema URLs differ"));
}
