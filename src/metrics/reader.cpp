// The pull reader and the periodic exporting reader.

#include "tracehop/metrics/reader.hpp"

#include "common/env.hpp"
#include "provider.hpp"
#include "tracehop/log.hpp"

namespace tracehop::metrics {

MetricReader::~MetricReader() = default;

std::optional<ResourceMetrics> MetricReader::collect() {
  std::lock_guard lock(mutex_);
  if (shut_down_) return std::nullopt;
  auto provider = provider_.lock();
  if (!provider) return std::nullopt;
  return provider->collect(index_);
}

bool MetricReader::force_flush(std::chrono::milliseconds timeout) {
  {
    std::lock_guard lock(mutex_);
    if (shut_down_) return false;
  }
  return on_force_flush(timeout);
}

bool MetricReader::shutdown(std::chrono::milliseconds timeout) {
  {
    std::lock_guard lock(mutex_);
    if (shut_down_ || shutting_down_) return true;
    shutting_down_ = true;
  }
  const bool ok = on_shutdown(timeout);  // (a periodic reader collects one last time in it)
  std::lock_guard lock(mutex_);
  shut_down_ = true;
  return ok;
}

namespace {
std::chrono::milliseconds from_env(const char* name, std::chrono::milliseconds fallback) {
  const auto v = tracehop::detail::env_uint(name);
  return v && *v > 0 ? std::chrono::milliseconds(*v) : fallback;
}
}  // namespace

PeriodicExportingMetricReader::PeriodicExportingMetricReader(std::unique_ptr<MetricExporter> exporter,
                                                             PeriodicReaderOptions options)
    : MetricReader(exporter ? exporter->temporality() : cumulative_temporality),
      exporter_(std::move(exporter)),
      interval_(options.interval ? *options.interval : from_env("OTEL_METRIC_EXPORT_INTERVAL", std::chrono::seconds(60))),
      timeout_(options.timeout ? *options.timeout : from_env("OTEL_METRIC_EXPORT_TIMEOUT", std::chrono::seconds(30))) {
  if (interval_ <= std::chrono::milliseconds(0)) interval_ = std::chrono::seconds(60);
  worker_ = std::thread([this] { run(); });
}

PeriodicExportingMetricReader::~PeriodicExportingMetricReader() {
  shutdown(timeout_);
  {
    std::lock_guard lock(wake_mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (worker_.joinable()) worker_.join();
}

bool PeriodicExportingMetricReader::collect_and_export() {
  auto metrics = collect();
  if (!metrics || !exporter_) return metrics.has_value();
  return exporter_->export_metrics(*metrics) == ExportResult::Success;
}

void PeriodicExportingMetricReader::run() {
  std::unique_lock lock(wake_mutex_);
  auto next = std::chrono::steady_clock::now() + interval_;
  for (;;) {
    wake_.wait_until(lock, next, [&] { return stopping_ || flush_requested_ > flush_done_; });
    if (stopping_) break;
    const std::uint64_t generation = flush_requested_;
    lock.unlock();
    const bool ok = collect_and_export();
    lock.lock();
    if (generation > flush_done_) {
      flush_done_ = generation;
      last_result_ = ok;
      done_.notify_all();
    }
    if (std::chrono::steady_clock::now() >= next) next = std::chrono::steady_clock::now() + interval_;
  }
  // The last collection, for a shutdown.
  const std::uint64_t generation = flush_requested_;
  lock.unlock();
  const bool ok = collect_and_export();
  lock.lock();
  flush_done_ = generation;
  last_result_ = ok;
  stopped_ = true;
  done_.notify_all();
}

bool PeriodicExportingMetricReader::wait_for_export(std::unique_lock<std::mutex>& lock, std::uint64_t generation,
                                                    std::chrono::milliseconds timeout) {
  return done_.wait_for(lock, timeout, [&] { return flush_done_ >= generation || stopped_; }) && last_result_;
}

bool PeriodicExportingMetricReader::on_force_flush(std::chrono::milliseconds timeout) {
  std::unique_lock lock(wake_mutex_);
  if (stopping_) return false;
  const std::uint64_t generation = ++flush_requested_;
  wake_.notify_all();
  const bool ok = wait_for_export(lock, generation, timeout);
  lock.unlock();
  return exporter_ ? exporter_->force_flush(timeout) && ok : ok;
}

bool PeriodicExportingMetricReader::on_shutdown(std::chrono::milliseconds timeout) {
  if (exporter_) exporter_->before_last_export();
  std::unique_lock lock(wake_mutex_);
  stopping_ = true;
  const std::uint64_t generation = ++flush_requested_;
  wake_.notify_all();
  const bool exported = done_.wait_for(lock, timeout, [&] { return stopped_; }) && flush_done_ >= generation && last_result_;
  if (!stopped_) log_warn("the periodic metric reader's last export did not end within its timeout");
  lock.unlock();
  return exporter_ ? exporter_->shutdown(timeout) && exported : exported;
}

}  // namespace tracehop::metrics
