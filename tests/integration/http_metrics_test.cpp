// The HTTP metrics of the client and server instrumentation against a real server on loopback:
// durations with the semantic conventions' attributes and buckets, exemplars that are the
// trace's spans, active requests back to zero, errors, each hop measured, the old conventions,
// the pool's queue, the open connections (counted by the connector) of two sessions together.
#include <gtest/gtest.h>

#include <boost/asio/deferred.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/steady_timer.hpp>
#include <map>

#include "run.hpp"
#include "server_fixture.hpp"
#include "test_util.hpp"
#include "tracehop/http/session.hpp"
#include "tracehop/instrument/client.hpp"
#include "tracehop/instrument/server.hpp"
#include "tracehop/metrics.hpp"

namespace asio = boost::asio;

using namespace tracehop;
using namespace tracehop::http;
using instrument::SemconvMode;
using metrics::HistogramPoint;
using metrics::MetricData;
using test::run;

namespace {

std::string attr(const trace::Attributes& a, std::string_view key) {
  const auto* v = trace::find_attribute(a, key);
  return v ? v->to_string() : "<absent>";
}

struct HttpMetricsTest : ::testing::Test {
  void SetUp() override {
    auto& s = server.server();
    instrument::ServerOptions so;
    so.tracer_provider = traces.provider;
    so.meter_provider = meters;
    instrument::HttpServerInstrumentor::instrument(s, std::move(so));
    s.route("GET", "/items/{sku}", [](ServerRequest& r) -> asio::awaitable<ServerResponse> {
      co_return ServerResponse::json(200, {{"sku", r.param("sku")}});
    });
    s.route("GET", "/status/{code}", [](ServerRequest& r) -> asio::awaitable<ServerResponse> {
      co_return ServerResponse::text(std::stoi(r.param("code")), "status");
    });
    s.route("GET", "/redirect", [](ServerRequest&) -> asio::awaitable<ServerResponse> {
      auto resp = ServerResponse::text(302, "");
      resp.headers.set("Location", "/items/moved");
      co_return resp;
    });
    s.route("GET", "/slow", [](ServerRequest&) -> asio::awaitable<ServerResponse> {
      asio::steady_timer t(co_await asio::this_coro::executor, std::chrono::milliseconds(50));
      co_await t.async_wait(asio::use_awaitable);
      co_return ServerResponse::text(200, "slow");
    });
    s.route("GET", "/throws", [](ServerRequest&) -> asio::awaitable<ServerResponse> {
      throw std::runtime_error("handler failed");
      co_return ServerResponse::text(200, "never");
    });
    server.start();
  }
  void TearDown() override { server.stop(); }

  instrument::ClientOptions client(SemconvMode mode = SemconvMode::Stable) {
    instrument::ClientOptions o;
    o.semconv = mode;
    o.tracer_provider = traces.provider;
    o.meter_provider = meters;
    return o;
  }
  // GETs `paths` one after another on one instrumented session.
  void get(const std::vector<std::string>& paths, instrument::ClientOptions options, SessionOptions so = {}) {
    run([&]() -> asio::awaitable<void> {
      ClientSession session(co_await asio::this_coro::executor, so);
      instrument::HttpClientInstrumentor::instrument_session(session, options);
      for (const auto& p : paths) {
        try {
          auto resp = co_await session.get(url(p));
          co_await resp.read();
        } catch (const ClientError&) {
        }
      }
      co_await session.close();
    });
  }
  std::string url(std::string_view path) { return server.server().url() + std::string(path); }

  std::vector<MetricData> collect() {
    std::vector<MetricData> out;
    if (auto rm = reader->collect())
      for (auto& s : rm->scopes)
        for (auto& m : s.metrics) out.push_back(m);
    return out;
  }
  static const MetricData* find(const std::vector<MetricData>& all, std::string_view name) {
    for (const auto& m : all)
      if (m.name == name) return &m;
    return nullptr;
  }

  test::MemoryProvider traces;
  std::shared_ptr<metrics::MetricReader> reader = std::make_shared<metrics::MetricReader>();
  std::shared_ptr<metrics::MeterProvider> meters = std::make_shared<metrics::MeterProvider>(
      metrics::MeterProviderOptions{.readers = {reader}, .exemplar_filter = metrics::ExemplarFilter::TraceBased});
  test::ServerThread server;
};

TEST_F(HttpMetricsTest, DurationsOfBothSidesWithExemplarsThatAreTheTracesSpans) {
  get({"/items/SKU-9931"}, client());
  const auto all = collect();
  const auto* c = find(all, "http.client.request.duration");
  const auto* s = find(all, "http.server.request.duration");
  ASSERT_TRUE(c && s);
  EXPECT_EQ(c->unit, "s");
  ASSERT_EQ(c->histograms.size(), 1u);
  const HistogramPoint& cp = c->histograms[0];
  EXPECT_EQ(cp.count, 1u);
  EXPECT_EQ(cp.boundaries, (std::vector<double>{0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10}));
  EXPECT_EQ(attr(cp.attributes, "http.request.method"), "GET");
  EXPECT_EQ(attr(cp.attributes, "url.scheme"), "http");
  EXPECT_EQ(attr(cp.attributes, "server.address"), "127.0.0.1");
  EXPECT_EQ(attr(cp.attributes, "server.port"), std::to_string(server.port()));
  EXPECT_EQ(attr(cp.attributes, "http.response.status_code"), "200");
  EXPECT_EQ(attr(cp.attributes, "network.protocol.version"), "1.1");
  EXPECT_EQ(attr(cp.attributes, "error.type"), "<absent>");
  EXPECT_GT(cp.sum, 0);

  ASSERT_EQ(s->histograms.size(), 1u);
  const HistogramPoint& sp = s->histograms[0];
  EXPECT_EQ(attr(sp.attributes, "http.route"), "/items/{sku}");
  EXPECT_EQ(attr(sp.attributes, "http.response.status_code"), "200");
  EXPECT_LE(sp.sum, cp.sum) << "the server's part is inside the client's";

  // The exemplars are the CLIENT and the SERVER span of one trace.
  const auto spans = traces.spans();
  ASSERT_EQ(spans.size(), 2u);
  const auto& client_span = spans[0]->kind == trace::SpanKind::Client ? *spans[0] : *spans[1];
  const auto& server_span = spans[0]->kind == trace::SpanKind::Server ? *spans[0] : *spans[1];
  ASSERT_EQ(cp.exemplars.size(), 1u);
  ASSERT_EQ(sp.exemplars.size(), 1u);
  EXPECT_EQ(cp.exemplars[0].trace_id, client_span.context.trace_id());
  EXPECT_EQ(cp.exemplars[0].span_id, client_span.context.span_id());
  EXPECT_EQ(sp.exemplars[0].trace_id, client_span.context.trace_id());
  EXPECT_EQ(sp.exemplars[0].span_id, server_span.context.span_id());

  // The server's active requests (the client's are observed while its instrumentation lives:
  // its session is gone here; see TwoSessionsInstrumentedApart...).
  const auto* a = find(all, "http.server.active_requests");
  ASSERT_TRUE(a);
  ASSERT_EQ(a->numbers.size(), 1u);
  EXPECT_EQ(std::get<std::int64_t>(a->numbers[0].value), 0) << "up at the start, down at the end";
  EXPECT_EQ(attr(a->numbers[0].attributes, "http.response.status_code"), "<absent>");
  EXPECT_FALSE(find(all, "http.client.active_requests"));
}

TEST_F(HttpMetricsTest, ErrorsHaveTheirErrorType) {
  get({"/status/404", "/status/503", "/throws"}, client());
  const auto all = collect();
  std::map<std::string, std::string> client_errors, server_errors;
  for (const auto& p : find(all, "http.client.request.duration")->histograms)
    client_errors[attr(p.attributes, "http.response.status_code")] = attr(p.attributes, "error.type");
  for (const auto& p : find(all, "http.server.request.duration")->histograms)
    server_errors[attr(p.attributes, "http.response.status_code") + " " + attr(p.attributes, "http.route")] =
        attr(p.attributes, "error.type");
  EXPECT_EQ(client_errors["404"], "404");
  EXPECT_EQ(client_errors["503"], "503");
  EXPECT_EQ(client_errors["500"], "500");
  EXPECT_EQ(server_errors["404 /status/{code}"], "<absent>") << "a 4xx is not the server's error";
  EXPECT_EQ(server_errors["503 /status/{code}"], "503");
  EXPECT_EQ(server_errors["500 /throws"], "std::runtime_error");

  // A connection refused: no status, the exception's type.
  unsigned short closed_port;
  {
    asio::io_context io;
    asio::ip::tcp::acceptor a(io, {asio::ip::make_address("127.0.0.1"), 0});
    closed_port = a.local_endpoint().port();
  }
  run([&]() -> asio::awaitable<void> {
    ClientSession session(co_await asio::this_coro::executor);
    instrument::HttpClientInstrumentor::instrument_session(session, client());
    EXPECT_THROW(co_await session.get("http://127.0.0.1:" + std::to_string(closed_port) + "/"), ClientConnectorError);
    co_await session.close();
  });
  bool refused = false;
  const auto after = collect();
  for (const auto& p : find(after, "http.client.request.duration")->histograms)
    if (attr(p.attributes, "server.port") == std::to_string(closed_port)) {
      refused = true;
      EXPECT_EQ(attr(p.attributes, "http.response.status_code"), "<absent>");
      EXPECT_EQ(attr(p.attributes, "error.type"), "tracehop::http::ClientConnectorError");
    }
  EXPECT_TRUE(refused);
}

TEST_F(HttpMetricsTest, EachRedirectHopIsARequestOfItsOwn) {
  get({"/redirect"}, client());
  std::map<std::string, std::uint64_t> by_status;
  const auto all = collect();
  for (const auto& p : find(all, "http.client.request.duration")->histograms)
    by_status[attr(p.attributes, "http.response.status_code")] += p.count;
  EXPECT_EQ(by_status["302"], 1u);
  EXPECT_EQ(by_status["200"], 1u);
}

TEST_F(HttpMetricsTest, OldConventionsRecordMillisecondsUnderTheOldName) {
  get({"/items/a"}, client(SemconvMode::Old));
  const auto all = collect();
  EXPECT_EQ(find(all, "http.client.request.duration"), nullptr);
  EXPECT_EQ(find(all, "http.client.active_requests"), nullptr);
  const auto* old = find(all, "http.client.duration");
  ASSERT_TRUE(old);
  EXPECT_EQ(old->unit, "ms");
  const auto& p = old->histograms.at(0);
  EXPECT_EQ(attr(p.attributes, "http.method"), "GET");
  EXPECT_EQ(attr(p.attributes, "http.status_code"), "200");
  EXPECT_EQ(attr(p.attributes, "net.peer.name"), "127.0.0.1");
  EXPECT_EQ(attr(p.attributes, "http.scheme"), "http");
  EXPECT_EQ(p.boundaries.back(), 10000) << "the default boundaries, in milliseconds";

  get({"/items/b"}, client(SemconvMode::Duplicate));
  const auto both = collect();
  EXPECT_TRUE(find(both, "http.client.request.duration"));
  EXPECT_EQ(find(both, "http.client.duration")->histograms.at(0).count, 2u);
}

TEST_F(HttpMetricsTest, UnsampledRequestIsMeasuredWithoutAnExemplar) {
  test::MemoryProvider unsampled(trace::TracerProviderOptions{.sampler = trace::always_off_sampler()});
  auto options = client();
  options.tracer_provider = unsampled.provider;
  get({"/items/a"}, options);
  const auto all = collect();
  const auto* c = find(all, "http.client.request.duration");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->histograms.at(0).count, 1u);
  EXPECT_TRUE(c->histograms.at(0).exemplars.empty());
}

TEST_F(HttpMetricsTest, TimeInThePoolsQueue) {
  SessionOptions so;
  so.connector.limit = 1;  // the second request waits for the first's connection
  run([&]() -> asio::awaitable<void> {
    ClientSession session(co_await asio::this_coro::executor, so);
    instrument::HttpClientInstrumentor::instrument_session(session, client());
    auto one = [&]() -> asio::awaitable<void> {
      auto r = co_await session.get(url("/slow"));
      co_await r.read();
    };
    auto ex = co_await asio::this_coro::executor;
    co_await asio::experimental::make_parallel_group(asio::co_spawn(ex, one(), asio::deferred),
                                                     asio::co_spawn(ex, one(), asio::deferred))
        .async_wait(asio::experimental::wait_for_all(), asio::use_awaitable);
    co_await session.close();
  });
  const auto all = collect();
  const auto* q = find(all, "http.client.request.time_in_queue");
  ASSERT_TRUE(q);
  std::uint64_t count = 0;
  double waited = 0;
  for (const auto& p : q->histograms) {
    count += p.count;
    waited += p.sum;
    EXPECT_EQ(attr(p.attributes, "http.response.status_code"), "<absent>");
  }
  EXPECT_GE(count, 1u);
  EXPECT_GT(waited, 0.02) << "it waited for most of the first request's 50 ms";
}

TEST_F(HttpMetricsTest, GlobalMeterProviderBindsLate) {
  auto options = client();
  options.meter_provider = nullptr;  // the global one, installed after instrumenting
  run([&]() -> asio::awaitable<void> {
    ClientSession session(co_await asio::this_coro::executor);
    instrument::HttpClientInstrumentor::instrument_session(session, options);
    (co_await session.get(url("/items/before"))).raise_for_status();  // nothing installed: not measured
    metrics::set_meter_provider(meters);
    (co_await session.get(url("/items/after"))).raise_for_status();
    metrics::set_meter_provider(nullptr);
    co_await session.close();
  });
  std::uint64_t count = 0;
  const auto all = collect();
  for (const auto& p : find(all, "http.client.request.duration")->histograms) count += p.count;
  EXPECT_EQ(count, 1u);
}

// The open connections by state: {active, idle} summed over the collected series.
std::pair<std::int64_t, std::int64_t> open_connections(const std::vector<MetricData>& all) {
  std::int64_t active = 0, idle = 0;
  for (const auto& m : all) {
    if (m.name != "http.client.open_connections") continue;
    EXPECT_FALSE(m.monotonic);
    EXPECT_EQ(m.unit, "{connection}");
    for (const auto& p : m.numbers) {
      const auto v = std::get<std::int64_t>(p.value);
      EXPECT_EQ(attr(p.attributes, "server.address"), "127.0.0.1");
      EXPECT_EQ(attr(p.attributes, "url.scheme"), "http");
      EXPECT_EQ(attr(p.attributes, "network.protocol.version"), "1.1");
      (attr(p.attributes, "http.connection.state") == "active" ? active : idle) += v;
    }
  }
  return {active, idle};
}

TEST_F(HttpMetricsTest, OpenConnectionsActiveThenIdleThenClosedWithTheirDuration) {
  std::vector<std::pair<std::int64_t, std::int64_t>> seen;  // (active, idle) at each step
  run([&]() -> asio::awaitable<void> {
    ClientSession session(co_await asio::this_coro::executor);
    instrument::HttpClientInstrumentor::instrument_session(session, client());
    for (int i = 0; i < 2; ++i) {
      auto resp = co_await session.get(url("/items/a"));
      seen.push_back(open_connections(collect()));  // its response being read: active
      co_await resp.read();
      seen.push_back(open_connections(collect()));  // back in the pool: idle
    }
    co_await session.close();
    seen.push_back(open_connections(collect()));  // closed (the instrumentation still lives)
  });
  using P = std::pair<std::int64_t, std::int64_t>;
  EXPECT_EQ(seen, (std::vector<P>{{1, 0}, {0, 1}, {1, 0}, {0, 1}, {0, 0}}));

  const auto all = collect();
  const auto* d = find(all, "http.client.connection.duration");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->unit, "s");
  ASSERT_EQ(d->histograms.size(), 1u);
  const auto& p = d->histograms[0];
  EXPECT_EQ(p.count, 1u) << "one connection, made once and closed once";
  EXPECT_GT(p.sum, 0.0);
  EXPECT_EQ(p.boundaries.front(), 0.01);
  EXPECT_EQ(p.boundaries.back(), 300);
  EXPECT_EQ(attr(p.attributes, "server.port"), std::to_string(server.server().port()));
  EXPECT_EQ(attr(p.attributes, "http.connection.state"), "<absent>");
  EXPECT_TRUE(p.exemplars.empty()) << "a connection is no span's";
}

TEST_F(HttpMetricsTest, TwoSessionsInstrumentedApartCountTheirConnectionsTogether) {
  // Each session's instrumentation has its own connection metrics; the open connections of
  // both are one series (observed once, with their sum), as are their active requests.
  std::pair<std::int64_t, std::int64_t> both{-1, -1}, closed{-1, -1};
  std::int64_t active = -1;
  run([&]() -> asio::awaitable<void> {
    ClientSession a(co_await asio::this_coro::executor), b(co_await asio::this_coro::executor);
    auto options = client();
    options.end_on_body = true;  // (so each request is active until its body is read)
    instrument::HttpClientInstrumentor::instrument_session(a, options);
    instrument::HttpClientInstrumentor::instrument_session(b, options);
    auto ra = co_await a.get(url("/items/a"));
    auto rb = co_await b.get(url("/items/b"));
    const auto all = collect();
    both = open_connections(all);
    const auto* counted = find(all, "http.client.active_requests");
    if (counted && counted->numbers.size() == 1) active = std::get<std::int64_t>(counted->numbers[0].value);
    co_await ra.read();
    co_await rb.read();
    co_await a.close();
    co_await b.close();
    const auto after = collect();  // (the instrumentations still live: their series are reported)
    if (find(after, "http.client.open_connections")) closed = open_connections(after);
  });
  EXPECT_EQ(both, (std::pair<std::int64_t, std::int64_t>{2, 0}));
  EXPECT_EQ(active, 2);
  EXPECT_EQ(closed, (std::pair<std::int64_t, std::int64_t>{0, 0}));
}

TEST_F(HttpMetricsTest, EveryConnectionOfAForceClosedSessionIsADuration) {
  SessionOptions so;
  so.connector.force_close = true;
  get({"/items/a", "/items/b", "/status/503"}, client(), so);
  const auto all = collect();
  EXPECT_EQ(open_connections(all), (std::pair<std::int64_t, std::int64_t>{0, 0}));
  const auto* d = find(all, "http.client.connection.duration");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->histograms.at(0).count, 3u);
}

TEST_F(HttpMetricsTest, NoConnectionMetricsUnderTheOldConventions) {
  get({"/items/a"}, client(SemconvMode::Old));
  const auto all = collect();
  EXPECT_FALSE(find(all, "http.client.open_connections"));
  EXPECT_FALSE(find(all, "http.client.connection.duration"));
}

}  // namespace
