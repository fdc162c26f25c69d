// Global state changed while requests run on other threads: the tracer provider swapped (and
// removed) and the client instrumentation turned on and off, again and again, under two client
// threads with a session each. Every request is answered and every exported span is whole.
// Meant for ThreadSanitizer too (scripts/test-tsan); bounded in count (and so in time).
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "run.hpp"
#include "server_fixture.hpp"
#include "server_routes.hpp"
#include "tracehop/http/session.hpp"
#include "tracehop/instrument/client.hpp"
#include "tracehop/trace.hpp"

namespace asio = boost::asio;

using namespace tracehop;
using namespace std::chrono_literals;

TEST(Concurrency, ProviderSwappedAndInstrumentationToggledWhileRequestsRun) {
  test::ServerThread st;
  test::add_routes(st.server());
  st.start();
  const std::string url = st.server().url() + "/items/a";
  auto exporter = std::make_shared<trace::InMemorySpanExporter>();

  std::atomic<bool> done{false};
  std::atomic<int> answered{0}, failed{0};
  const auto client = [&] {
    test::run([&]() -> asio::awaitable<void> {
      http::ClientSession session(co_await asio::this_coro::executor);
      while (!done.load()) {
        try {
          auto resp = co_await session.get(url);
          if (resp.status() == 200 && !(co_await resp.text()).empty()) ++answered;
        } catch (const std::exception&) {
          ++failed;
        }
      }
      co_await session.close();
    });
  };
  std::thread a(client), b(client);

  const auto install_a_provider = [&] {
    auto provider = std::make_shared<trace::TracerProvider>();
    provider->add_span_processor(
        std::make_shared<trace::SimpleSpanProcessor>(std::make_unique<trace::SharedSpanExporter>(exporter)));
    trace::set_tracer_provider(std::move(provider));
  };
  for (int i = 0; i < 300; ++i) {
    switch (i % 6) {
      case 0: install_a_provider(); break;
      case 1: instrument::HttpClientInstrumentor{}.instrument(); break;
      case 2: install_a_provider(); break;  // swapped while spans are being recorded
      case 3: break;
      case 4: trace::set_tracer_provider(nullptr); break;
      case 5: instrument::HttpClientInstrumentor{}.uninstrument(); break;
    }
    std::this_thread::sleep_for(2ms);
  }
  done = true;
  a.join();
  b.join();
  instrument::HttpClientInstrumentor{}.uninstrument();
  trace::set_tracer_provider(nullptr);

  EXPECT_EQ(failed.load(), 0);
  EXPECT_GT(answered.load(), 0);
  const auto spans = exporter->finished_spans();
  EXPECT_GT(spans.size(), 0u) << "no request was traced: the test did not test";
  for (const auto& s : spans) {
    EXPECT_EQ(s->kind, trace::SpanKind::Client);
    EXPECT_TRUE(s->context.valid());
    EXPECT_GE(s->end_time, s->start_time);
    EXPECT_TRUE(trace::find_attribute(s->attributes, "http.method")) << s->name;
  }
  std::printf("%d requests answered, %zu spans exported while the global state changed\n", answered.load(),
              spans.size());
}
