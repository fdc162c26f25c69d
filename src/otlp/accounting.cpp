#include "accounting.hpp"

#include "tracehop/http/retry.hpp"
#include "tracehop/log.hpp"

namespace tracehop::otlp::detail {

void Accounting::rejected(std::uint64_t n, const std::string& why) {
  rejected_ += n;
  if (n == 0 && why.empty()) return;
  std::lock_guard lk(mu_);
  if (logged_.insert("rejected: " + why).second)
    log_warn("otlp: " + endpoint_ + " rejected " + std::to_string(n) + " " + unit_ + (why.empty() ? "" : ": " + why) +
             " (logged once per message)");
}

void Accounting::failed(std::uint64_t n, const std::string& reason) {
  failed_ += n;
  std::lock_guard lk(mu_);
  if (logged_.contains(reason)) return;
  if (stopping_) {
    unlogged_.insert(reason);
    return;
  }
  logged_.insert(reason);
  log_error("otlp: " + std::to_string(n) + " " + unit_ + " not delivered to " + endpoint_ + ": " + reason +
            " (logged once per reason; counted from now on)");
}

ExporterStats Accounting::stats() const noexcept {
  return {exported_.load(), rejected_.load(), failed_.load(), requests_.load(), retries_.load()};
}

void Accounting::summary() const {
  const auto s = stats();
  if (!s.failed && !s.rejected) return;
  std::string line = "otlp: " + std::to_string(s.failed) + " " + unit_ + " not delivered to " + endpoint_;
  {
    std::lock_guard lk(mu_);
    std::string reasons;
    for (const auto& r : unlogged_) reasons += (reasons.empty() ? "" : "; ") + r;
    if (!reasons.empty()) line += " (" + reasons + ")";
  }
  log_warn(line + ", " + std::to_string(s.exported) + " exported, " + std::to_string(s.rejected) +
           " rejected by the receiver");
}

std::optional<std::chrono::milliseconds> Accounting::next_attempt(const ExporterOptions& options, int attempt,
                                                                  std::optional<std::chrono::milliseconds> asked,
                                                                  std::chrono::steady_clock::time_point deadline,
                                                                  bool stopping, std::uint64_t spans,
                                                                  const std::string& reason) {
  http::RetryPolicy policy;
  policy.initial_backoff = options.initial_backoff;
  policy.max_backoff = options.max_backoff;
  policy.multiplier = 2;
  policy.jitter = 0.5;
  const auto pause = asked.value_or(policy.backoff(attempt));
  if (stopping || std::chrono::steady_clock::now() + pause >= deadline) {
    failed(spans, reason);
    return std::nullopt;
  }
  retry();
  return pause;
}

}  // namespace tracehop::otlp::detail
