#pragma once
// What both OTLP exporters share: the stats, logging each kind of failure once, the backoff
// between retries, and the shutdown summary (internal).

#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <string>

#include "tracehop/otlp/exporter.hpp"

namespace tracehop::otlp::detail {

class Accounting {
 public:
  explicit Accounting(std::string endpoint) : endpoint_(std::move(endpoint)) {}

  void exported(std::uint64_t n) noexcept { exported_ += n; }
  void request() noexcept { ++requests_; }
  void retry() noexcept { ++retries_; }
  /// A partial success: `n` spans rejected, `why` the receiver's message.
  void rejected(std::uint64_t n, const std::string& why);
  /// `n` spans not delivered; logged once per `reason`.
  void failed(std::uint64_t n, const std::string& reason);
  ExporterStats stats() const noexcept;
  /// Logs what was not delivered over the exporter's life, if anything.
  void summary() const;

  /// The wait before retry number `retry` (1 for the first): exponential, with jitter.
  static std::chrono::milliseconds backoff(const ExporterOptions& options, int retry);

 private:
  std::string endpoint_;
  std::atomic<std::uint64_t> exported_{0}, rejected_{0}, failed_{0}, requests_{0}, retries_{0};
  std::mutex mu_;
  std::set<std::string> logged_;
};

}  // namespace tracehop::otlp::detail
