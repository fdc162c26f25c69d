#pragma once
// RetryPolicy: a request() tried again after a retryable status or connection failure, with
// exponential backoff and jitter, honouring Retry-After. Each attempt is a physical request of
// its own (its own lifecycle signals, so its own CLIENT span with http.request.resend_count);
// no span wraps the attempts.
//
//   RetryPolicy retry;           // 3 attempts, 100 ms doubling, 429/502/503/504 and
//   retry.attempts = 4;          // connection errors, idempotent methods only
//   SessionOptions o;
//   o.retry = retry;             // or per request: RequestOptions::retry

#include <array>
#include <chrono>
#include <optional>
#include <string_view>
#include <vector>

namespace tracehop::http {

class Headers;

/// The statuses that ask to try again later (RFC 6585, RFC 9110): retried by default, and what
/// the OTLP exporters retry.
inline constexpr std::array<int, 4> kRetryableStatuses{429, 502, 503, 504};

struct RetryPolicy {
  /// Attempts in all, the first one included (1: no retry).
  int attempts = 3;
  /// The wait before the first retry; each later wait is `multiplier` times the one before,
  /// up to `max_backoff`.
  std::chrono::milliseconds initial_backoff{100};
  double multiplier = 2.0;
  std::chrono::milliseconds max_backoff{5'000};
  /// How much of each wait is random: the wait is drawn uniformly from
  /// [backoff * (1 - jitter), backoff]. 0: exact waits; 1: "full jitter".
  double jitter = 0.5;
  /// Responses with these statuses are retried (the last attempt's response is returned as is).
  std::vector<int> statuses{kRetryableStatuses.begin(), kRetryableStatuses.end()};
  /// Connection failures (refused, reset, disconnected) and timeouts are retried.
  bool on_connection_errors = true;
  /// A Retry-After header (seconds or an HTTP date) on a retried response sets the wait.
  bool respect_retry_after = true;
  /// A Retry-After longer than this is not waited for: the response is returned instead.
  std::chrono::milliseconds max_retry_after{30'000};
  /// Only GET, HEAD, OPTIONS, PUT, DELETE and TRACE are retried; false retries every method.
  bool idempotent_only = true;

  /// Whether a request with `method` may be retried at all.
  bool allows(std::string_view method) const noexcept;
  /// Whether a response of `status` is retried.
  bool retries_status(int status) const noexcept;
  /// The wait before retry number `retry` (1 for the first retry), jitter drawn from `unit`
  /// (a number in [0, 1)).
  std::chrono::milliseconds backoff(int retry, double unit) const noexcept;
  /// The same with the jitter drawn from the SDK's random source.
  std::chrono::milliseconds backoff(int retry) const noexcept;
  /// The wait a response's Retry-After asks for, if it has a valid one (never negative).
  static std::optional<std::chrono::milliseconds> retry_after(const Headers& headers);
};

}  // namespace tracehop::http
