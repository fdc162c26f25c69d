// The semantic-conventions settings, URL redaction and excluded-URL patterns of the instrumentation, without I/O.
#include <gtest/gtest.h>

#include "http_metrics.hpp"
#include "test_util.hpp"
#include "request_rules.hpp"
#include "tracehop/instrument/semconv.hpp"

using namespace tracehop;
using instrument::SemconvMode;

TEST(Semconv, ModeComesFromTheEnvironment) {
  test::ScopedEnv env("OTEL_SEMCONV_STABILITY_OPT_IN", "database, http/dup, http");
  EXPECT_EQ(instrument::semconv_mode_from_env(), SemconvMode::Duplicate);
  test::ScopedEnv stable("OTEL_SEMCONV_STABILITY_OPT_IN", "http");
  EXPECT_EQ(instrument::semconv_mode_from_env(), SemconvMode::Stable);
  test::ScopedEnv none("OTEL_SEMCONV_STABILITY_OPT_IN", std::nullopt);
  EXPECT_EQ(instrument::semconv_mode_from_env(), SemconvMode::Old);
}

TEST(Semconv, CredentialsAndSensitiveQueryValuesAreRedacted) {
  EXPECT_EQ(instrument::redact_url("https://user:pass@example.com/p?a=1&X-Amz-Signature=abc&sig=x#frag"),
            "https://REDACTED:REDACTED@example.com/p?a=1&X-Amz-Signature=REDACTED&sig=REDACTED");
  EXPECT_EQ(instrument::redact_url("http://h/p?AWSAccessKeyId=k&b=2"), "http://h/p?AWSAccessKeyId=REDACTED&b=2");
  EXPECT_EQ(instrument::redact_url("http://h/plain?q=1"), "http://h/plain?q=1");
  EXPECT_EQ(instrument::redact_url("not a url at all"), "not a url at all");
  EXPECT_EQ(instrument::redact_url("http://h/p?mine=1", {"mine"}), "http://h/p?mine=REDACTED");
}

TEST(ExcludedUrls, PlainTextIsSearchedForAsIsAndRegularExpressionsAsSuch) {
  using instrument::detail::compile_patterns;
  using instrument::detail::matches_any;
  test::LogCapture log;
  const auto patterns = compile_patterns({"/healthz", "^https://internal\\.", "/items/[0-9]+$", "(unclosed"});
  ASSERT_EQ(patterns.size(), 3u);  // the bad one is logged and left out
  EXPECT_FALSE(patterns[0].regex);
  EXPECT_TRUE(patterns[1].regex);
  EXPECT_TRUE(log.contains("'(unclosed' is not a regular expression"));
  EXPECT_TRUE(matches_any(patterns, "http://svc:8080/healthz?probe=1"));
  EXPECT_TRUE(matches_any(patterns, "https://internal.example/x"));
  EXPECT_FALSE(matches_any(patterns, "https://public.example/internal.x"));
  EXPECT_TRUE(matches_any(patterns, "http://svc/items/42"));
  EXPECT_FALSE(matches_any(patterns, "http://svc/items/42/reviews"));
  EXPECT_FALSE(matches_any(patterns, "http://svc/HEALTHZ"));  // case matters, as in a regex
}

TEST(Semconv, AMetricsMethodSchemeAndVersionAreLiteralsWhenStandard) {
  // Literals: a series matches them by their address, no characters compared.
  using namespace instrument::detail;
  const std::string get = "GET", patch = "PATCH", brew = "BREW";
  EXPECT_EQ(method_value(get).as_string(), "GET");
  EXPECT_TRUE(method_value(get).literal());
  EXPECT_TRUE(method_value(patch).literal());
  EXPECT_EQ(method_value(brew).as_string(), "_OTHER");
  EXPECT_EQ(method_value("get").as_string(), "_OTHER");  // methods are case-sensitive
  EXPECT_TRUE(scheme_value("https").literal());
  EXPECT_EQ(scheme_value(std::string("http")).as_string(), "http");
  EXPECT_TRUE(scheme_value(std::string("http")).literal());
  EXPECT_FALSE(scheme_value(std::string("ws")).literal());
  EXPECT_EQ(scheme_value(std::string("ws")).as_string(), "ws");
  EXPECT_EQ(version_value(10).as_string(), "1.0");
  EXPECT_EQ(version_value(11).as_string(), "1.1");
  EXPECT_TRUE(version_value(11).literal());
}

TEST(Semconv, KnownMethodsAreRfc9110sAndPatchAsMethodValueGivesThem) {
  for (const std::string m : {"GET", "PUT", "POST", "HEAD", "PATCH", "TRACE", "DELETE", "OPTIONS", "CONNECT"}) {
    EXPECT_TRUE(instrument::is_known_method(m)) << m;
    EXPECT_EQ(instrument::detail::method_value(m).as_string(), m);
    EXPECT_TRUE(instrument::detail::is_known(instrument::detail::method_value(m))) << m;
  }
  for (const std::string m : {"get", "BREW", "_OTHER", "", "OPTIONSX", "GE"}) {
    EXPECT_FALSE(instrument::is_known_method(m)) << m;
    EXPECT_FALSE(instrument::detail::is_known(instrument::detail::method_value(m))) << m;
  }
}
