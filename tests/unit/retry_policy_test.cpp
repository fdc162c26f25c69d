// RetryPolicy's arithmetic: which requests and statuses it retries, the backoff, Retry-After.
#include <gtest/gtest.h>

#include <ctime>

#include "tracehop/http/headers.hpp"
#include "tracehop/http/retry.hpp"

using namespace tracehop::http;
using namespace std::chrono_literals;

TEST(RetryPolicy, IdempotentMethodsOnlyByDefault) {
  RetryPolicy p;
  for (const char* m : {"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"}) EXPECT_TRUE(p.allows(m)) << m;
  EXPECT_FALSE(p.allows("POST"));
  EXPECT_FALSE(p.allows("PATCH"));
  p.idempotent_only = false;
  EXPECT_TRUE(p.allows("POST"));
  p.attempts = 1;
  EXPECT_FALSE(p.allows("GET"));  // one attempt: nothing to retry
}

TEST(RetryPolicy, RetriedStatuses) {
  RetryPolicy p;
  for (int s : {429, 502, 503, 504}) EXPECT_TRUE(p.retries_status(s)) << s;
  for (int s : {200, 404, 500, 501}) EXPECT_FALSE(p.retries_status(s)) << s;
}

TEST(RetryPolicy, BackoffDoublesUpToTheCeilingAndJitterOnlyShortensIt) {
  RetryPolicy p;
  p.initial_backoff = 100ms;
  p.max_backoff = 1s;
  p.jitter = 0;
  EXPECT_EQ(p.backoff(1, 0.7), 100ms);
  EXPECT_EQ(p.backoff(2, 0.7), 200ms);
  EXPECT_EQ(p.backoff(3, 0.7), 400ms);
  EXPECT_EQ(p.backoff(5, 0.7), 1s);
  EXPECT_EQ(p.backoff(500, 0.7), 1s);  // no overflow however many retries
  p.jitter = 0.5;
  EXPECT_EQ(p.backoff(2, 0.0), 200ms);
  EXPECT_EQ(p.backoff(2, 0.5), 150ms);
  EXPECT_EQ(p.backoff(2, 0.999), 100ms);
  p.jitter = 1;  // full jitter
  EXPECT_EQ(p.backoff(1, 0.999), 0ms);
}

TEST(RetryPolicy, RetryAfterInSecondsOrAsAnHttpDate) {
  Headers h;
  EXPECT_EQ(RetryPolicy::retry_after(h), std::nullopt);
  h.set("Retry-After", "3");
  EXPECT_EQ(RetryPolicy::retry_after(h), 3000ms);
  h.set("Retry-After", " 0 ");
  EXPECT_EQ(RetryPolicy::retry_after(h), 0ms);
  for (const char* bad : {"-1", "1.5", "soon", "", "3s"}) {
    h.set("Retry-After", bad);
    EXPECT_EQ(RetryPolicy::retry_after(h), std::nullopt) << bad;
  }
  h.set("Retry-After", "99999999999999999999999");  // capped, not wrapped
  EXPECT_GE(*RetryPolicy::retry_after(h), std::chrono::hours(24 * 365));

  h.set("Retry-After", "Wed, 21 Oct 2015 07:28:00 GMT");  // in the past: at once
  EXPECT_EQ(RetryPolicy::retry_after(h), 0ms);
  const std::time_t later = std::time(nullptr) + 120;
  char date[64];
  std::tm tm{};
  gmtime_r(&later, &tm);
  std::strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  h.set("Retry-After", date);
  const auto wait = RetryPolicy::retry_after(h);
  ASSERT_TRUE(wait);
  EXPECT_GT(*wait, 100s);
  EXPECT_LE(*wait, 120s);
}
