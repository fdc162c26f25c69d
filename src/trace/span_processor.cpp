#include "tracehop/trace/span_processor.hpp"

#include <algorithm>
#include <string>

#include "bounded_queue.hpp"
#include "internal.hpp"
#include "tracehop/log.hpp"

namespace tracehop::trace {

// --- SimpleSpanProcessor ---------------------------------------------------------------------

SimpleSpanProcessor::SimpleSpanProcessor(std::unique_ptr<SpanExporter> exporter)
    : exporter_(std::move(exporter)) {}

void SimpleSpanProcessor::on_end(SpanDataPtr span) noexcept {
  if (!span->context.sampled()) return;
  std::lock_guard lk(mu_);
  if (shut_down_) return;
  const SpanDataPtr one[] = {std::move(span)};
  if (exporter_->export_spans(one) != ExportResult::Success)
    log_debug("simple span processor: export failed, 1 span lost");
}

bool SimpleSpanProcessor::force_flush(std::chrono::milliseconds timeout) noexcept {
  std::lock_guard lk(mu_);
  return shut_down_ || exporter_->force_flush(timeout);
}

bool SimpleSpanProcessor::shutdown(std::chrono::milliseconds timeout) noexcept {
  std::lock_guard lk(mu_);
  if (std::exchange(shut_down_, true)) return true;
  return exporter_->shutdown(timeout);
}

// --- BatchSpanProcessor ----------------------------------------------------------------------

BatchSpanProcessorOptions BatchSpanProcessorOptions::from_env() {
  BatchSpanProcessorOptions o;
  if (auto v = detail::env_uint("OTEL_BSP_MAX_QUEUE_SIZE"); v && *v > 0) o.max_queue_size = *v;
  if (auto v = detail::env_uint("OTEL_BSP_SCHEDULE_DELAY")) o.schedule_delay = std::chrono::milliseconds(*v);
  if (auto v = detail::env_uint("OTEL_BSP_EXPORT_TIMEOUT")) o.export_timeout = std::chrono::milliseconds(*v);
  if (auto v = detail::env_uint("OTEL_BSP_MAX_EXPORT_BATCH_SIZE"); v && *v > 0)
    o.max_export_batch_size = *v;
  if (o.max_export_batch_size > o.max_queue_size) {
    log_warn("OTEL_BSP_MAX_EXPORT_BATCH_SIZE exceeds OTEL_BSP_MAX_QUEUE_SIZE; using the queue size");
    o.max_export_batch_size = o.max_queue_size;
  }
  return o;
}

BatchSpanProcessor::BatchSpanProcessor(std::unique_ptr<SpanExporter> exporter,
                                       BatchSpanProcessorOptions options)
    : options_(options), exporter_(std::move(exporter)) {
  if (options_.max_queue_size == 0) options_.max_queue_size = 1;
  options_.max_export_batch_size =
      std::clamp<std::size_t>(options_.max_export_batch_size, 1, options_.max_queue_size);
  queue_ = std::make_unique<detail::BoundedQueue<SpanDataPtr>>(options_.max_queue_size);
  max_in_flight_ = std::max<std::size_t>(exporter_->max_concurrent_exports(), 1);
  worker_ = std::thread([this] { run(); });
}

BatchSpanProcessor::~BatchSpanProcessor() { shutdown(options_.export_timeout); }

std::size_t BatchSpanProcessor::queued_now() const noexcept {
  return queue_->size();
}

void BatchSpanProcessor::on_end(SpanDataPtr span) noexcept {
  if (!span->context.sampled()) return;
  if (shutting_down_.load(std::memory_order_relaxed)) {
    dropped_after_shutdown_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  if (!queue_->try_push(span)) {
    // Counted, and reported at shutdown: logging here would turn an overload into a log flood.
    dropped_full_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  // Wake the worker once per full batch. Taking the mutex makes the wake-up impossible to lose
  // between the worker's check and its wait; it happens once per batch, not per span.
  if (queued_now() >= options_.max_export_batch_size &&
      !wake_pending_.exchange(true, std::memory_order_acq_rel)) {
    { std::lock_guard lk(mu_); }
    wake_.notify_one();
  }
}

bool BatchSpanProcessor::export_batch(std::vector<SpanDataPtr>& batch, std::chrono::steady_clock::time_point deadline) {
  if (batch.empty()) return true;
  if (deadline != std::chrono::steady_clock::time_point::max() && std::chrono::steady_clock::now() >= deadline)
    return false;  // no export starts after shutdown's deadline
  {
    std::unique_lock lk(mu_);
    if (!settled_.wait_until(lk, deadline, [&] { return in_flight_ < max_in_flight_; })) return false;
    ++in_flight_;
  }
  const auto n = batch.size();
  exporter_->export_spans_async(batch, [this, n](ExportResult result) {
    if (result == ExportResult::Success) {
      exported_.fetch_add(n, std::memory_order_relaxed);
    } else {
      export_failed_.fetch_add(n, std::memory_order_relaxed);
      log_debug("batch span processor: export of " + std::to_string(n) + " spans failed");
    }
    std::lock_guard lk(mu_);
    --in_flight_;
    settled_.notify_all();
  });
  batch.clear();
  return true;
}

void BatchSpanProcessor::run() {
  std::vector<SpanDataPtr> batch;
  batch.reserve(options_.max_export_batch_size);
  std::unique_lock lk(mu_);
  for (;;) {
    // Re-arm the producers' wake-up before every look at the queue, also each time the wait
    // wakes without work: a producer that fills a batch after this point notifies (under mu_,
    // so not before we wait); one that did before is seen by the check. The exchange acquires
    // what that producer queued. (Re-armed only before the first look, a wake-up that found no
    // full batch, e.g. from a producer whose snapshot of the queue was ahead of ours, left the flag
    // set, and the wait after it heard no one until the schedule delay: seen under load.)
    auto ready = [&] {
      wake_pending_.exchange(false, std::memory_order_acq_rel);
      return stop_ || flush_requests_ != flushes_done_ || queued_now() >= options_.max_export_batch_size;
    };
    if (!ready()) wake_.wait_for(lk, options_.schedule_delay, ready);
    const std::uint64_t target = flush_requests_;
    const bool stop = stop_;
    const auto deadline = shutdown_deadline_;
    lk.unlock();

    // Export what is queued now, in batches (everything on a flush or stop).
    const bool drain_all = stop || target != flushes_done_;
    std::size_t budget = drain_all ? queued_now() : options_.max_export_batch_size;
    bool timed_out = false;
    SpanDataPtr span;
    const auto no_later_than = stop ? deadline : std::chrono::steady_clock::time_point::max();
    while (budget > 0 && queue_->try_pop(span)) {
      --budget;
      batch.push_back(std::move(span));
      if (batch.size() == options_.max_export_batch_size && !export_batch(batch, no_later_than)) {
        timed_out = true;
        break;
      }
    }
    if (!timed_out) timed_out = !export_batch(batch, no_later_than);
    if (timed_out) {
      std::uint64_t lost = batch.size();
      batch.clear();
      while (queue_->try_pop(span)) ++lost;
      dropped_timeout_.fetch_add(lost, std::memory_order_relaxed);
    }

    lk.lock();
    if (drain_all) {
      // A flush is done when the exports it started have ended (a shutdown meanwhile takes
      // over). At shutdown what still runs is left to the exporter's shutdown, called next,
      // which ends it: an export waiting to retry makes its last attempt then, at once.
      if (!stop) settled_.wait(lk, [&] { return in_flight_ == 0 || stop_; });
      if (in_flight_ == 0 || stop) {
        flushes_done_ = target;
        flushed_.notify_all();
      }
    }
    if (stop) return;
  }
}

bool BatchSpanProcessor::force_flush(std::chrono::milliseconds timeout) noexcept {
  std::unique_lock lk(mu_);
  if (shut_down_) return true;
  const auto ticket = ++flush_requests_;
  wake_.notify_one();
  return flushed_.wait_for(lk, timeout, [&] { return flushes_done_ >= ticket || stop_; });
}

bool BatchSpanProcessor::shutdown(std::chrono::milliseconds timeout) noexcept {
  {
    std::lock_guard lk(mu_);
    if (shut_down_) return true;
    shut_down_ = true;
    stop_ = true;
    shutdown_deadline_ = std::chrono::steady_clock::now() + timeout;
    shutting_down_.store(true, std::memory_order_relaxed);
  }
  wake_.notify_one();
  settled_.notify_all();  // a flush waiting for its exports gives way to shutdown
  // The worker exports what is queued; each export is bounded by the exporter's own timeout
  // and no new batch starts after the deadline, so this join is bounded too.
  if (worker_.joinable()) worker_.join();
  // A producer that passed the shutting-down check just before it was set may have queued a
  // span after the worker's last drain: count it as lost rather than leave it unaccounted.
  SpanDataPtr late;
  while (queue_->try_pop(late)) dropped_after_shutdown_.fetch_add(1, std::memory_order_relaxed);
  const bool ok = exporter_->shutdown(timeout);
  {
    // The exporter's shutdown ends what it runs; one shared with others (SharedSpanExporter)
    // leaves that to its owner, so wait for our own exports (each bounded by its timeout).
    std::unique_lock lk(mu_);
    settled_.wait(lk, [&] { return in_flight_ == 0; });
  }
  // What the processor alone lost; what its exporter failed to deliver is the exporter's to
  // tell (the OTLP exporters' summary says why), so a dead collector is one line, not two.
  const auto s = stats();
  if (s.dropped_queue_full + s.dropped_shutdown_timeout > 0)
    log_warn("batch span processor: " + std::to_string(s.dropped_queue_full) +
             " spans dropped because the queue was full, " + std::to_string(s.dropped_shutdown_timeout) +
             " left when shutdown timed out");
  return ok && s.dropped_shutdown_timeout == 0;
}

BatchSpanProcessor::Stats BatchSpanProcessor::stats() const noexcept {
  Stats s;
  s.queued = queue_->pushed();
  s.dropped_queue_full = dropped_full_.load(std::memory_order_relaxed);
  s.dropped_after_shutdown = dropped_after_shutdown_.load(std::memory_order_relaxed);
  s.exported = exported_.load(std::memory_order_relaxed);
  s.export_failed = export_failed_.load(std::memory_order_relaxed);
  s.dropped_shutdown_timeout = dropped_timeout_.load(std::memory_order_relaxed);
  return s;
}

// --- MultiSpanProcessor ----------------------------------------------------------------------

MultiSpanProcessor::MultiSpanProcessor(std::vector<std::shared_ptr<SpanProcessor>> processors)
    : processors_(std::move(processors)) {}

void MultiSpanProcessor::on_start(SpanData& span, const Context& parent) noexcept {
  for (auto& p : processors_) p->on_start(span, parent);
}
void MultiSpanProcessor::on_end(SpanDataPtr span) noexcept {
  for (auto& p : processors_) p->on_end(span);
}
bool MultiSpanProcessor::force_flush(std::chrono::milliseconds timeout) noexcept {
  bool ok = true;
  for (auto& p : processors_) ok &= p->force_flush(timeout);
  return ok;
}
bool MultiSpanProcessor::shutdown(std::chrono::milliseconds timeout) noexcept {
  bool ok = true;
  for (auto& p : processors_) ok &= p->shutdown(timeout);
  return ok;
}

}  // namespace tracehop::trace
