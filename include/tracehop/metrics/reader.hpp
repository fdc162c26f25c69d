#pragma once
// Metric readers: what collects a provider's instruments. MetricReader itself is the pull
// reader (a Prometheus endpoint calls collect() when scraped); PeriodicExportingMetricReader
// collects on a timer and hands each collection to an exporter. A reader serves one provider.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "tracehop/metrics/exporter.hpp"

namespace tracehop::metrics {

namespace detail {
class ProviderState;
}

class MetricReader {
 public:
  explicit MetricReader(TemporalitySelector preference = cumulative_temporality) noexcept
      : temporality_(preference) {}
  virtual ~MetricReader();
  MetricReader(const MetricReader&) = delete;
  MetricReader& operator=(const MetricReader&) = delete;

  /// Runs the observable instruments' callbacks and gathers every stream this reader reads.
  /// nullopt when the reader is not registered with a provider, or is shut down.
  /// Thread-safe: collections of one reader run one at a time.
  std::optional<ResourceMetrics> collect();
  Temporality temporality(InstrumentKind kind) const noexcept { return temporality_(kind); }

  bool force_flush(std::chrono::milliseconds timeout = std::chrono::seconds(30));
  /// Idempotent; collect() returns nullopt afterwards.
  bool shutdown(std::chrono::milliseconds timeout = std::chrono::seconds(30));

 protected:
  virtual bool on_force_flush(std::chrono::milliseconds /*timeout*/) { return true; }
  virtual bool on_shutdown(std::chrono::milliseconds /*timeout*/) { return true; }

 private:
  friend class detail::ProviderState;
  TemporalitySelector temporality_;
  std::mutex mutex_;  // one collection at a time; guards what follows
  std::weak_ptr<detail::ProviderState> provider_;
  std::size_t index_ = 0;  // this reader's position among its provider's readers
  bool registered_ = false;
  bool shutting_down_ = false;
  bool shut_down_ = false;
};

struct PeriodicReaderOptions {
  /// Default: OTEL_METRIC_EXPORT_INTERVAL (ms), else 60 s.
  std::optional<std::chrono::milliseconds> interval;
  /// How long force_flush() and shutdown() wait for their export (the exporter bounds each
  /// export itself, the OTLP ones by OTEL_EXPORTER_OTLP_TIMEOUT). Default:
  /// OTEL_METRIC_EXPORT_TIMEOUT (ms), else 30 s.
  std::optional<std::chrono::milliseconds> timeout;
};

/// Collects every interval on a thread of its own and exports; force_flush() collects and
/// exports at once; shutdown() exports a last collection, then shuts the exporter down.
class PeriodicExportingMetricReader final : public MetricReader {
 public:
  explicit PeriodicExportingMetricReader(std::unique_ptr<MetricExporter> exporter,
                                         PeriodicReaderOptions options = {});
  ~PeriodicExportingMetricReader() override;

  std::chrono::milliseconds interval() const noexcept { return interval_; }
  std::chrono::milliseconds timeout() const noexcept { return timeout_; }

 private:
  bool on_force_flush(std::chrono::milliseconds timeout) override;
  bool on_shutdown(std::chrono::milliseconds timeout) override;
  void run();
  bool collect_and_export();
  bool wait_for_export(std::unique_lock<std::mutex>& lock, std::uint64_t generation,
                       std::chrono::milliseconds timeout);

  std::unique_ptr<MetricExporter> exporter_;
  std::chrono::milliseconds interval_;
  std::chrono::milliseconds timeout_;
  // The worker exports; a flush asks it to (generation numbers say when its export is done).
  std::mutex wake_mutex_;
  std::condition_variable wake_;
  std::condition_variable done_;
  std::uint64_t flush_requested_ = 0;
  std::uint64_t flush_done_ = 0;
  bool last_result_ = true;
  bool stopping_ = false;
  bool stopped_ = false;
  std::thread worker_;
};

}  // namespace tracehop::metrics
