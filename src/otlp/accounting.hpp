#pragma once
// What both OTLP exporters share (internal): the stats, logging each kind of failure once, when
// to try again within the export's timeout, and the shutdown summary.

#include <atomic>
#include <chrono>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include "tracehop/otlp/exporter.hpp"

namespace tracehop::otlp::detail {

class Accounting {
 public:
  /// `unit`: what is counted, in log lines ("spans", "data points").
  explicit Accounting(std::string endpoint, std::string unit = "spans")
      : endpoint_(std::move(endpoint)), unit_(std::move(unit)) {}

  void exported(std::uint64_t n) noexcept { exported_ += n; }
  void request() noexcept { ++requests_; }
  void retry() noexcept { ++retries_; }
  /// A partial success: `n` spans rejected, `why` the receiver's message.
  void rejected(std::uint64_t n, const std::string& why);
  /// `n` spans not delivered; logged once per `reason` (once stopping: by the summary).
  void failed(std::uint64_t n, const std::string& reason);
  /// The exporter is shutting down: what fails from now on is told by the summary alone, so
  /// that a collector that is not there costs a program's exit one line.
  void stopping() noexcept { stopping_ = true; }
  ExporterStats stats() const noexcept;
  /// Logs what was not delivered over the exporter's life, if anything, in one line with the
  /// reasons not logged before.
  void summary() const;

  /// After failed attempt number `attempt` of an export of `spans` spans: the pause before the
  /// next one (what the receiver `asked` for, else exponential backoff with jitter), counted as a
  /// retry; or nullopt, with the spans counted as not delivered for `reason`, when that pause
  /// would end at or past `deadline` (the export's timeout) or the exporter is `stopping`.
  std::optional<std::chrono::milliseconds> next_attempt(const ExporterOptions& options, int attempt,
                                                        std::optional<std::chrono::milliseconds> asked,
                                                        std::chrono::steady_clock::time_point deadline,
                                                        bool stopping, std::uint64_t spans,
                                                        const std::string& reason);

 private:
  std::string endpoint_;
  std::string unit_;
  std::atomic<std::uint64_t> exported_{0}, rejected_{0}, failed_{0}, requests_{0}, retries_{0};
  std::atomic<bool> stopping_{false};
  mutable std::mutex mu_;
  std::set<std::string> logged_;
  std::set<std::string> unlogged_;  // reasons met while stopping
};

}  // namespace tracehop::otlp::detail
