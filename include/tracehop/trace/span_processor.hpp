#pragma once
// Span processors: hooks at span start and end; the batch processor queues ended spans and
// exports them from a background thread.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "tracehop/trace/exporter.hpp"

namespace tracehop::trace {

class Context;
namespace detail {
template <class T>
class BoundedQueue;
}

/// on_start and on_end run on the thread that starts or ends the span and must be fast and
/// thread-safe; they never throw, and on_start does not attach contexts.
class SpanProcessor {
 public:
  virtual ~SpanProcessor() = default;
  /// The span is still being built: the processor may add attributes.
  virtual void on_start(SpanData& /*span*/, const Context& /*parent*/) noexcept {}
  virtual void on_end(SpanDataPtr span) noexcept = 0;
  virtual bool force_flush(std::chrono::milliseconds timeout = std::chrono::seconds(30)) noexcept = 0;
  virtual bool shutdown(std::chrono::milliseconds timeout = std::chrono::seconds(30)) noexcept = 0;
};

/// Exports each span as it ends, on the ending thread (for tests and debugging).
class SimpleSpanProcessor final : public SpanProcessor {
 public:
  explicit SimpleSpanProcessor(std::unique_ptr<SpanExporter> exporter);
  void on_end(SpanDataPtr span) noexcept override;
  bool force_flush(std::chrono::milliseconds timeout) noexcept override;
  bool shutdown(std::chrono::milliseconds timeout) noexcept override;

 private:
  std::mutex mu_;
  std::unique_ptr<SpanExporter> exporter_;
  bool shut_down_ = false;
};

struct BatchSpanProcessorOptions {
  std::size_t max_queue_size = 2048;
  std::chrono::milliseconds schedule_delay{5000};
  std::chrono::milliseconds export_timeout{30000};
  std::size_t max_export_batch_size = 512;

  /// Defaults overridden by OTEL_BSP_MAX_QUEUE_SIZE, OTEL_BSP_SCHEDULE_DELAY,
  /// OTEL_BSP_EXPORT_TIMEOUT and OTEL_BSP_MAX_EXPORT_BATCH_SIZE (a batch size above the queue
  /// size is cut to the queue size). Bad values are logged and ignored.
  static BatchSpanProcessorOptions from_env();
};

/// Queues ended spans in a bounded lock-free queue and exports them from one background thread,
/// in batches: when a batch is full, when schedule_delay has passed, on force_flush and on
/// shutdown. on_end never blocks: a span that finds the queue full is dropped and counted.
/// Exports are started one after another with export_spans_async, and up to the exporter's
/// max_concurrent_exports() run at once (the OTLP exporters pipeline their requests; a
/// synchronous exporter runs one). force_flush returns when every queued span's export has
/// ended; shutdown exports everything queued (bounded by its timeout) before it returns, and logs
/// what it dropped (queue full, shutdown's time out) in one line; failed exports are counted
/// (stats()) and left to the exporter to report.
class BatchSpanProcessor final : public SpanProcessor {
 public:
  explicit BatchSpanProcessor(std::unique_ptr<SpanExporter> exporter,
                              BatchSpanProcessorOptions options = BatchSpanProcessorOptions::from_env());
  ~BatchSpanProcessor() override;

  void on_end(SpanDataPtr span) noexcept override;
  bool force_flush(std::chrono::milliseconds timeout = std::chrono::seconds(30)) noexcept override;
  bool shutdown(std::chrono::milliseconds timeout = std::chrono::seconds(30)) noexcept override;

  struct Stats {
    std::uint64_t queued = 0;          // accepted into the queue
    std::uint64_t dropped_queue_full = 0;
    std::uint64_t dropped_after_shutdown = 0;
    std::uint64_t exported = 0;        // handed to a successful export
    std::uint64_t export_failed = 0;   // in batches whose export failed
    std::uint64_t dropped_shutdown_timeout = 0;  // still queued when shutdown's time ran out
  };
  Stats stats() const noexcept;
  const BatchSpanProcessorOptions& options() const noexcept { return options_; }

 private:
  std::size_t queued_now() const noexcept;
  void run();
  // Starts the export of `batch` (and clears it) once an export slot is free; false, with the
  // batch untouched, if `deadline` comes first.
  bool export_batch(std::vector<SpanDataPtr>& batch,
                    std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max());

  BatchSpanProcessorOptions options_;
  std::unique_ptr<SpanExporter> exporter_;

  std::unique_ptr<detail::BoundedQueue<SpanDataPtr>> queue_;

  alignas(64) std::atomic<std::uint64_t> dropped_full_{0};
  std::atomic<std::uint64_t> dropped_after_shutdown_{0};
  std::atomic<std::uint64_t> exported_{0};
  std::atomic<std::uint64_t> export_failed_{0};
  std::atomic<std::uint64_t> dropped_timeout_{0};
  std::atomic<bool> wake_pending_{false};
  std::atomic<bool> shutting_down_{false};

  mutable std::mutex mu_;
  std::condition_variable wake_;      // to the worker
  std::condition_variable flushed_;   // from the worker
  std::condition_variable settled_;   // an export ended
  std::size_t max_in_flight_ = 1;
  std::size_t in_flight_ = 0;         // exports started and not ended, guarded by mu_
  std::uint64_t flush_requests_ = 0;  // guarded by mu_
  std::uint64_t flushes_done_ = 0;    // guarded by mu_
  std::chrono::steady_clock::time_point shutdown_deadline_;  // guarded by mu_
  bool stop_ = false;                 // guarded by mu_
  bool shut_down_ = false;            // guarded by mu_
  std::thread worker_;
};

/// Forwards every call to each of its processors, in order.
class MultiSpanProcessor final : public SpanProcessor {
 public:
  explicit MultiSpanProcessor(std::vector<std::shared_ptr<SpanProcessor>> processors);
  void on_start(SpanData& span, const Context& parent) noexcept override;
  void on_end(SpanDataPtr span) noexcept override;
  bool force_flush(std::chrono::milliseconds timeout) noexcept override;
  bool shutdown(std::chrono::milliseconds timeout) noexcept override;

 private:
  std::vector<std::shared_ptr<SpanProcessor>> processors_;
};

}  // namespace tracehop::trace
