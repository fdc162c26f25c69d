// The kinds of request HttpMetrics keeps (internal): found again by their facts, with copies of
// their own, from any thread; and a measurement made through a kind lands in the series that the
// same attributes as a list land in, whichever path it takes (a kind's set, an outcome's, or a
// list when the kinds or outcomes are full, or the error is an exception's); and the active
// requests of two instrumentations of one provider are one count.
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "http_metrics.hpp"
#include "metrics_fixture.hpp"

using namespace tracehop;
using instrument::SemconvMode;
using instrument::detail::HttpMetrics;
using instrument::detail::HttpRequestFacts;
using instrument::detail::RequestKind;
using metrics::fixture::attr;

namespace {

HttpRequestFacts request(std::string_view host, std::int64_t port = 80, metrics::AttrValue method = "GET") {
  HttpRequestFacts f;
  f.method = method;
  f.scheme = "http";
  f.host = host;
  f.port = port;
  return f;
}

HttpRequestFacts answered(HttpRequestFacts f, int status) {
  f.status = status;
  f.version = instrument::detail::version_value(11);
  return f;
}

// Each series of a histogram as "key=value,..." of the given keys, with its count.
std::map<std::string, std::uint64_t> series(const metrics::MetricData& m, const std::vector<std::string>& keys) {
  std::map<std::string, std::uint64_t> out;
  for (const auto& p : m.histograms) {
    std::string name;
    for (const auto& k : keys) name += k + "=" + attr(p.attributes, k) + ",";
    name += std::to_string(p.attributes.size());
    out[name] += p.count;
  }
  return out;
}

constexpr std::chrono::milliseconds kTook{5};

}  // namespace

TEST(RequestKinds, TheSameFactsFindTheSameKindWhichKeepsItsOwnCopies) {
  metrics::fixture::Fixture fx;
  const HttpMetrics m(fx.provider, fx.meter, SemconvMode::Stable, /*client=*/true);
  std::string host = "api.example.com";
  std::string method = "BREW";  // a run-time method (as a listed known method is)
  const RequestKind* k = m.kind(request(host, 8080, std::string_view(method)));
  ASSERT_NE(k, nullptr);
  EXPECT_EQ(k->facts().host, "api.example.com");
  EXPECT_NE(k->facts().host.data(), host.data());
  EXPECT_EQ(k->facts().method.as_string(), "BREW");
  EXPECT_NE(k->facts().method.as_string().data(), method.data());
  EXPECT_EQ(k->facts().port, 8080);

  const std::string same_host = "api.example.com", same_method = "BREW";
  host = "overwritten.example";
  method = "XXXX";
  EXPECT_EQ(m.kind(request(same_host, 8080, std::string_view(same_method))), k);
  EXPECT_EQ(k->facts().host, "api.example.com");

  // Any fact of the request's start makes another kind.
  std::set<const RequestKind*> kinds{k};
  kinds.insert(m.kind(request(same_host, 8081, std::string_view(same_method))));
  kinds.insert(m.kind(request(same_host, 8080, "GET")));
  kinds.insert(m.kind(request("api.example.co", 8080, std::string_view(same_method))));
  auto https = request(same_host, 8080, std::string_view(same_method));
  https.scheme = "https";
  kinds.insert(m.kind(https));
  EXPECT_EQ(kinds.size(), 5u);
  EXPECT_EQ(kinds.count(nullptr), 0u);

  // Kinds whose places in the table run into each other are still told apart.
  for (int port = 1; port <= 60; ++port) {
    const RequestKind* p = m.kind(request("svc", port));
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(p->facts().port, port);
    EXPECT_EQ(p->facts().host, "svc");
  }
}

TEST(RequestKinds, AMeasurementThroughAKindIsInTheSeriesOfTheSameAttributesAsAList) {
  // Both conventions at once: each outcome has a set of each.
  metrics::fixture::Fixture fx;
  const HttpMetrics m(fx.provider, fx.meter, SemconvMode::Duplicate, /*client=*/true);
  const auto f = request("127.0.0.1", 8080);
  const RequestKind* k = m.kind(f);
  ASSERT_NE(k, nullptr);
  for (const int status : {200, 503}) {
    m.duration(answered(f, status), k, kTook, instrument::detail::kNoExemplar);
    m.duration(answered(f, status), nullptr, kTook, instrument::detail::kNoExemplar);
  }
  auto exception = f;
  exception.error_type = "tracehop::http::ServerDisconnectedError";
  m.duration(exception, k, kTook, instrument::detail::kNoExemplar);  // (an exception's: a list)
  m.duration(exception, nullptr, kTook, instrument::detail::kNoExemplar);
  m.active(f, k, +1);
  m.active(f, nullptr, +1);
  m.active(f, k, -1);

  const auto stable = series(fx.one("http.client.request.duration"),
                             {"http.request.method", "url.scheme", "server.address", "server.port",
                              "http.response.status_code", "network.protocol.version", "error.type"});
  EXPECT_EQ(stable, (std::map<std::string, std::uint64_t>{
                        {"http.request.method=GET,url.scheme=http,server.address=127.0.0.1,server.port=8080,"
                         "http.response.status_code=200,network.protocol.version=1.1,error.type=,6",
                         2},
                        {"http.request.method=GET,url.scheme=http,server.address=127.0.0.1,server.port=8080,"
                         "http.response.status_code=503,network.protocol.version=1.1,error.type=503,7",
                         2},
                        {"http.request.method=GET,url.scheme=http,server.address=127.0.0.1,server.port=8080,"
                         "http.response.status_code=,network.protocol.version=,"
                         "error.type=tracehop::http::ServerDisconnectedError,5",
                         2}}));
  const auto old = series(fx.one("http.client.duration"), {"http.method", "http.scheme", "net.peer.name",
                                                           "net.peer.port", "http.status_code", "http.flavor"});
  EXPECT_EQ(old, (std::map<std::string, std::uint64_t>{
                     {"http.method=GET,http.scheme=http,net.peer.name=127.0.0.1,net.peer.port=8080,"
                      "http.status_code=200,http.flavor=1.1,6",
                      2},
                     {"http.method=GET,http.scheme=http,net.peer.name=127.0.0.1,net.peer.port=8080,"
                      "http.status_code=503,http.flavor=1.1,6",
                      2},
                     {"http.method=GET,http.scheme=http,net.peer.name=127.0.0.1,net.peer.port=8080,"
                      "http.status_code=,http.flavor=,4",
                      2}}));
  const auto active = fx.one("http.client.active_requests");
  ASSERT_EQ(active.numbers.size(), 1u);
  EXPECT_EQ(std::get<std::int64_t>(active.numbers[0].value), 1);
  EXPECT_EQ(active.numbers[0].attributes.size(), 4u);
}

TEST(RequestKinds, PastItsOutcomesAKindsRequestsAreMeasuredWithLists) {
  metrics::fixture::Fixture fx;
  const HttpMetrics m(fx.provider, fx.meter, SemconvMode::Stable, /*client=*/true);
  const auto f = request("svc", 80);
  const RequestKind* k = m.kind(f);
  ASSERT_NE(k, nullptr);
  std::map<std::string, std::uint64_t> expected;
  for (int status = 200; status < 220; ++status) {  // more statuses than a kind keeps sets for
    m.duration(answered(f, status), k, kTook, instrument::detail::kNoExemplar);
    m.duration(answered(f, status), k, kTook, instrument::detail::kNoExemplar);
    expected["server.address=svc,http.response.status_code=" + std::to_string(status) + ",6"] = 2;
  }
  EXPECT_EQ(series(fx.one("http.client.request.duration"), {"server.address", "http.response.status_code"}),
            expected);
}

TEST(RequestKinds, PastItsKindsARequestIsOfNoneAndStillMeasured) {
  metrics::fixture::Fixture fx;
  const HttpMetrics m(fx.provider, fx.meter, SemconvMode::Stable, /*client=*/true);
  std::vector<std::string> hosts;
  for (int i = 0; i < 400; ++i) hosts.push_back("host-" + std::to_string(i) + ".example");
  std::size_t none = 0;
  std::map<std::string, std::uint64_t> expected;
  for (const auto& h : hosts) {
    const auto f = request(h);
    const RequestKind* k = m.kind(f);
    if (k == nullptr) ++none;
    m.duration(answered(f, 200), k, kTook, instrument::detail::kNoExemplar);
    expected["server.address=" + h + ",6"] = 1;
  }
  EXPECT_GT(none, 0u);  // the table has room for fewer
  EXPECT_LT(none, hosts.size());
  EXPECT_EQ(series(fx.one("http.client.request.duration"), {"server.address"}), expected);
}

TEST(RequestKinds, ThreadsFindOneKindForTheSameFacts) {
  metrics::fixture::Fixture fx;
  const HttpMetrics m(fx.provider, fx.meter, SemconvMode::Stable, /*client=*/true);
  constexpr int kThreads = 4, kHosts = 40;
  std::vector<std::vector<const RequestKind*>> found(kThreads);
  std::atomic<int> ready{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      ready.fetch_add(1);
      while (ready.load() < kThreads) {
      }
      for (int h = 0; h < kHosts; ++h) {
        const std::string host = "h" + std::to_string(h);
        const auto f = request(host);
        const RequestKind* k = m.kind(f);
        found[t].push_back(k);
        m.active(f, k, +1);
        m.duration(answered(f, 200), k, kTook, instrument::detail::kNoExemplar);
        m.active(f, k, -1);
      }
    });
  for (auto& t : threads) t.join();
  for (int t = 1; t < kThreads; ++t) EXPECT_EQ(found[t], found[0]);
  const auto durations = fx.one("http.client.request.duration");
  ASSERT_EQ(durations.histograms.size(), static_cast<std::size_t>(kHosts));
  for (const auto& p : durations.histograms) EXPECT_EQ(p.count, static_cast<std::uint64_t>(kThreads));
  for (const auto& p : fx.one("http.client.active_requests").numbers)
    EXPECT_EQ(std::get<std::int64_t>(p.value), 0);
}

TEST(RequestKinds, AServersRouteIsPartOfItsOutcome) {
  metrics::fixture::Fixture fx;
  const HttpMetrics m(fx.provider, fx.meter, SemconvMode::Stable, /*client=*/false);
  HttpRequestFacts f;
  f.method = "GET";
  f.scheme = "http";
  const RequestKind* k = m.kind(f);
  ASSERT_NE(k, nullptr);
  for (const std::string route : {"/items/{sku}", "/users/{id}", "/items/{sku}"}) {
    auto done = answered(f, 200);
    done.route = route;
    m.duration(done, k, kTook, instrument::detail::kNoExemplar);
  }
  EXPECT_EQ(series(fx.one("http.server.request.duration"), {"http.route"}),
            (std::map<std::string, std::uint64_t>{{"http.route=/items/{sku},5", 2}, {"http.route=/users/{id},5", 1}}));
}

TEST(RequestKinds, TwoInstrumentationsOfOneProviderCountActiveRequestsAsOneSeries) {
  // Two instrumented sessions: each HttpMetrics of its own, both counting into one series (the
  // SDK keeps one observation a series: were each to observe its own count, one would be lost).
  metrics::fixture::Fixture fx;
  const HttpMetrics a(fx.provider, fx.meter, SemconvMode::Stable, /*client=*/true);
  const HttpMetrics b(fx.provider, fx.meter, SemconvMode::Duplicate, /*client=*/true);
  const auto f = request("svc");
  a.active(f, a.kind(f), +1);
  b.active(f, b.kind(f), +1);
  b.active(f, nullptr, +1);  // and a request of no kind, counted by its list
  const auto one = fx.one("http.client.active_requests");
  ASSERT_EQ(one.numbers.size(), 1u);
  EXPECT_EQ(std::get<std::int64_t>(one.numbers[0].value), 3);
  EXPECT_FALSE(one.monotonic);

  // Another provider's instrumentation counts apart.
  metrics::fixture::Fixture other;
  const HttpMetrics c(other.provider, other.meter, SemconvMode::Stable, /*client=*/true);
  c.active(f, c.kind(f), +1);
  EXPECT_EQ(std::get<std::int64_t>(other.one("http.client.active_requests").numbers.at(0).value), 1);
  EXPECT_EQ(std::get<std::int64_t>(fx.one("http.client.active_requests").numbers.at(0).value), 3);
  a.active(f, a.kind(f), -1);
  EXPECT_EQ(std::get<std::int64_t>(fx.one("http.client.active_requests").numbers.at(0).value), 2);
}
