#include "pipeline.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_future.hpp>
#include <future>

#include "tracehop/trace/context.hpp"

namespace tracehop::otlp::detail {

namespace asio = boost::asio;

Pipeline::Pipeline() : work_(io_.get_executor()) {
  thread_ = std::thread([this] {
    const trace::Scope untraced(trace::Context{}.with(trace::suppress_instrumentation_key(), true));
    io_.run();
  });
}

Pipeline::~Pipeline() { finish(); }

void Pipeline::start(asio::awaitable<trace::ExportResult> job, trace::ExportDone done) {
  {
    std::unique_lock lk(mu_);
    if (finished_) {  // raced with the exporter's shutdown
      lk.unlock();
      return done(trace::ExportResult::Failure);
    }
    ++running_;
  }
  asio::co_spawn(io_, std::move(job), [this, done = std::move(done)](std::exception_ptr e, trace::ExportResult r) {
    done(e ? trace::ExportResult::Failure : r);
    std::lock_guard lk(mu_);
    --running_;
    idle_.notify_all();
  });
}

void Pipeline::finish(std::function<asio::awaitable<void>()> last) noexcept {
  {
    std::unique_lock lk(mu_);
    if (std::exchange(finished_, true)) return;
    idle_.wait(lk, [&] { return running_ == 0; });
  }
  if (last) {
    try {
      asio::co_spawn(io_, last(), asio::use_future).get();
    } catch (...) {  // closing is best effort
    }
  }
  work_.reset();
  if (thread_.joinable()) thread_.join();
}

std::uint64_t Payload::items() const noexcept {
  if (!metrics) return spans.size();
  std::uint64_t points = 0;
  for (const auto& scope : metrics->scopes)
    for (const auto& m : scope.metrics) points += m.numbers.size() + m.histograms.size();
  return points;
}

PipelinedExporter::PipelinedExporter(ExporterOptions options, std::string endpoint)
    : options_(std::move(options)),
      endpoint_(std::move(endpoint)),
      accounting_(endpoint_, options_.signal == Signal::Metrics ? "data points" : "spans") {
  options_.max_concurrent_requests = std::max<std::size_t>(options_.max_concurrent_requests, 1);
}

void PipelinedExporter::start(Payload payload, trace::ExportDone done) noexcept {
  if (shut_down_) return done(trace::ExportResult::Failure);
  const std::uint64_t items = payload.items();
  if (items == 0) return done(trace::ExportResult::Success);
  try {
    pipeline_.start(accounted(std::move(payload)), std::move(done));
  } catch (const std::exception& e) {
    accounting_.failed(items, std::string("export failed: ") + e.what());
    if (done) done(trace::ExportResult::Failure);
  }
}

void PipelinedExporter::export_spans_async(std::span<const trace::SpanDataPtr> spans, trace::ExportDone done) noexcept {
  try {
    start(Payload{std::vector<trace::SpanDataPtr>(spans.begin(), spans.end()), nullptr}, std::move(done));
  } catch (...) {  // (the copy of the batch's pointers)
    accounting_.failed(spans.size(), "export failed: out of memory");
    done(trace::ExportResult::Failure);
  }
}

trace::ExportResult PipelinedExporter::export_metrics(std::shared_ptr<const metrics::ResourceMetrics> collection) noexcept {
  try {
    std::promise<trace::ExportResult> result;
    auto ended = result.get_future();
    start(Payload{{}, std::move(collection)}, [&result](trace::ExportResult r) { result.set_value(r); });
    return ended.get();
  } catch (...) {
    return trace::ExportResult::Failure;
  }
}

std::uint64_t PipelinedExporter::rejected(std::int64_t count, const std::string& message) {
  const auto n = static_cast<std::uint64_t>(std::max<std::int64_t>(count, 0));
  if (n > 0 || !message.empty()) accounting_.rejected(n, message);
  return n;
}

trace::ExportResult PipelinedExporter::export_spans(std::span<const trace::SpanDataPtr> spans) noexcept {
  std::promise<trace::ExportResult> result;
  auto ended = result.get_future();
  export_spans_async(spans, [&result](trace::ExportResult r) { result.set_value(r); });
  return ended.get();
}

bool PipelinedExporter::shutdown(std::chrono::milliseconds) noexcept {
  accounting_.stopping();  // before shut_down_: a failure seen as final because of it is not logged alone
  if (shut_down_.exchange(true)) return true;
  try {  // exports waiting out a backoff try once more now (those starting one later do not wait)
    asio::post(pipeline_.executor(), [this] {
      for (auto* timer : sleeping_) timer->cancel();
    });
  } catch (...) {  // (only an allocation can fail: then they wait their pause out)
  }
  pipeline_.finish([this] { return close(); });
  accounting_.summary();
  return true;
}

asio::awaitable<trace::ExportResult> PipelinedExporter::accounted(Payload payload) {
  const std::uint64_t n = payload.items();
  try {
    co_return co_await send(std::move(payload));
  } catch (const std::exception& e) {
    accounting_.failed(n, std::string("export failed: ") + e.what());
  }
  co_return trace::ExportResult::Failure;
}

asio::awaitable<void> PipelinedExporter::close() { co_return; }

asio::awaitable<void> PipelinedExporter::sleep(std::chrono::milliseconds pause) {
  if (shut_down_) co_return;
  asio::steady_timer timer(co_await asio::this_coro::executor, pause);
  sleeping_.insert(&timer);
  boost::system::error_code cancelled;
  co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, cancelled));
  sleeping_.erase(&timer);
}

}  // namespace tracehop::otlp::detail
