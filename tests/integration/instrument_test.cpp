// The client and server instrumentation against real servers on loopback: one trace across
// the hop, injection, attributes in each semantic-conventions mode, hooks, errors, retries,
// redirects, opting out, and the order of setup.
#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/deferred.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/json.hpp>

#include "process.hpp"
#include "raw_server.hpp"
#include "run.hpp"
#include "server_fixture.hpp"
#include "test_util.hpp"
#include "tracehop/http/session.hpp"
#include "tracehop/instrument/client.hpp"
#include "tracehop/instrument/server.hpp"

namespace asio = boost::asio;

using namespace tracehop;
using namespace tracehop::http;
using namespace std::chrono_literals;
using instrument::ClientOptions;
using instrument::HttpClientInstrumentor;
using instrument::SemconvMode;
using test::run;
using trace::SpanData;
using trace::SpanKind;
namespace json = boost::json;

namespace {

const trace::AttributeValue* attr(const SpanData& s, std::string_view key) {
  return trace::find_attribute(s.attributes, key);
}
std::string str_attr(const SpanData& s, std::string_view key) {
  const auto* v = attr(s, key);
  const auto* p = v ? v->get_if<std::string>() : nullptr;
  return p ? *p : "<absent>";
}
std::int64_t int_attr(const SpanData& s, std::string_view key) {
  const auto* v = attr(s, key);
  const auto* p = v ? v->get_if<std::int64_t>() : nullptr;
  return p ? *p : -1;
}

std::vector<const SpanData*> of_kind(const std::vector<trace::SpanDataPtr>& spans, SpanKind kind) {
  std::vector<const SpanData*> out;
  for (const auto& s : spans)
    if (s->kind == kind) out.push_back(s.get());
  return out;
}
const SpanData* named(const std::vector<trace::SpanDataPtr>& spans, std::string_view name) {
  for (const auto& s : spans)
    if (s->name == name) return s.get();
  return nullptr;
}

std::vector<std::string> header_values(const json::value& echo, std::string_view name) {
  std::vector<std::string> out;
  for (const auto& h : echo.at("headers").as_array())
    if (field_name_equal(h.as_array()[0].as_string(), name)) out.emplace_back(h.as_array()[1].as_string());
  return out;
}

struct InstrumentTest : ::testing::Test {
  void SetUp() override {
    trace::set_tracer_provider(memory.provider);
    auto& s = server.server();
    instrument::HttpServerInstrumentor::instrument(s);
    s.route("GET", "/items/{sku}", [](ServerRequest& r) -> asio::awaitable<ServerResponse> {
      co_return ServerResponse::json(200, {{"sku", r.param("sku")}, {"price", 12.5}});
    });
    s.route("*", "/echo", [](ServerRequest& r) -> asio::awaitable<ServerResponse> {
      json::array headers;
      for (const auto& [n, v] : r.headers) headers.push_back(json::array{json::string(n), json::string(v)});
      co_return ServerResponse::json(200, {{"method", r.method}, {"headers", headers}});
    });
    s.route("GET", "/status/{code}", [](ServerRequest& r) -> asio::awaitable<ServerResponse> {
      co_return ServerResponse::text(std::stoi(r.param("code")), "status " + r.param("code"));
    });
    s.route("GET", "/flaky", [this](ServerRequest&) -> asio::awaitable<ServerResponse> {
      co_return ServerResponse::text(flaky_calls++ < 2 ? 503 : 200, "flaky");  // 503, 503, then 200
    });
    s.route("GET", "/redirect", [](ServerRequest&) -> asio::awaitable<ServerResponse> {
      auto resp = ServerResponse::text(302, "");
      resp.headers.set("Location", "/items/moved");
      co_return resp;
    });
    s.route("GET", "/throws", [](ServerRequest&) -> asio::awaitable<ServerResponse> {
      throw std::runtime_error("handler failed");
      co_return ServerResponse::text(200, "never");
    });
    server.start();
  }
  void TearDown() override {
    HttpClientInstrumentor{}.uninstrument();
    server.stop();
    trace::set_tracer_provider(nullptr);
  }
  std::string url(std::string_view path) { return server.server().url() + std::string(path); }
  std::vector<trace::SpanDataPtr> spans() { return memory.spans(); }

  test::MemoryProvider memory;
  test::ServerThread server;
  std::atomic<int> flaky_calls{0};
};

ClientOptions with_mode(SemconvMode mode) {
  ClientOptions o;
  o.semconv = mode;
  return o;
}

}  // namespace

TEST_F(InstrumentTest, ClientSpanIsTheParentOfTheServerSpanInOneTrace) {
  HttpClientInstrumentor{}.instrument(with_mode(SemconvMode::Old));
  run([&]() -> asio::awaitable<void> {
    ClientSession session(co_await asio::this_coro::executor);
    {
      auto parent = memory.tracer->start_as_current_span("check-inventory");
      auto resp = co_await session.get(url("/items/SKU-9931"));
      resp.raise_for_status();
      EXPECT_EQ((co_await resp.json()).at("sku"), "SKU-9931");
    }
    co_await session.close();
  });
  const auto all = spans();
  const auto* parent = named(all, "check-inventory");
  const auto clients = of_kind(all, SpanKind::Client);
  const auto servers = of_kind(all, SpanKind::Server);
  ASSERT_TRUE(parent);
  ASSERT_EQ(clients.size(), 1u);
  ASSERT_EQ(servers.size(), 1u);
  const auto& client = *clients[0];
  const auto& srv = *servers[0];
  EXPECT_EQ(client.name, "GET");
  EXPECT_EQ(client.parent_span_id, parent->context.span_id());
  EXPECT_EQ(srv.context.trace_id(), client.context.trace_id());
  EXPECT_EQ(srv.parent_span_id, client.context.span_id());
  EXPECT_TRUE(srv.parent_remote);
  EXPECT_EQ(srv.name, "GET /items/{sku}");
  EXPECT_EQ(str_attr(srv, "http.route"), "/items/{sku}");
  EXPECT_EQ(str_attr(client, "http.method"), "GET");
  EXPECT_EQ(str_attr(client, "http.url"), url("/items/SKU-9931"));
  EXPECT_EQ(int_attr(client, "http.status_code"), 200);
  EXPECT_EQ(str_attr(client, "net.peer.name"), "127.0.0.1");
  EXPECT_EQ(int_attr(client, "net.peer.port"), server.port());
  EXPECT_EQ(attr(client, "http.request.method"), nullptr);  // old names only by default
  EXPECT_EQ(client.status.code, trace::StatusCode::Unset);
}

TEST_F(InstrumentTest, InjectedTraceparentCarriesTheClientSpanIdAndReplacesTheCallers) {
  HttpClientInstrumentor{}.instrument();
  json::value echo;
  run([&]() -> asio::awaitable<void> {
    ClientSession session(co_await asio::this_coro::executor);
    auto parent = memory.tracer->start_as_current_span("parent");
    RequestOptions o;
    o.headers.add("X-First", "1");
    o.headers.add("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
    o.headers.add("X-Last", "2");
    auto resp = co_await session.get(url("/echo"), o);
    echo = co_await resp.json();
    co_await session.close();
  });
  const auto clients = of_kind(spans(), SpanKind::Client);
  ASSERT_EQ(clients.size(), 1u);
  const auto tp = header_values(echo, "traceparent");
  ASSERT_EQ(tp.size(), 1u);  // replaced, never duplicated
  EXPECT_EQ(tp[0], trace::format_traceparent(clients[0]->context));
  EXPECT_NE(tp[0].find("-" + clients[0]->context.span_id().to_hex() + "-"), std::string::npos);
  EXPECT_EQ(header_values(echo, "X-First"), std::vector<std::string>{"1"});
  EXPECT_EQ(header_values(echo, "X-Last"), std::vector<std::string>{"2"});
}

TEST_F(InstrumentTest, AttributesInEachSemconvMode) {
  for (auto mode : {SemconvMode::Old, SemconvMode::Stable, SemconvMode::Duplicate}) {
    memory.exporter->clear();
    run([&]() -> asio::awaitable<void> {
      ClientSession session(co_await asio::this_coro::executor);
      instrument::HttpClientInstrumentor::instrument_session(session, with_mode(mode));
      auto resp = co_await session.get(url("/status/404"));
      co_await session.close();
    });
    const auto clients = of_kind(spans(), SpanKind::Client);
    ASSERT_EQ(clients.size(), 1u);
    const auto& c = *clients[0];
    const bool old = mode != SemconvMode::Stable, stable = mode != SemconvMode::Old;
    EXPECT_EQ(attr(c, "http.method") != nullptr, old);
    EXPECT_EQ(attr(c, "http.url") != nullptr, old);
    EXPECT_EQ(attr(c, "http.status_code") != nullptr, old);
    EXPECT_EQ(attr(c, "net.peer.name") != nullptr, old);
    EXPECT_EQ(str_attr(c, "http.request.method"), stable ? "GET" : "<absent>");
    EXPECT_EQ(str_attr(c, "url.full"), stable ? url("/status/404") : "<absent>");
    EXPECT_EQ(str_attr(c, "server.address"), stable ? "127.0.0.1" : "<absent>");
    EXPECT_EQ(int_attr(c, "server.port"), stable ? server.port() : -1);
    EXPECT_EQ(int_attr(c, "http.response.status_code"), stable ? 404 : -1);
    EXPECT_EQ(str_attr(c, "network.protocol.version"), stable ? "1.1" : "<absent>");
    EXPECT_EQ(str_attr(c, "error.type"), stable ? "404" : "<absent>");
    EXPECT_EQ(c.status.code, trace::StatusCode::Error);  // >= 400 on the client
  }
}

TEST_F(InstrumentTest, TheGuidesHooksAndUrlFilter) {
  ClientOptions o = with_mode(SemconvMode::Old);
  o.request_hook = [](trace::Span& span, const RequestStartParams& params) {
    if (span.is_recording()) {
      span.set_attribute("peer.service", "inventory");
      span.set_attribute("http.request.host", params.url.host());
    }
  };
  o.response_hook = [](trace::Span& span, const Response& response) {
    if (!span.is_recording()) return;
    if (auto length = response.headers().first("Content-Length"))
      span.set_attribute("http.response.body.size", std::stoll(std::string(*length)));
    if (response.status() >= 500) span.set_attribute("error.type", "upstream_5xx");
  };
  o.url_filter = [](std::string_view u) { return std::string(u.substr(0, u.find('?'))); };
  HttpClientInstrumentor{}.instrument(std::move(o));
  std::string body;
  run([&]() -> asio::awaitable<void> {
    ClientSession session(co_await asio::this_coro::executor);
    auto resp = co_await session.get(url("/items/SKU-9931?token=secret"));
    body = co_await resp.read();
    auto failing = co_await session.get(url("/status/502"));
    co_await session.close();
  });
  const auto clients = of_kind(spans(), SpanKind::Client);
  ASSERT_EQ(clients.size(), 2u);
  EXPECT_EQ(str_attr(*clients[0], "peer.service"), "inventory");
  EXPECT_EQ(str_attr(*clients[0], "http.request.host"), "127.0.0.1");
  EXPECT_EQ(int_attr(*clients[0], "http.response.body.size"), static_cast<std::int64_t>(body.size()));
  EXPECT_EQ(str_attr(*clients[0], "http.url"), url("/items/SKU-9931"));  // the filter dropped the query
  EXPECT_EQ(str_attr(*clients[1], "error.type"), "upstream_5xx");
}

TEST_F(InstrumentTest, TheRecordedUrlIsRedacted) {
  HttpClientInstrumentor{}.instrument(with_mode(SemconvMode::Stable));
  run([&]() -> asio::awaitable<void> {
    ClientSession session(co_await asio::this_coro::executor);
    const auto with_secret = "http://alice:wonderland@127.0.0.1:" + std::to_string(server.port()) + "/echo?Signature=s3cr3t&keep=1";
    auto resp = co_await session.get(with_secret);
    co_await session.close();
  });
  const auto clients = of_kind(spans(), SpanKind::Client);
  ASSERT_EQ(clients.size(), 1u);
  EXPECT_EQ(str_attr(*clients[0], "url.full"),
            "http://REDACTED:REDACTED@127.0.0.1:" + std::to_string(server.port()) + "/echo?Signature=REDACTED&keep=1");
}

TEST_F(InstrumentTest, FailuresAreErrorsWithAnExceptionEventAndCancellationIsNot) {
  HttpClientInstrumentor{}.instrument(with_mode(SemconvMode::Stable));
  test::RawServer silent([](asio::ip::tcp::socket& s, int) {
    test::RawServer::read_request(s);
    std::this_thread::sleep_for(200ms);  // never answers in time
  });
  const auto refused_port = test::free_port();
  run([&]() -> asio::awaitable<void> {
    ClientSession session(co_await asio::this_coro::executor);
    EXPECT_THROW(co_await session.get("http://127.0.0.1:" + std::to_string(refused_port) + "/"), ClientConnectorError);
    // Cancelled by the caller: a timer wins the race against a server that does not answer.
    auto ex = co_await asio::this_coro::executor;
    asio::steady_timer timer(ex, 50ms);
    auto [order, req_ex, resp, timer_ec] =
        co_await asio::experimental::make_parallel_group(asio::co_spawn(ex, session.get(silent.url()), asio::deferred),
                                                         timer.async_wait(asio::deferred))
            .async_wait(asio::experimental::wait_for_one(), asio::use_awaitable);
    EXPECT_EQ(order[0], 1u);  // the timer won
    co_await session.close();
  });
  const auto clients = of_kind(spans(), SpanKind::Client);
  ASSERT_EQ(clients.size(), 2u);
  const auto& refused = *clients[0];
  EXPECT_EQ(refused.status.code, trace::StatusCode::Error);
  EXPECT_EQ(str_attr(refused, "error.type"), "tracehop::http::ClientConnectorError");
  ASSERT_FALSE(refused.events.empty());
  EXPECT_EQ(refused.events[0].name, "exception");
  const auto& cancelled = *clients[1];
  EXPECT_EQ(cancelled.status.code, trace::StatusCode::Unset);
  EXPECT_EQ(attr(cancelled, "error.type"), nullptr);
  ASSERT_FALSE(cancelled.events.empty());
  EXPECT_EQ(cancelled.events.back().name, "cancelled");
}

TEST_F(InstrumentTest, TheGuidesRetryLoopGivesThreeSiblingSpans) {
  HttpClientInstrumentor{}.instrument(with_mode(SemconvMode::Old));
  run([&]() -> asio::awaitable<void> {
    ClientSession session(co_await asio::this_coro::executor);
    auto parent = memory.tracer->start_as_current_span("fetch-inventory-retrying");
    for (int attempt = 1; attempt <= 3; ++attempt) {
      parent->set_attribute("retry.attempt", attempt);
      try {
        auto resp = co_await session.get(url("/flaky"));
        resp.raise_for_status();
        co_await resp.read();
        break;
      } catch (const ClientError&) {
        if (attempt == 3) throw;
      }
      co_await test::sleep_for(std::chrono::milliseconds(20 * attempt));  // linear backoff
    }
    co_await session.close();
  });
  const auto all = spans();
  const auto* parent = named(all, "fetch-inventory-retrying");
  ASSERT_TRUE(parent);
  const auto clients = of_kind(all, SpanKind::Client);
  ASSERT_EQ(clients.size(), 3u);
  std::vector<std::int64_t> codes;
  for (const auto* c : clients) {
    EXPECT_EQ(c->parent_span_id, parent->context.span_id());
    codes.push_back(int_attr(*c, "http.status_code"));
  }
  EXPECT_EQ(codes, (std::vector<std::int64_t>{503, 503, 200}));
  EXPECT_NE(clients[0]->context.span_id(), clients[1]->context.span_id());
  EXPECT_NE(clients[1]->context.span_id(), clients[2]->context.span_id());
}

TEST_F(InstrumentTest, EachRedirectHopIsItsOwnSpanWithItsResendCount) {
  HttpClientInstrumentor{}.instrument(with_mode(SemconvMode::Stable));
  run([&]() -> asio::awaitable<void> {
    ClientSession session(co_await asio::this_coro::executor);
    auto resp = co_await session.get(url("/redirect"));
    EXPECT_EQ(resp.status(), 200);
    co_await session.close();
  });
  const auto clients = of_kind(spans(), SpanKind::Client);
  ASSERT_EQ(clients.size(), 2u);
  EXPECT_EQ(int_attr(*clients[0], "http.response.status_code"), 302);
  EXPECT_EQ(attr(*clients[0], "http.request.resend_count"), nullptr);
  EXPECT_EQ(int_attr(*clients[1], "http.request.resend_count"), 1);
  EXPECT_EQ(str_attr(*clients[1], "url.full"), url("/items/moved"));
  EXPECT_EQ(clients[0]->status.code, trace::StatusCode::Unset);
}

TEST_F(InstrumentTest, ANestedSpanCurrentAtRequestTimeBecomesTheParent) {
  HttpClientInstrumentor{}.instrument();
  run([&]() -> asio::awaitable<void> {
    ClientSession session(co_await asio::this_coro::executor);
    auto handler = memory.tracer->start_as_current_span("handler");
    {
      auto helper = memory.tracer->start_as_current_span("helper");
      auto resp = co_await session.get(url("/items/a"));
    }
    co_await session.close();
  });
  const auto all = spans();
  const auto clients = of_kind(all, SpanKind::Client);
  ASSERT_EQ(clients.size(), 1u);
  EXPECT_EQ(clients[0]->parent_span_id, named(all, "helper")->context.span_id());
}

TEST_F(InstrumentTest, UnsampledParentPropagatesFlags00AndRecordsNothing) {
  HttpClientInstrumentor{}.instrument();
  json::value echo;
  const trace::SpanContext remote(trace::TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736").value(),
                                  trace::SpanId::from_hex("00f067aa0ba902b7").value(), trace::TraceFlags{}, true);
  run([&]() -> asio::awaitable<void> {
    ClientSession session(co_await asio::this_coro::executor);
    trace::Scope scope(trace::Context{}.with_span(trace::Span(remote)));
    auto resp = co_await session.get(url("/echo"));
    echo = co_await resp.json();
    co_await session.close();
  });
  const auto tp = header_values(echo, "traceparent");
  ASSERT_EQ(tp.size(), 1u);
  EXPECT_TRUE(tp[0].starts_with("00-4bf92f3577b34da6a3ce929d0e0e4736-")) << tp[0];
  EXPECT_TRUE(tp[0].ends_with("-00")) << tp[0];
  EXPECT_TRUE(of_kind(spans(), SpanKind::Client).empty());
  // The server honoured the unsampled flag too (parent-based sampling).
  EXPECT_TRUE(of_kind(spans(), SpanKind::Server).empty());
}

TEST_F(InstrumentTest, OptOutAndExcludedUrlsStillPropagateButSuppressionSendsNothing) {
  ClientOptions o;
  o.excluded_urls = std::vector<std::string>{"/health$"};
  HttpClientInstrumentor{}.instrument(std::move(o));
  json::value opted_out, excluded, suppressed;
  std::string parent_id;
  run([&]() -> asio::awaitable<void> {
    ClientSession session(co_await asio::this_coro::executor);
    auto parent = memory.tracer->start_as_current_span("parent");
    parent_id = parent->span_context().span_id().to_hex();
    RequestOptions no_trace;
    no_trace.trace = false;
    auto r1 = co_await session.get(url("/echo"), no_trace);
    opted_out = co_await r1.json();
    auto r2 = co_await session.get(url("/echo?probe=/health"));
    excluded = co_await r2.json();
    {
      instrument::SuppressInstrumentation quiet;
      auto r3 = co_await session.get(url("/echo"));
      suppressed = co_await r3.json();
    }
    co_await session.close();
  });
  EXPECT_TRUE(of_kind(spans(), SpanKind::Client).empty());
  for (const auto* echo : {&opted_out, &excluded}) {
    const auto tp = header_values(*echo, "traceparent");
    ASSERT_EQ(tp.size(), 1u);
    EXPECT_NE(tp[0].find("-" + parent_id + "-"), std::string::npos) << tp[0];  // the caller's span
  }
  EXPECT_TRUE(header_values(suppressed, "traceparent").empty());
}

TEST_F(InstrumentTest, PropagationOfUntracedRequestsCanBeTurnedOff) {
  ClientOptions o;
  o.propagate_untraced = false;
  HttpClientInstrumentor{}.instrument(std::move(o));
  json::value echo;
  run([&]() -> asio::awaitable<void> {
    ClientSession session(co_await asio::this_coro::executor);
    auto parent = memory.tracer->start_as_current_span("parent");
    RequestOptions no_trace;
    no_trace.trace = false;
    auto r = co_await session.get(url("/echo"), no_trace);
    echo = co_await r.json();
    co_await session.close();
  });
  EXPECT_TRUE(header_values(echo, "traceparent").empty());
}

TEST_F(InstrumentTest, InstrumentingBeforeTheProviderAndBeforeTheSessionStillRecords) {
  trace::set_tracer_provider(nullptr);
  HttpClientInstrumentor{}.instrument();  // no provider yet
  run([&]() -> asio::awaitable<void> {
    ClientSession early(co_await asio::this_coro::executor);  // made before the provider
    trace::set_tracer_provider(memory.provider);
    auto resp = co_await early.get(url("/items/x"));
    co_await early.close();
  });
  EXPECT_EQ(of_kind(spans(), SpanKind::Client).size(), 1u);

  memory.exporter->clear();
  HttpClientInstrumentor{}.uninstrument();
  run([&]() -> asio::awaitable<void> {
    ClientSession session(co_await asio::this_coro::executor);
    auto r1 = co_await session.get(url("/items/x"));  // not instrumented yet
    HttpClientInstrumentor{}.instrument();            // after the session exists
    auto r2 = co_await session.get(url("/items/y"));
    co_await session.close();
  });
  EXPECT_EQ(of_kind(spans(), SpanKind::Client).size(), 1u);
}

TEST_F(InstrumentTest, WithoutAnSdkTheHookRunsAndTheCallersContextStillPropagates) {
  trace::set_tracer_provider(nullptr);  // instrumented, no provider (as with OTEL_SDK_DISABLED)
  ClientOptions o;
  int hooked = 0;
  o.request_hook = [&](trace::Span& span, const RequestStartParams&) {
    ++hooked;
    EXPECT_FALSE(span.is_recording());
  };
  HttpClientInstrumentor{}.instrument(std::move(o));
  const std::string caller = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
  json::value untraced, under_caller;
  run([&]() -> asio::awaitable<void> {
    ClientSession session(co_await asio::this_coro::executor);
    untraced = co_await (co_await session.get(url("/echo"))).json();
    trace::MapCarrier carrier;
    carrier.set("traceparent", caller);
    trace::Scope scope(trace::extract(carrier, trace::Context::current()));
    under_caller = co_await (co_await session.get(url("/echo"))).json();
    co_await session.close();
  });
  EXPECT_EQ(hooked, 2);
  EXPECT_TRUE(header_values(untraced, "traceparent").empty());  // no context, nothing invented
  EXPECT_EQ(header_values(under_caller, "traceparent"), std::vector<std::string>{caller});  // passed on as it came
  EXPECT_TRUE(spans().empty());
}

TEST_F(InstrumentTest, AnInstrumentedSessionIsNotTracedTwiceAndKeepsItsOwnProvider) {
  HttpClientInstrumentor{}.instrument();
  test::MemoryProvider own;
  run([&]() -> asio::awaitable<void> {
    ClientSession session(co_await asio::this_coro::executor);
    ClientOptions o;
    o.tracer_provider = own.provider;
    HttpClientInstrumentor::instrument_session(session, std::move(o));
    auto resp = co_await session.get(url("/items/x"));
    co_await session.close();
  });
  EXPECT_EQ(of_kind(own.spans(), SpanKind::Client).size(), 1u);
  EXPECT_TRUE(of_kind(spans(), SpanKind::Client).empty());  // the global instrumentation stood aside
  ASSERT_EQ(own.spans().size(), 1u);
  EXPECT_EQ(own.spans()[0]->scope->name, instrument::kClientScope);
}

TEST_F(InstrumentTest, PoolWaitAndReuseAreOnTheSpan) {
  HttpClientInstrumentor{}.instrument();
  run([&]() -> asio::awaitable<void> {
    SessionOptions so{.connector = {.limit = 1}};
    ClientSession session(co_await asio::this_coro::executor, std::move(so));
    auto slow = [&]() -> asio::awaitable<void> {
      auto r = co_await session.get(url("/items/first"));
      co_await test::sleep_for(100ms);  // holds the only connection
      co_await r.read();
    };
    auto waiting = [&]() -> asio::awaitable<void> {
      co_await test::sleep_for(20ms);
      auto r = co_await session.get(url("/items/second"));
      co_await r.read();
    };
    co_await tracehop::gather(slow(), waiting());
    co_await session.close();
  });
  const auto clients = of_kind(spans(), SpanKind::Client);
  ASSERT_EQ(clients.size(), 2u);
  const auto* first = clients[0];
  const auto* second = clients[1];
  auto num = [](const SpanData& s, std::string_view k) {
    const auto* v = attr(s, k);
    return v && v->get_if<double>() ? *v->get_if<double>() : -1.0;
  };
  auto flag = [](const SpanData& s, std::string_view k) {
    const auto* v = attr(s, k);
    return v && v->get_if<bool>() && *v->get_if<bool>();
  };
  EXPECT_FALSE(flag(*first, "tracehop.connection.reused"));
  EXPECT_TRUE(flag(*second, "tracehop.connection.reused"));
  EXPECT_LT(num(*first, "tracehop.connection.wait_ms"), 20.0);
  EXPECT_GT(num(*second, "tracehop.connection.wait_ms"), 40.0);
}

TEST_F(InstrumentTest, ListedHeadersAreCaptured) {
  ClientOptions o;
  o.capture_request_headers = std::vector<std::string>{"X-Request-Id"};
  o.capture_response_headers = std::vector<std::string>{"content-type"};
  HttpClientInstrumentor{}.instrument(std::move(o));
  run([&]() -> asio::awaitable<void> {
    ClientSession session(co_await asio::this_coro::executor);
    RequestOptions ro;
    ro.headers.add("X-Request-Id", "r-1");
    ro.headers.add("x-request-id", "r-2");
    auto resp = co_await session.get(url("/items/h"), ro);
    co_await session.close();
  });
  const auto clients = of_kind(spans(), SpanKind::Client);
  ASSERT_EQ(clients.size(), 1u);
  const auto* req = attr(*clients[0], "http.request.header.x-request-id");
  ASSERT_TRUE(req && req->get_if<std::vector<std::string>>());
  EXPECT_EQ(*req->get_if<std::vector<std::string>>(), (std::vector<std::string>{"r-1", "r-2"}));
  const auto* resp = attr(*clients[0], "http.response.header.content-type");
  ASSERT_TRUE(resp && resp->get_if<std::vector<std::string>>());
  EXPECT_EQ(resp->get_if<std::vector<std::string>>()->at(0), "application/json");
}

TEST_F(InstrumentTest, UnknownMethodIsOtherAndTheSpanIsNamedHttp) {
  HttpClientInstrumentor{}.instrument(with_mode(SemconvMode::Stable));
  run([&]() -> asio::awaitable<void> {
    ClientSession session(co_await asio::this_coro::executor);
    auto resp = co_await session.request("PURGE", url("/echo"));
    co_await session.close();
  });
  const auto clients = of_kind(spans(), SpanKind::Client);
  ASSERT_EQ(clients.size(), 1u);
  EXPECT_EQ(clients[0]->name, "HTTP");
  EXPECT_EQ(str_attr(*clients[0], "http.request.method"), "_OTHER");
  EXPECT_EQ(str_attr(*clients[0], "http.request.method_original"), "PURGE");
}

TEST_F(InstrumentTest, ServerSpanIsAnErrorOnlyFor5xxAndForAThrowingHandler) {
  run([&]() -> asio::awaitable<void> {
    ClientSession session(co_await asio::this_coro::executor);
    auto r404 = co_await session.get(url("/status/404"));
    auto r503 = co_await session.get(url("/status/503"));
    auto thrown = co_await session.get(url("/throws"));
    EXPECT_EQ(thrown.status(), 500);
    co_await session.close();
  });
  const auto servers = of_kind(spans(), SpanKind::Server);
  ASSERT_EQ(servers.size(), 3u);
  EXPECT_EQ(servers[0]->status.code, trace::StatusCode::Unset);
  EXPECT_EQ(int_attr(*servers[0], "http.response.status_code"), 404);
  EXPECT_EQ(servers[1]->status.code, trace::StatusCode::Error);
  EXPECT_EQ(str_attr(*servers[1], "error.type"), "503");
  EXPECT_EQ(servers[2]->status.code, trace::StatusCode::Error);
  EXPECT_EQ(str_attr(*servers[2], "error.type"), "std::runtime_error");
  EXPECT_EQ(servers[2]->events.at(0).name, "exception");
  EXPECT_EQ(servers[0]->parent_span_id, trace::SpanId{});  // no client span, no parent
  EXPECT_EQ(str_attr(*servers[0], "url.path"), "/status/404");
  EXPECT_EQ(str_attr(*servers[0], "url.scheme"), "http");
  EXPECT_EQ(str_attr(*servers[0], "client.address"), "127.0.0.1");
  EXPECT_EQ(str_attr(*servers[0], "user_agent.original"), "tracehop/0.1");
  EXPECT_EQ(str_attr(*servers[0], "http.request.method"), "GET");
  EXPECT_EQ(str_attr(*servers[0], "server.address"), "127.0.0.1");  // from the Host header
  EXPECT_EQ(int_attr(*servers[0], "server.port"), server.port());
  EXPECT_GT(int_attr(*servers[0], "network.peer.port"), 0);
  EXPECT_EQ(str_attr(*servers[0], "network.protocol.version"), "1.1");
}

TEST_F(InstrumentTest, ServerAddressAndPortComeFromTheHostHeader) {
  run([&]() -> asio::awaitable<void> {
    ClientSession session(co_await asio::this_coro::executor);
    for (const char* host : {"[::1]:9999", "shop.example", "shop.example:no-port"}) {
      RequestOptions o;
      o.headers.set("Host", host);
      auto resp = co_await session.get(url("/items/a"), o);
      co_await resp.read();
    }
    co_await session.close();
  });
  const auto servers = of_kind(spans(), SpanKind::Server);
  ASSERT_EQ(servers.size(), 3u);
  EXPECT_EQ(str_attr(*servers[0], "server.address"), "::1");
  EXPECT_EQ(int_attr(*servers[0], "server.port"), 9999);
  EXPECT_EQ(str_attr(*servers[1], "server.address"), "shop.example");
  EXPECT_EQ(int_attr(*servers[1], "server.port"), 80);
  EXPECT_EQ(str_attr(*servers[2], "server.address"), "shop.example");
  EXPECT_EQ(int_attr(*servers[2], "server.port"), 80);  // not a number: the default
}

TEST_F(InstrumentTest, ServerSpanRecordsAnyThrownValueAndAStreamThatFailsAfterItBegan) {
  test::ServerThread faulty;
  auto& s = faulty.server();
  instrument::HttpServerInstrumentor::instrument(s);
  s.route("GET", "/int", [](ServerRequest&) -> asio::awaitable<ServerResponse> {
    throw 42;
    co_return ServerResponse{};
  });
  s.route("GET", "/stream/{how}", [](ServerRequest& r) -> asio::awaitable<ServerResponse> {
    const std::string how = r.param("how");
    co_return ServerResponse::streamed(200, [how](BodyWriter& out) -> asio::awaitable<void> {
      // The SERVER span is current while the body is produced.
      EXPECT_TRUE(trace::current_span().is_recording());
      co_await out.write("part");
      if (how == "fails") throw std::runtime_error("source lost");
    });
  });
  faulty.start();
  run([&]() -> asio::awaitable<void> {
    ClientSession session(co_await asio::this_coro::executor);
    EXPECT_EQ((co_await session.get(faulty.server().url() + "/int")).status(), 500);
    auto ok = co_await session.get(faulty.server().url() + "/stream/ok");
    EXPECT_EQ(co_await ok.read(), "part");
    auto cut = co_await session.get(faulty.server().url() + "/stream/fails");
    EXPECT_THROW(co_await cut.read(), ClientPayloadError);
    auto head = co_await session.request("HEAD", faulty.server().url() + "/stream/ok");  // the stream never runs
    EXPECT_EQ(head.status(), 200);
    co_await session.close();
  });
  faulty.stop();
  const auto servers = of_kind(spans(), SpanKind::Server);
  ASSERT_EQ(servers.size(), 4u);
  const auto* thrown = named(spans(), "GET /int");
  ASSERT_NE(thrown, nullptr);
  EXPECT_EQ(thrown->status.code, trace::StatusCode::Error);
  EXPECT_EQ(str_attr(*thrown, "error.type"), "_OTHER");
  EXPECT_EQ(int_attr(*thrown, "http.response.status_code"), 500);
  ASSERT_EQ(thrown->events.size(), 1u);
  EXPECT_EQ(str_attr(*thrown, "http.route"), "/int");
  const auto& event = thrown->events[0];
  EXPECT_EQ(event.name, "exception");
  const auto* type = trace::find_attribute(event.attributes, "exception.type");
  ASSERT_NE(type, nullptr);
  EXPECT_EQ(*type->get_if<std::string>(), "int");

  std::vector<const SpanData*> streams;
  for (const auto* sp : servers)
    if (sp->name == "GET /stream/{how}" || sp->name == "HEAD /stream/{how}") streams.push_back(sp);
  ASSERT_EQ(streams.size(), 3u);
  const SpanData* failed = nullptr;
  for (const auto* sp : streams) {
    if (str_attr(*sp, "url.path") == "/stream/fails") failed = sp;
    else EXPECT_EQ(sp->status.code, trace::StatusCode::Unset) << sp->name;
  }
  ASSERT_NE(failed, nullptr);
  EXPECT_EQ(failed->status.code, trace::StatusCode::Error);
  EXPECT_EQ(str_attr(*failed, "error.type"), "std::runtime_error");
  EXPECT_EQ(int_attr(*failed, "http.response.status_code"), 200);  // what the client was sent
  ASSERT_EQ(failed->events.size(), 1u);
  EXPECT_EQ(failed->events[0].name, "exception");
}

TEST_F(InstrumentTest, AHandlersOwnClientCallsContinueTheTrace) {
  // client -> this server's /chain -> the downstream server: three services, one trace.
  test::ServerThread downstream;
  instrument::HttpServerInstrumentor::instrument(downstream.server());
  downstream.server().route("GET", "/leaf", [](ServerRequest&) -> asio::awaitable<ServerResponse> {
    co_return ServerResponse::text(200, "leaf");
  });
  downstream.start();
  test::ServerThread middle;
  instrument::HttpServerInstrumentor::instrument(middle.server());
  const auto leaf = downstream.server().url() + "/leaf";
  middle.server().route("GET", "/chain", [leaf](ServerRequest&) -> asio::awaitable<ServerResponse> {
    ClientSession inner(co_await asio::this_coro::executor);
    auto r = co_await inner.get(leaf);
    auto text = co_await r.text();
    co_await inner.close();
    co_return ServerResponse::text(200, "via " + text);
  });
  middle.start();
  HttpClientInstrumentor{}.instrument();
  run([&]() -> asio::awaitable<void> {
    ClientSession session(co_await asio::this_coro::executor);
    auto resp = co_await session.get(middle.server().url() + "/chain");
    EXPECT_EQ(co_await resp.text(), "via leaf");
    co_await session.close();
  });
  middle.stop();
  downstream.stop();
  const auto all = spans();
  const auto clients = of_kind(all, SpanKind::Client);
  const auto servers = of_kind(all, SpanKind::Server);
  ASSERT_EQ(clients.size(), 2u);
  ASSERT_EQ(servers.size(), 2u);
  const auto* outer_client = clients[0]->name == "GET" && clients[0]->parent_span_id.valid() ? clients[1] : clients[0];
  const auto* inner_client = outer_client == clients[0] ? clients[1] : clients[0];
  const auto* chain = named(all, "GET /chain");
  const auto* leaf_span = named(all, "GET /leaf");
  ASSERT_TRUE(chain && leaf_span);
  EXPECT_FALSE(outer_client->parent_span_id.valid());
  EXPECT_EQ(chain->parent_span_id, outer_client->context.span_id());
  EXPECT_EQ(inner_client->parent_span_id, chain->context.span_id());
  EXPECT_EQ(leaf_span->parent_span_id, inner_client->context.span_id());
  for (const auto& s : all) EXPECT_EQ(s->context.trace_id(), outer_client->context.trace_id());
}

TEST_F(InstrumentTest, ThrowingHooksAreLoggedAndTheRequestIsStillTracedAndPropagated) {
  test::LogCapture log;
  ClientOptions o = with_mode(SemconvMode::Old);
  o.request_hook = [](trace::Span&, const RequestStartParams&) { throw std::runtime_error("hook bug"); };
  o.url_filter = [](std::string_view) -> std::string { throw std::runtime_error("filter bug"); };
  HttpClientInstrumentor{}.instrument(std::move(o));
  json::value echo;
  run([&]() -> asio::awaitable<void> {
    ClientSession session(co_await asio::this_coro::executor);
    auto resp = co_await session.get(url("/echo?token=secret"));
    echo = co_await resp.json();
    co_await session.close();
  });
  const auto clients = of_kind(spans(), SpanKind::Client);
  ASSERT_EQ(clients.size(), 1u);
  EXPECT_EQ(str_attr(*clients[0], "http.url"), url("/echo"));  // the query is not recorded
  EXPECT_EQ(header_values(echo, "traceparent").size(), 1u);
  EXPECT_TRUE(log.contains("request_hook threw: hook bug"));
  EXPECT_TRUE(log.contains("url_filter threw"));
}

TEST_F(InstrumentTest, ServerCapturesListedHeaders) {
  test::ServerThread listed;
  instrument::ServerOptions so;
  so.capture_request_headers = std::vector<std::string>{"X-Tenant"};
  so.capture_response_headers = std::vector<std::string>{"Content-Type"};
  instrument::HttpServerInstrumentor::instrument(listed.server(), std::move(so));
  listed.server().route("GET", "/t", [](ServerRequest&) -> asio::awaitable<ServerResponse> {
    co_return ServerResponse::text(200, "ok");
  });
  listed.start();
  run([&]() -> asio::awaitable<void> {
    ClientSession session(co_await asio::this_coro::executor);
    RequestOptions ro;
    ro.headers.add("X-Tenant", "acme");
    auto resp = co_await session.get(listed.server().url() + "/t", ro);
    co_await session.close();
  });
  listed.stop();
  const auto servers = of_kind(spans(), SpanKind::Server);
  ASSERT_EQ(servers.size(), 1u);
  const auto* tenant = attr(*servers[0], "http.request.header.x-tenant");
  ASSERT_TRUE(tenant && tenant->get_if<std::vector<std::string>>());
  EXPECT_EQ(*tenant->get_if<std::vector<std::string>>(), std::vector<std::string>{"acme"});
  const auto* type = attr(*servers[0], "http.response.header.content-type");
  ASSERT_TRUE(type && type->get_if<std::vector<std::string>>());
  EXPECT_EQ(type->get_if<std::vector<std::string>>()->at(0), "text/plain; charset=utf-8");
}

TEST_F(InstrumentTest, CapturedHeadersDefaultToTheEnvironment) {
  test::ScopedEnv env("OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_CLIENT_REQUEST", "X-From-Env, other");
  HttpClientInstrumentor{}.instrument();
  run([&]() -> asio::awaitable<void> {
    ClientSession session(co_await asio::this_coro::executor);
    RequestOptions ro;
    ro.headers.add("X-From-Env", "yes");
    auto resp = co_await session.get(url("/items/e"), ro);
    co_await session.close();
  });
  const auto clients = of_kind(spans(), SpanKind::Client);
  ASSERT_EQ(clients.size(), 1u);
  const auto* v = attr(*clients[0], "http.request.header.x-from-env");
  ASSERT_TRUE(v && v->get_if<std::vector<std::string>>());
  EXPECT_EQ(*v->get_if<std::vector<std::string>>(), std::vector<std::string>{"yes"});
  EXPECT_EQ(attr(*clients[0], "http.request.header.other"), nullptr);  // listed but not sent
}

TEST_F(InstrumentTest, SpanNamerConnectionEventsAndEndingOnTheBody) {
  ClientOptions o;
  o.span_name = [](std::string_view method, const Url&) { return std::string(method) + " /items/{sku}"; };
  o.connection_events = true;
  o.end_on_body = true;
  HttpClientInstrumentor{}.instrument(std::move(o));
  std::chrono::system_clock::time_point body_read;
  run([&]() -> asio::awaitable<void> {
    ClientSession session(co_await asio::this_coro::executor);
    auto resp = co_await session.get(url("/items/slow-reader"));
    co_await test::sleep_for(50ms);  // the body is read 50 ms after the headers came
    co_await resp.read();
    body_read = std::chrono::system_clock::now();
    co_await session.close();
  });
  const auto clients = of_kind(spans(), SpanKind::Client);
  ASSERT_EQ(clients.size(), 1u);
  const auto& c = *clients[0];
  EXPECT_EQ(c.name, "GET /items/{sku}");
  EXPECT_GE(c.duration(), 50ms);  // ended with the body, not the headers
  EXPECT_LE(c.end_time, body_read);
  std::vector<std::string> events;
  for (const auto& e : c.events) events.push_back(e.name);
  EXPECT_NE(std::find(events.begin(), events.end(), "connection.created"), events.end());
  EXPECT_NE(std::find(events.begin(), events.end(), "request.headers_sent"), events.end());
}
