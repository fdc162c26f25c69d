// The semantic-conventions settings and URL redaction of the instrumentation, without I/O.
#include <gtest/gtest.h>

#include "test_util.hpp"
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
