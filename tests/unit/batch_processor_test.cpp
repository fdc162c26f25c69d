#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <utility>
#include <vector>
#include <thread>

#include "test_util.hpp"

using namespace tracehop::trace;
using namespace std::chrono_literals;

namespace {

/// Counts what it is given; can be made to block or fail.
class CountingExporter final : public SpanExporter {
 public:
  ExportResult export_spans(std::span<const SpanDataPtr> spans) noexcept override {
    std::unique_lock lk(mu);
    cv.wait(lk, [&] { return !blocked; });
    ++calls;
    max_batch = std::max(max_batch, spans.size());
    if (fail) return ExportResult::Failure;
    count += spans.size();
    return ExportResult::Success;
  }
  bool shutdown(std::chrono::milliseconds) noexcept override {
    shut_down = true;
    return true;
  }
  void set_blocked(bool b) {
    {
      std::lock_guard lk(mu);
      blocked = b;
    }
    cv.notify_all();
  }
  std::size_t exported() {
    std::lock_guard lk(mu);
    return count;
  }

  std::mutex mu;
  std::condition_variable cv;
  bool blocked = false;
  bool fail = false;
  std::size_t count = 0, calls = 0, max_batch = 0;
  std::atomic<bool> shut_down{false};
};

SpanDataPtr make_span(bool sampled = true) {
  auto d = std::make_shared<SpanData>();
  d->name = "s";
  d->context = SpanContext(RandomIdGenerator{}.new_trace_id(), RandomIdGenerator{}.new_span_id(),
                           TraceFlags{}.with_sampled(sampled), false);
  return d;
}

}  // namespace

TEST(BatchSpanProcessor, ExportsWhenBatchIsFullWithoutWaitingForTheTimer) {
  auto exp = std::make_unique<CountingExporter>();
  auto* e = exp.get();
  BatchSpanProcessor bsp(std::move(exp), {.max_queue_size = 100, .schedule_delay = 1h, .max_export_batch_size = 10});
  for (int i = 0; i < 10; ++i) bsp.on_end(make_span());
  for (int i = 0; i < 500 && e->exported() < 10; ++i) std::this_thread::sleep_for(5ms);
  EXPECT_EQ(e->exported(), 10u);
  bsp.shutdown();
}

TEST(BatchSpanProcessor, KeepsExportingFullBatchesUnderSustainedLoad) {
  // Regression: a producer that filled a batch while the worker was draining left the wake-up
  // flag set, so the worker slept until the (here: hour-long) schedule delay.
  auto exp = std::make_unique<CountingExporter>();
  auto* e = exp.get();
  constexpr std::size_t kSpans = 50000, kBatch = 100;
  BatchSpanProcessor bsp(std::move(exp), {.max_queue_size = kSpans, .schedule_delay = 1h,
                                          .max_export_batch_size = kBatch});
  for (std::size_t i = 0; i < kSpans; ++i) bsp.on_end(make_span());
  // Generous for a loaded machine; without the fix the worker sleeps for the whole hour.
  for (int i = 0; i < 6000 && e->exported() < kSpans - (kBatch - 1); ++i) std::this_thread::sleep_for(5ms);
  EXPECT_GE(e->exported(), kSpans - (kBatch - 1));  // all but a partial last batch, without the timer
  EXPECT_EQ(bsp.stats().dropped_queue_full, 0u);
  bsp.shutdown();
}

TEST(BatchSpanProcessor, ExportsOnTheScheduleDelay) {
  auto exp = std::make_unique<CountingExporter>();
  auto* e = exp.get();
  BatchSpanProcessor bsp(std::move(exp), {.schedule_delay = 20ms});
  bsp.on_end(make_span());
  for (int i = 0; i < 500 && e->exported() < 1; ++i) std::this_thread::sleep_for(5ms);
  EXPECT_EQ(e->exported(), 1u);
  bsp.shutdown();
}

TEST(BatchSpanProcessor, ForceFlushExportsEverythingQueued) {
  auto exp = std::make_unique<CountingExporter>();
  auto* e = exp.get();
  BatchSpanProcessor bsp(std::move(exp), {.schedule_delay = 1h, .max_export_batch_size = 64});
  for (int i = 0; i < 300; ++i) bsp.on_end(make_span());
  EXPECT_TRUE(bsp.force_flush(10s));
  EXPECT_EQ(e->exported(), 300u);
  EXPECT_LE(e->max_batch, 64u);
  bsp.shutdown();
}

TEST(BatchSpanProcessor, ShutdownExportsEverythingAndShutsTheExporterDown) {
  auto exp = std::make_unique<CountingExporter>();
  auto* e = exp.get();
  auto bsp = std::make_unique<BatchSpanProcessor>(std::move(exp), BatchSpanProcessorOptions{.schedule_delay = 1h});
  for (int i = 0; i < 1000; ++i) bsp->on_end(make_span());
  EXPECT_TRUE(bsp->shutdown(10s));
  EXPECT_EQ(e->exported(), 1000u);
  EXPECT_TRUE(e->shut_down);
  bsp->on_end(make_span());  // after shutdown: counted, not queued
  EXPECT_EQ(bsp->stats().dropped_after_shutdown, 1u);
}

TEST(BatchSpanProcessor, FullQueueDropsWithoutBlockingAndCounts) {
  auto exp = std::make_unique<CountingExporter>();
  auto* e = exp.get();
  e->set_blocked(true);  // a stuck collector
  BatchSpanProcessor bsp(std::move(exp), {.max_queue_size = 8, .schedule_delay = 1h, .max_export_batch_size = 4});
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 100; ++i) bsp.on_end(make_span());
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);  // on_end never waited on the exporter
  const auto s = bsp.stats();
  EXPECT_GT(s.dropped_queue_full, 0u);
  EXPECT_EQ(s.queued + s.dropped_queue_full, 100u);
  EXPECT_LE(s.queued, 8u + 4u);  // the queue bound, plus at most one batch in the exporter's hands
  e->set_blocked(false);
  tracehop::test::LogCapture logs;
  bsp.shutdown(10s);
  EXPECT_EQ(e->exported(), bsp.stats().queued);
  EXPECT_TRUE(logs.contains("dropped because the queue was full"));
}

TEST(BatchSpanProcessor, UnsampledSpansAreNotExported) {
  auto exp = std::make_unique<CountingExporter>();
  auto* e = exp.get();
  BatchSpanProcessor bsp(std::move(exp));
  bsp.on_end(make_span(false));
  bsp.force_flush();
  EXPECT_EQ(e->exported(), 0u);
  bsp.shutdown();
}

TEST(BatchSpanProcessor, FailedExportsAreCounted) {
  auto exp = std::make_unique<CountingExporter>();
  exp->fail = true;
  BatchSpanProcessor bsp(std::move(exp));
  for (int i = 0; i < 5; ++i) bsp.on_end(make_span());
  bsp.force_flush();
  EXPECT_EQ(bsp.stats().export_failed, 5u);
  bsp.shutdown();
}

TEST(BatchSpanProcessor, ShutdownIsBoundedWhenTheExporterIsSlow) {
  // An exporter that takes 200 ms a batch: with a 100 ms shutdown budget only the batch in
  // flight completes; the rest is dropped and counted instead of holding the process.
  struct Slow final : SpanExporter {
    ExportResult export_spans(std::span<const SpanDataPtr> s) noexcept override {
      std::this_thread::sleep_for(200ms);
      n += s.size();
      return ExportResult::Success;
    }
    bool shutdown(std::chrono::milliseconds) noexcept override { return true; }
    std::atomic<std::size_t> n{0};
  };
  auto exp = std::make_unique<Slow>();
  BatchSpanProcessor bsp(std::move(exp), {.max_queue_size = 100, .schedule_delay = 1h, .max_export_batch_size = 10});
  for (int i = 0; i < 100; ++i) bsp.on_end(make_span());
  const auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(bsp.shutdown(100ms));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
  const auto s = bsp.stats();
  EXPECT_GT(s.dropped_shutdown_timeout, 0u);
  EXPECT_EQ(s.exported + s.dropped_shutdown_timeout, 100u);
}

TEST(BatchSpanProcessor, ConcurrentProducersLoseNothingUnaccounted) {
  auto exp = std::make_unique<CountingExporter>();
  auto* e = exp.get();
  BatchSpanProcessor bsp(std::move(exp), {.max_queue_size = 256, .schedule_delay = 5ms, .max_export_batch_size = 64});
  constexpr int kThreads = 4, kPerThread = 20000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < kPerThread; ++i) bsp.on_end(make_span());
    });
  for (auto& t : threads) t.join();
  ASSERT_TRUE(bsp.shutdown(30s));
  const auto s = bsp.stats();
  EXPECT_EQ(s.queued + s.dropped_queue_full, std::uint64_t{kThreads} * kPerThread);
  EXPECT_EQ(e->exported(), s.queued);
  EXPECT_EQ(s.exported + s.dropped_queue_full, std::uint64_t{kThreads} * kPerThread);
}

namespace {

/// An exporter whose exports end when the test says (as an OTLP exporter's answers arrive),
/// up to `limit` at once; it records how many were started and never ended at the same time.
class HeldExporter final : public SpanExporter {
 public:
  explicit HeldExporter(std::size_t limit) : limit_(limit) {}
  ExportResult export_spans(std::span<const SpanDataPtr>) noexcept override { return ExportResult::Failure; }
  void export_spans_async(std::span<const SpanDataPtr> spans, ExportDone done) noexcept override {
    if (inside_.exchange(true)) overlapping_calls = true;  // two processor threads at once
    std::lock_guard lk(mu_);
    pending_.push_back({spans.size(), std::move(done)});
    most_pending = std::max(most_pending, pending_.size());
    ++started;
    changed_.notify_all();
    inside_ = false;
  }
  std::size_t max_concurrent_exports() const noexcept override { return limit_; }
  bool shutdown(std::chrono::milliseconds) noexcept override {
    end(pending(), ExportResult::Failure);  // as the OTLP exporters do: every started export ends
    return true;
  }
  /// Ends the oldest `n` held exports with `result`.
  void end(std::size_t n, ExportResult result) {
    std::vector<ExportDone> ending;
    {
      std::lock_guard lk(mu_);
      for (std::size_t i = 0; i < n && !pending_.empty(); ++i) {
        ending.push_back(std::move(pending_.front().second));
        pending_.erase(pending_.begin());
      }
    }
    for (auto& done : ending) done(result);  // outside the lock, from the test's thread
  }
  std::size_t pending() {
    std::lock_guard lk(mu_);
    return pending_.size();
  }
  /// Waits until `n` exports have been started (false after 10 s).
  bool wait_started(std::size_t n) {
    std::unique_lock lk(mu_);
    return changed_.wait_for(lk, 10s, [&] { return started >= n; });
  }

  std::size_t started = 0, most_pending = 0;  // guarded by mu_
  std::atomic<bool> overlapping_calls{false};

 private:
  std::size_t limit_;
  std::mutex mu_;
  std::condition_variable changed_;
  std::vector<std::pair<std::size_t, ExportDone>> pending_;
  std::atomic<bool> inside_{false};
};

}  // namespace

TEST(BatchSpanProcessor, StartsUpToTheExportersConcurrentExportsAndCountsWhenTheyEnd) {
  auto exp = std::make_unique<HeldExporter>(3);
  auto* e = exp.get();
  BatchSpanProcessor bsp(std::move(exp), {.max_queue_size = 100, .schedule_delay = 1h, .max_export_batch_size = 10});
  for (int i = 0; i < 60; ++i) bsp.on_end(make_span());  // six batches
  ASSERT_TRUE(e->wait_started(3));  // three in flight without any having ended
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(e->pending(), 3u);  // and no fourth before one ends
  e->end(1, ExportResult::Success);
  ASSERT_TRUE(e->wait_started(4));
  e->end(1, ExportResult::Failure);
  ASSERT_TRUE(e->wait_started(5));
  std::thread ender([&] {  // the rest, while a flush waits for them
    std::this_thread::sleep_for(50ms);
    e->end(3, ExportResult::Success);
    if (e->wait_started(6)) e->end(1, ExportResult::Success);
  });
  EXPECT_TRUE(bsp.force_flush(10s));  // returns once every started export has ended
  ender.join();
  const auto s = bsp.stats();
  EXPECT_EQ(s.exported, 50u);
  EXPECT_EQ(s.export_failed, 10u);
  EXPECT_EQ(e->most_pending, 3u);
  EXPECT_FALSE(e->overlapping_calls);
  bsp.shutdown();
}

TEST(BatchSpanProcessor, ShutdownWaitsForTheExportsStillInFlight) {
  auto exp = std::make_unique<HeldExporter>(4);
  auto* e = exp.get();
  BatchSpanProcessor bsp(std::move(exp), {.max_queue_size = 100, .schedule_delay = 1h, .max_export_batch_size = 10});
  for (int i = 0; i < 40; ++i) bsp.on_end(make_span());
  ASSERT_TRUE(e->wait_started(4));
  // None ends by itself: at the deadline the exporter's shutdown ends them, and every span
  // is accounted for before shutdown returns.
  bsp.shutdown(100ms);
  const auto s = bsp.stats();
  EXPECT_EQ(s.export_failed, 40u);
  EXPECT_EQ(e->pending(), 0u);
}

TEST(BatchSpanProcessor, OptionsFromEnv) {
  using tracehop::test::ScopedEnv;
  ScopedEnv a("OTEL_BSP_MAX_QUEUE_SIZE", "100");
  ScopedEnv b("OTEL_BSP_SCHEDULE_DELAY", "250");
  ScopedEnv c("OTEL_BSP_EXPORT_TIMEOUT", "1000");
  ScopedEnv d("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "500");
  tracehop::test::LogCapture logs;
  auto o = BatchSpanProcessorOptions::from_env();
  EXPECT_EQ(o.max_queue_size, 100u);
  EXPECT_EQ(o.schedule_delay, 250ms);
  EXPECT_EQ(o.export_timeout, 1000ms);
  EXPECT_EQ(o.max_export_batch_size, 100u);  // cut to the queue size
  EXPECT_TRUE(logs.contains("OTEL_BSP_MAX_EXPORT_BATCH_SIZE"));
}

TEST(MultiSpanProcessor, FansOut) {
  auto a = std::make_unique<InMemorySpanExporter>();
  auto b = std::make_unique<InMemorySpanExporter>();
  auto *pa = a.get(), *pb = b.get();
  MultiSpanProcessor multi({std::make_shared<SimpleSpanProcessor>(std::move(a)),
                            std::make_shared<SimpleSpanProcessor>(std::move(b))});
  multi.on_end(make_span());
  EXPECT_EQ(pa->finished_spans().size(), 1u);
  EXPECT_EQ(pb->finished_spans().size(), 1u);
  EXPECT_TRUE(multi.shutdown(1s));
}

TEST(BatchSpanProcessor, DefaultOptionsComeFromTheEnvironment) {
  tracehop::test::ScopedEnv a("OTEL_BSP_MAX_QUEUE_SIZE", "64");
  BatchSpanProcessor bsp(std::make_unique<CountingExporter>());
  EXPECT_EQ(bsp.options().max_queue_size, 64u);
  EXPECT_EQ(bsp.options().max_export_batch_size, 64u);
  bsp.shutdown();
}
