#include "tracehop/http/retry.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <algorithm>
#include <charconv>
#include <cmath>

#include "exchange.hpp"
#include "response_state.hpp"
#include "rfc9110.hpp"
#include "tracehop/http/headers.hpp"
#include "tracehop/trace/ids.hpp"
#include "tracehop/log.hpp"

namespace tracehop::http {

bool RetryPolicy::allows(std::string_view method) const noexcept {
  return attempts > 1 && (!idempotent_only || detail::idempotent(method));
}

bool RetryPolicy::retries_status(int status) const noexcept {
  return std::find(statuses.begin(), statuses.end(), status) != statuses.end();
}

std::chrono::milliseconds RetryPolicy::backoff(int retry, double unit) const noexcept {
  const double ceiling = static_cast<double>(max_backoff.count());
  double ms = static_cast<double>(initial_backoff.count()) * std::pow(std::max(multiplier, 1.0), std::max(retry - 1, 0));
  ms = std::min(ms, ceiling);
  const double j = std::clamp(jitter, 0.0, 1.0);
  ms *= 1.0 - j * std::clamp(unit, 0.0, 1.0);
  return std::chrono::milliseconds(static_cast<std::int64_t>(std::max(ms, 0.0)));
}

std::chrono::milliseconds RetryPolicy::backoff(int retry) const noexcept {
  return backoff(retry, static_cast<double>(trace::random_u64() >> 11) * 0x1.0p-53);  // [0, 1)
}

std::optional<std::chrono::milliseconds> RetryPolicy::retry_after(const Headers& headers) {
  constexpr std::chrono::seconds kLongest{365LL * 24 * 3600};  // keeps the arithmetic in range
  const auto value = headers.first("Retry-After");
  if (!value) return std::nullopt;
  const std::string_view v = detail::trim_ows(*value);
  // RFC 9110 §10.2.3: delay-seconds (1*DIGIT) or an HTTP-date.
  std::int64_t seconds = 0;
  const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), seconds);
  if (!v.empty() && ec == std::errc{} && end == v.data() + v.size() && seconds >= 0)
    return std::chrono::seconds(std::min<std::int64_t>(seconds, kLongest.count()));
  if (ec == std::errc::result_out_of_range) return kLongest;
  if (const auto when = detail::parse_imf_fixdate(v)) {
    const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    return std::chrono::seconds(std::clamp<std::time_t>(*when - now, 0, kLongest.count()));
  }
  return std::nullopt;
}

}  // namespace tracehop::http

// --- request()'s retry loop ---------------------------------------------------------------------

namespace tracehop::http::detail {

namespace {
// A coroutine of its own, so that the timer is not part of every request's frame.
boost::asio::awaitable<void> sleep_for(std::chrono::milliseconds wait) {
  boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor, wait);
  co_await timer.async_wait(boost::asio::use_awaitable);
}
}  // namespace

boost::asio::awaitable<Response> with_retries(Exchange exchange) {
  const RetryPolicy* const retry = exchange.retry_policy();
  const bool raise = exchange.raises_for_status();
  for (int attempt = 1;; ++attempt) {
    const bool last = !retry || attempt >= retry->attempts;
    std::optional<std::chrono::milliseconds> wait;
    std::string why;
    try {
      Response resp = co_await exchange.attempt(last);
      if (last || !retry->retries_status(resp.status())) {
        if (raise && resp.status() >= 400) {
          resp.release();
          resp.raise_for_status();
        }
        co_return resp;
      }
      wait = retry->backoff(attempt);
      if (retry->respect_retry_after) {
        if (const auto asked = RetryPolicy::retry_after(resp.headers())) {
          if (*asked > retry->max_retry_after) {  // too long to wait: the answer stands
            if (raise) {
              resp.release();
              resp.raise_for_status();
            }
            co_return resp;
          }
          wait = *asked;
        }
      }
      why = "status " + std::to_string(resp.status());
      co_await discard_small_body(resp);
    } catch (const ClientSSLError&) {
      throw;  // a certificate problem does not go away by asking again
    } catch (const ClientConnectionError& e) {
      if (last || !retry->on_connection_errors) throw;
      wait = retry->backoff(attempt);
      why = e.what();
    } catch (const boost::system::system_error&) {  // cancelled: say which request
      rethrow_naming_request(std::current_exception(), exchange.outgoing().method, exchange.outgoing().url->buffer());
    }
    log_debug("retrying " + exchange.outgoing().method + " " + std::string(exchange.outgoing().url->buffer()) + " after " + why + " in " +
              std::to_string(wait->count()) + " ms (attempt " + std::to_string(attempt + 1) + " of " +
              std::to_string(retry->attempts) + ")");
    if (wait->count() > 0) {
      try {
        co_await sleep_for(*wait);
      } catch (const boost::system::system_error&) {
        rethrow_naming_request(std::current_exception(), exchange.outgoing().method, exchange.outgoing().url->buffer(),
                               "waiting to retry");
      }
    }
  }
}

}  // namespace tracehop::http::detail
