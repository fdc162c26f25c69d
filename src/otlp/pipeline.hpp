#pragma once
// What both OTLP exporters are built on (internal): a thread of their own with a private
// io_context, where each export is a coroutine and several run at once (the OTLP specification's
// concurrent requests, "for higher throughput"; the batch processor starts at most
// ExporterOptions::max_concurrent_requests). The batch thread only hands the batch's spans over:
// while one request waits for its answer the next batch is already on its way. The thread's
// context suppresses instrumentation, so an exporter's own requests are never traced.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "accounting.hpp"
#include "proto.hpp"
#include "tracehop/otlp/exporter.hpp"

namespace tracehop::otlp::detail {

/// Runs exports as coroutines on its own thread.
class Pipeline {
 public:
  Pipeline();
  ~Pipeline();
  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;

  boost::asio::io_context::executor_type executor() noexcept { return io_.get_executor(); }
  /// Runs `job` on the pipeline's thread; `done` gets its result (Failure if it throws, or at
  /// once if the pipeline has finished).
  void start(boost::asio::awaitable<trace::ExportResult> job, trace::ExportDone done);
  /// Waits until every started export has ended (and its `done` returned), runs `last` there
  /// if given (closing a session, say), and ends the thread. Later calls return at once.
  void finish(std::function<boost::asio::awaitable<void>()> last = {}) noexcept;

 private:
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::mutex mu_;
  std::condition_variable idle_;
  std::size_t running_ = 0;  // guarded by mu_
  bool finished_ = false;    // guarded by mu_
  std::thread thread_;
};

/// What one export sends: a batch of spans (shared, not copied), or a metrics collection.
struct Payload {
  std::vector<trace::SpanDataPtr> spans;
  std::shared_ptr<const metrics::ResourceMetrics> metrics;
  /// What the accounting counts: spans, or data points.
  std::uint64_t items() const noexcept;
};

/// An OTLP exporter on a Pipeline: export_spans_async keeps the batch's spans (shared, not
/// copied) and encodes and sends them on the pipeline, encoding again for a retry; export_spans
/// waits for that; shutdown lets what runs end (each export within its timeout, no retry once
/// shut down), then sums up. An exporter made for Signal::Metrics sends collections instead
/// (export_metrics), to the metrics service, with the same transport, retries and accounting.
class PipelinedExporter : public Exporter {
 public:
  void export_spans_async(std::span<const trace::SpanDataPtr> spans, trace::ExportDone done) noexcept final;
  trace::ExportResult export_spans(std::span<const trace::SpanDataPtr> spans) noexcept final;
  /// Sends `collection` and waits for the answer (within the timeout, retries included).
  trace::ExportResult export_metrics(std::shared_ptr<const metrics::ResourceMetrics> collection) noexcept;
  /// What is exported from now on gets one attempt and no retry (a shutdown is coming: its last
  /// export must not hold a program's exit through a collector that is down).
  void last_attempts() noexcept {
    accounting_.stopping();
    last_attempts_ = true;
  }
  std::size_t max_concurrent_exports() const noexcept final { return options_.max_concurrent_requests; }
  bool shutdown(std::chrono::milliseconds timeout) noexcept final;
  ExporterStats stats() const noexcept final { return accounting_.stats(); }

 private:
  // send(), with what it throws counted as not delivered.
  boost::asio::awaitable<trace::ExportResult> accounted(Payload payload);
  // Starts sending `payload`; `done` gets the result.
  void start(Payload payload, trace::ExportDone done) noexcept;

 protected:
  PipelinedExporter(ExporterOptions options, std::string endpoint);
  /// Encodes and sends `payload`, on the pipeline (where encoder_ is used, by one coroutine at a
  /// time between two suspensions).
  virtual boost::asio::awaitable<trace::ExportResult> send(Payload payload) = 0;
  /// The items of a partial success's answer that were rejected: its rejected spans or data
  /// points (logged), 0 when it says none.
  std::uint64_t rejected(std::int64_t count, const std::string& message);
  /// Run on the pipeline when the last export has ended, before its thread stops.
  virtual boost::asio::awaitable<void> close();
  /// Waits `pause` on the pipeline (between two attempts), or until shutdown: then at once (the
  /// export makes its last attempt).
  boost::asio::awaitable<void> sleep(std::chrono::milliseconds pause);
  /// Ends the pipeline; derived destructors call it while their members are still alive.
  void stop() noexcept { shutdown(std::chrono::milliseconds(0)); }

  ExporterOptions options_;
  std::string endpoint_;
  Accounting accounting_;
  ProtobufEncoder encoder_;  // used on the pipeline only
  std::atomic<bool> shut_down_{false};
  std::atomic<bool> last_attempts_{false};
  /// Whether a failed attempt may be retried: not once shutting down.
  bool stopping() const noexcept { return shut_down_ || last_attempts_; }
  std::set<boost::asio::steady_timer*> sleeping_;  // used on the pipeline only
  Pipeline pipeline_;  // last: its thread stops before the members above go
};

}  // namespace tracehop::otlp::detail
