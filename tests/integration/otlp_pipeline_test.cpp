// The OTLP/HTTP exporter's pipeline fed by two producer threads through the batch processor,
// against tracehop's own server answering /v1/traces (an empty ExportTraceServiceResponse: full
// success, after 5 ms): every span exported and counted once, requests overlapping on the wire,
// and nothing racing — this test runs in the tsan preset, which leaves out the Node receiver of
// tests/interop (where what the OTLP bytes mean is checked).
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <thread>
#include <vector>

#include "process.hpp"
#include "server_fixture.hpp"
#include "test_util.hpp"
#include "tracehop/otlp/exporter.hpp"
#include "tracehop/trace/span_processor.hpp"
#include "tracehop/trace/tracer.hpp"

using namespace tracehop;
using namespace std::chrono_literals;

TEST(OtlpPipeline, TwoProducersEverySpanExportedOnceWithRequestsInFlightTogether) {
  test::ServerThread server;
  int in_flight = 0, most_in_flight = 0;  // on the server's thread only
  std::atomic<int> requests{0};
  server.server().route("POST", "/v1/traces", [&](http::ServerRequest&) -> asio::awaitable<http::ServerResponse> {
    ++requests;
    most_in_flight = std::max(most_in_flight, ++in_flight);
    asio::steady_timer answer_later(co_await asio::this_coro::executor, 5ms);
    co_await answer_later.async_wait(asio::use_awaitable);
    --in_flight;
    co_return http::ServerResponse::text(200, "");
  });
  server.start();

  otlp::ExporterOptions options;
  options.protocol = otlp::Protocol::HttpProtobuf;
  options.endpoint = server.server().url() + "/v1/traces";
  auto exporter = otlp::make_exporter(options);
  const otlp::Exporter* sent = exporter.get();
  auto batch = std::make_shared<trace::BatchSpanProcessor>(
      std::move(exporter), trace::BatchSpanProcessorOptions{.max_queue_size = 20000, .schedule_delay = 1h,
                                                            .max_export_batch_size = 50});
  constexpr std::uint64_t kPerThread = 5000;
  {
    trace::TracerProvider provider;
    provider.add_span_processor(batch);
    const auto tracer = provider.get_tracer("pipeline", "1.0");
    std::vector<std::thread> producers;
    for (int t = 0; t < 2; ++t)
      producers.emplace_back([&] {
        for (std::uint64_t i = 0; i < kPerThread; ++i) tracer->start_span("s").end();
      });
    for (auto& p : producers) p.join();
    ASSERT_TRUE(provider.shutdown(30s));
  }
  const auto s = batch->stats();
  EXPECT_EQ(s.dropped_queue_full, 0u);
  EXPECT_EQ(s.exported, 2 * kPerThread);
  EXPECT_EQ(s.export_failed, 0u);
  EXPECT_EQ(sent->stats().exported, 2 * kPerThread);
  EXPECT_EQ(sent->stats().requests, static_cast<std::uint64_t>(requests.load()));
  EXPECT_GE(requests.load(), static_cast<int>(2 * kPerThread / 50));
  server.stop();
  EXPECT_GE(most_in_flight, 2) << "the exporter sent one request at a time";
}

TEST(OtlpPipeline, ACollectorThatIsNotThereCostsTheExitOneLineAndNoWait) {
  // A short-lived program whose collector is not running: its span's export is refused, and at
  // exit the processor's shutdown neither sleeps through the retry's pause (5 s here) nor logs the
  // same loss three times: one line, from the exporter, with the reason.
  otlp::ExporterOptions options;
  options.protocol = otlp::Protocol::HttpProtobuf;
  options.endpoint = "http://127.0.0.1:" + std::to_string(test::free_port()) + "/v1/traces";
  options.initial_backoff = 5s;
  options.max_backoff = 5s;
  trace::TracerProvider provider;
  provider.add_span_processor(std::make_shared<trace::BatchSpanProcessor>(otlp::make_exporter(options)));
  test::LogCapture logs;
  provider.get_tracer("short-lived", "1.0")->start_span("work").end();
  const auto start = std::chrono::steady_clock::now();
  provider.shutdown(10s);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
  const auto lines = logs.lines();
  ASSERT_EQ(lines.size(), 1u) << lines.front().second << (lines.size() > 1 ? "\n" + lines[1].second : "");
  EXPECT_NE(lines[0].second.find("1 spans not delivered to"), std::string::npos) << lines[0].second;
  EXPECT_NE(lines[0].second.find("refused"), std::string::npos) << lines[0].second;
}
