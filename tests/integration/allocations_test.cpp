// Heap allocations of one keep-alive request on the client's thread, counted exactly by a
// replaced operator new (its own test binary): tracing that records nothing (an unsampled
// request, a URL excluded, `trace = false`, a parent that was not sampled) allocates nothing
// more than an untraced request; a sampled one at most 4 more. (Asio's coroutine frames come
// from aligned_alloc, not operator new, and are the same either way.) The same for the SERVER
// span: unsampled, nothing more than an uninstrumented server; sampled, at most 4 more. And a
// metrics measurement into a series that exists: none.
#include <gtest/gtest.h>

#include <cstdlib>
#include <new>
#include <utility>

#include "run.hpp"
#include "server_fixture.hpp"
#include "tracehop/http/session.hpp"
#include "tracehop/http/server.hpp"
#include "tracehop/instrument/client.hpp"
#include "tracehop/instrument/server.hpp"
#include "tracehop/metrics.hpp"
#include "tracehop/trace/exporter.hpp"
#include "tracehop/trace/propagation.hpp"
#include "tracehop/trace/tracer.hpp"

namespace {
thread_local bool counting = false;
thread_local std::size_t allocations = 0;

void* allocate(std::size_t n, std::size_t align = 0) {
  if (counting) ++allocations;
  void* p = align ? std::aligned_alloc(align, (n + align - 1) / align * align) : std::malloc(n ? n : 1);
  if (!p) throw std::bad_alloc();
  return p;
}
}  // namespace

void* operator new(std::size_t n) { return allocate(n); }
void* operator new[](std::size_t n) { return allocate(n); }
void* operator new(std::size_t n, std::align_val_t a) { return allocate(n, static_cast<std::size_t>(a)); }
void* operator new[](std::size_t n, std::align_val_t a) { return allocate(n, static_cast<std::size_t>(a)); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  try {
    return allocate(n);
  } catch (...) {
    return nullptr;
  }
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }

using namespace tracehop;
using test::run;

namespace {

constexpr int kWarmup = 20;
constexpr int kCounted = 50;

boost::asio::awaitable<http::ServerResponse> item(http::ServerRequest&) {
  co_return http::ServerResponse::json(200, {{"sku", "SKU-9931"}, {"price", 12.5}});
}

// Allocations on this thread over `kCounted` sequential requests on one keep-alive connection,
// after a warm-up.
boost::asio::awaitable<std::size_t> counted_requests(http::ClientSession& session, const std::string& target,
                                                     const http::RequestOptions& options) {
  for (int i = 0; i < kWarmup + kCounted; ++i) {
    if (i == kWarmup) counting = true;
    auto resp = co_await session.get(target, options);
    co_await resp.read();
    EXPECT_EQ(resp.status(), 200);
  }
  counting = false;
  co_return std::exchange(allocations, 0);
}

struct Allocations : ::testing::Test {
  void SetUp() override {
    server.server().route("GET", "/items/{sku}", item);
    server.start();
    url = "http://127.0.0.1:" + std::to_string(server.port()) + "/items/SKU-9931";
  }

  static std::shared_ptr<trace::TracerProvider> provider(trace::SamplerPtr sampler) {
    trace::TracerProviderOptions o;
    o.sampler = std::move(sampler);
    auto p = std::make_shared<trace::TracerProvider>(std::move(o));
    p->add_span_processor(std::make_shared<trace::BatchSpanProcessor>(std::make_unique<trace::InMemorySpanExporter>()));
    return p;
  }

  std::size_t count(std::function<void(http::ClientSession&)> setup = {}, http::RequestOptions options = {},
                    std::string path_query = {}) {
    std::size_t counted = 0;
    run([&]() -> boost::asio::awaitable<void> {
      http::ClientSession session(co_await boost::asio::this_coro::executor);
      if (setup) setup(session);
      counted = co_await counted_requests(session, url + path_query, options);
      co_await session.close();
    });
    return counted;
  }

  test::ServerThread server;
  std::string url;
};

void instrument(http::ClientSession& s, std::shared_ptr<trace::TracerProvider> p, instrument::ClientOptions o = {}) {
  o.tracer_provider = std::move(p);
  instrument::HttpClientInstrumentor{}.instrument_session(s, std::move(o));
}

TEST_F(Allocations, TracingThatRecordsNothingAllocatesNothing) {
  const std::size_t untraced = count();
  ASSERT_GT(untraced, 0u);
  const auto off = provider(trace::always_off_sampler());
  EXPECT_EQ(count([&](auto& s) { instrument(s, off); }), untraced) << "always_off";

  const auto on = provider(trace::always_on_sampler());
  http::RequestOptions no_trace;
  no_trace.trace = false;
  EXPECT_EQ(count([&](auto& s) { instrument(s, on); }, no_trace), untraced) << "trace = false";

  instrument::ClientOptions excluding;
  excluding.excluded_urls = std::vector<std::string>{"/items/"};
  EXPECT_EQ(count([&](auto& s) { instrument(s, on, excluding); }), untraced) << "excluded URL";

  // A parent that was not sampled: the request still propagates it (flags 00).
  const auto parent_based = provider(trace::parent_based_sampler(trace::always_on_sampler()));
  const trace::SpanContext unsampled(*trace::TraceId::from_hex("0af7651916cd43dd8448eb211c80319c"),
                                     *trace::SpanId::from_hex("b7ad6b7169203331"), trace::TraceFlags{}, true);
  const trace::Scope scope(trace::Context::current().with_span(trace::Span(unsampled)));
  EXPECT_EQ(count([&](auto& s) { instrument(s, parent_based); }), untraced) << "unsampled parent";
}

TEST_F(Allocations, ASampledRequestAllocatesAtMostFourMore) {
  const std::size_t untraced = count();
  const auto on = provider(trace::always_on_sampler());
  const std::size_t sampled = count([&](auto& s) { instrument(s, on); });
  EXPECT_LE(sampled, untraced + 4 * kCounted) << "per request: untraced " << double(untraced) / kCounted
                                               << ", sampled " << double(sampled) / kCounted;
  on->shutdown();
}

// The server half: a server on the client's own thread, so the count is both halves; only the
// server's instrumentation differs between the counts.
std::size_t count_with_server(const std::function<void(http::Server&)>& setup, http::RequestOptions options = {}) {
  std::size_t counted = 0;
  run([&]() -> boost::asio::awaitable<void> {
    const auto executor = co_await boost::asio::this_coro::executor;
    http::Server server(executor);
    server.route("GET", "/items/{sku}", item);
    if (setup) setup(server);
    server.start();
    http::ClientSession session(executor);
    counted = co_await counted_requests(session, server.url() + "/items/SKU-9931", options);
    co_await session.close();
    co_await server.stop();
  });
  return counted;
}

void instrument_server(http::Server& server, std::shared_ptr<trace::TracerProvider> p) {
  instrument::ServerOptions o;
  o.tracer_provider = std::move(p);
  instrument::HttpServerInstrumentor::instrument(server, std::move(o));
}

TEST_F(Allocations, AServerSpanThatRecordsNothingAllocatesNothing) {
  const std::size_t untraced = count_with_server({});
  ASSERT_GT(untraced, 0u);
  const auto off = provider(trace::always_off_sampler());
  EXPECT_EQ(count_with_server([&](auto& s) { instrument_server(s, off); }), untraced) << "always_off";

  // A request whose traceparent was not sampled, to a parent-based sampler.
  const auto parent_based = provider(trace::parent_based_sampler(trace::always_on_sampler()));
  http::RequestOptions unsampled;
  unsampled.headers.add("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00");
  const std::size_t with_header = count_with_server({}, unsampled);
  EXPECT_EQ(count_with_server([&](auto& s) { instrument_server(s, parent_based); }, unsampled), with_header)
      << "unsampled parent";
}

TEST_F(Allocations, ASampledServerSpanAllocatesAtMostFourMore) {
  const std::size_t untraced = count_with_server({});
  const auto on = provider(trace::always_on_sampler());
  const std::size_t sampled = count_with_server([&](auto& s) { instrument_server(s, on); });
  EXPECT_LE(sampled, untraced + 4 * kCounted) << "per request: untraced " << double(untraced) / kCounted
                                               << ", sampled " << double(sampled) / kCounted;
  on->shutdown();
}

// The metrics SDK: a measurement into a series that exists allocates nothing, exemplar kept
// (a sampled span's) or not, whatever the attributes' order.
TEST(MetricAllocations, RecordingIntoAnExistingSeriesAllocatesNothing) {
  auto reader = std::make_shared<metrics::MetricReader>(metrics::delta_temporality);
  metrics::MeterProvider provider(
      metrics::MeterProviderOptions{.readers = {reader}, .exemplar_filter = metrics::ExemplarFilter::TraceBased});
  auto meter = provider.get_meter("allocations");
  auto histogram = meter.create_histogram("duration", {.unit = "s"});
  auto counter = meter.create_counter("requests");
  auto active = meter.create_up_down_counter("active");
  auto gauge = meter.create_gauge("limit");
  const trace::SpanContext sampled(*trace::TraceId::from_hex("0af7651916cd43dd8448eb211c80319c"),
                                   *trace::SpanId::from_hex("b7ad6b7169203331"), trace::TraceFlags(1), false);
  const std::string host = "example.com";
  auto measure = [&](int i) {
    const metrics::Attribute attrs[] = {{"http.request.method", "GET"},
                                        {"server.address", std::string_view(host)},
                                        {"server.port", 443},
                                        {"http.response.status_code", 200 + i % 2},
                                        {"url.scheme", "https"}};
    histogram.record(0.001 * i, attrs, sampled);
    counter.add(1, {{"server.port", 443}, {"http.request.method", "GET"}});
    counter.add(1, {{"http.request.method", "GET"}, {"server.port", 443}});  // the other order
    active.add(i % 2 ? -1 : 1);
    gauge.record(1.0 * i, {{"k", "v"}});
  };
  measure(0);
  measure(1);
  reader->collect();  // a delta collection between: the series stay
  counting = true;
  for (int i = 0; i < 1000; ++i) measure(i);
  counting = false;
  EXPECT_EQ(std::exchange(allocations, 0), 0u);
}

}  // namespace
