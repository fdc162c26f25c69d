// RetryPolicy against a real server on loopback: retried statuses, Retry-After, methods,
// connection failures, and one CLIENT span per attempt with its resend count.
#include <gtest/gtest.h>

#include <deque>
#include <mutex>

#include "run.hpp"
#include "server_fixture.hpp"
#include "test_util.hpp"
#include "tracehop/http/session.hpp"
#include "tracehop/instrument/client.hpp"

#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/steady_timer.hpp>

namespace asio = boost::asio;

using namespace tracehop;
using namespace tracehop::http;
using namespace std::chrono_literals;
using test::run;

namespace {

// A server that answers /scripted with the statuses a test queued, then 200.
struct RetryTest : ::testing::Test {
  void SetUp() override {
    server.server().route("*", "/scripted", [this](ServerRequest& r) -> asio::awaitable<ServerResponse> {
      std::lock_guard lk(mu);
      methods.push_back(r.method);
      if (script.empty()) co_return ServerResponse::text(200, "done");
      auto resp = std::move(script.front());
      script.pop_front();
      co_return resp;
    });
    server.server().route("GET", "/moved", [](ServerRequest&) -> asio::awaitable<ServerResponse> {
      auto resp = ServerResponse::text(302, "");
      resp.headers.set("Location", "/scripted");
      co_return resp;
    });
    server.start();
  }
  void queue(int status, std::string retry_after = {}) {
    auto resp = ServerResponse::text(status, "status " + std::to_string(status));
    if (!retry_after.empty()) resp.headers.set("Retry-After", retry_after);
    std::lock_guard lk(mu);
    script.push_back(std::move(resp));
  }
  std::size_t calls() {
    std::lock_guard lk(mu);
    return methods.size();
  }
  std::string url(std::string_view path = "/scripted") { return server.server().url() + std::string(path); }

  static RetryPolicy quick(int attempts = 3) {
    RetryPolicy p;
    p.attempts = attempts;
    p.initial_backoff = 5ms;
    p.jitter = 0;
    return p;
  }

  // Sends one request with `policy` and returns its status.
  int fetch(const RetryPolicy& policy, std::string method = "GET", std::string path = "/scripted") {
    int status = 0;
    run([&]() -> asio::awaitable<void> {
      ClientSession session(co_await asio::this_coro::executor);
      RequestOptions o;
      o.retry = policy;
      auto resp = co_await session.request(method, url(path), o);
      status = resp.status();
      co_await resp.read();
      co_await session.close();
    });
    return status;
  }

  test::ServerThread server;
  std::mutex mu;
  std::deque<ServerResponse> script;
  std::vector<std::string> methods;
};

}  // namespace

TEST_F(RetryTest, RetriedStatusesUntilSuccess) {
  queue(503);
  queue(502);
  EXPECT_EQ(fetch(quick()), 200);
  EXPECT_EQ(calls(), 3u);
}

TEST_F(RetryTest, TheLastAttemptsResponseIsReturnedAsIs) {
  for (int i = 0; i < 3; ++i) queue(503);
  EXPECT_EQ(fetch(quick()), 503);
  EXPECT_EQ(calls(), 3u);
}

TEST_F(RetryTest, OtherStatusesAreNotRetried) {
  queue(500);
  queue(404);
  EXPECT_EQ(fetch(quick()), 500);
  EXPECT_EQ(calls(), 1u);
}

TEST_F(RetryTest, PostIsRetriedOnlyWhenThePolicySaysSo) {
  queue(503);
  EXPECT_EQ(fetch(quick(), "POST"), 503);
  EXPECT_EQ(calls(), 1u);
  queue(503);
  auto any = quick();
  any.idempotent_only = false;
  EXPECT_EQ(fetch(any, "POST"), 200);
  EXPECT_EQ(methods, (std::vector<std::string>{"POST", "POST", "POST"}));
}

TEST_F(RetryTest, RetryAfterIsHonouredAndALongOneIsNotWaitedFor) {
  queue(429, "0");
  EXPECT_EQ(fetch(quick()), 200);
  EXPECT_EQ(calls(), 2u);

  queue(503, "3600");  // an hour: beyond max_retry_after, so the 503 is the answer
  EXPECT_EQ(fetch(quick()), 503);
  EXPECT_EQ(calls(), 3u);

  queue(503, "3600");
  auto ignoring = quick();
  ignoring.respect_retry_after = false;
  EXPECT_EQ(fetch(ignoring), 200);
  EXPECT_EQ(calls(), 5u);
}

TEST_F(RetryTest, RaiseForStatusAppliesToTheLastAttemptOnly) {
  queue(503);
  queue(503);
  run([&]() -> asio::awaitable<void> {
    ClientSession session(co_await asio::this_coro::executor);
    RequestOptions o;
    o.retry = quick();
    o.raise_for_status = true;
    auto resp = co_await session.get(url(), o);
    EXPECT_EQ(resp.status(), 200);
    co_await resp.read();

    for (int i = 0; i < 2; ++i) queue(504);
    RequestOptions twice;
    twice.retry = quick(2);
    twice.raise_for_status = true;
    try {
      co_await session.get(url(), twice);
      ADD_FAILURE() << "no error";
    } catch (const ClientResponseError& e) {
      EXPECT_EQ(e.status(), 504);
    }
    co_await session.close();
  });
  EXPECT_EQ(calls(), 5u);
}

TEST(Retry, ConnectionFailuresAreRetriedAndTheLastOneThrown) {
  asio::io_context io;
  asio::ip::tcp::acceptor a(io, {asio::ip::make_address("127.0.0.1"), 0});
  const auto port = a.local_endpoint().port();
  a.close();  // nothing listens there now
  auto counting = std::make_shared<TraceConfig>();
  int starts = 0;
  counting->on_request_start.push_back([&](const RequestStartParams&) { ++starts; });
  run([&]() -> asio::awaitable<void> {
    SessionOptions so;
    so.trace_configs.push_back(counting);
    so.retry = RetryPolicy{};
    so.retry->initial_backoff = 1ms;
    ClientSession session(co_await asio::this_coro::executor, std::move(so));
    try {
      co_await session.get("http://127.0.0.1:" + std::to_string(port) + "/");
      ADD_FAILURE() << "no error";
    } catch (const ClientConnectorError& e) {
      EXPECT_EQ(e.port(), port);
    }
    co_await session.close();
  });
  EXPECT_EQ(starts, 3);
}

TEST_F(RetryTest, EachAttemptIsASiblingClientSpanWithItsResendCount) {
  test::MemoryProvider memory;
  trace::set_tracer_provider(memory.provider);
  instrument::ClientOptions co;
  co.semconv = instrument::SemconvMode::Stable;
  instrument::HttpClientInstrumentor{}.instrument(co);
  queue(503);
  queue(503);
  run([&]() -> asio::awaitable<void> {
    ClientSession session(co_await asio::this_coro::executor);
    auto parent = memory.tracer->start_as_current_span("fetch");
    RequestOptions o;
    o.retry = quick();
    auto resp = co_await session.get(url("/moved"), o);  // a redirect in every attempt
    EXPECT_EQ(resp.status(), 200);
    co_await resp.read();
    co_await session.close();
  });
  instrument::HttpClientInstrumentor{}.uninstrument();
  trace::set_tracer_provider(nullptr);

  const auto spans = memory.spans();
  const trace::SpanData* parent = nullptr;
  std::vector<const trace::SpanData*> clients;
  for (const auto& s : spans) {
    if (s->name == "fetch") parent = s.get();
    if (s->kind == trace::SpanKind::Client) clients.push_back(s.get());
  }
  ASSERT_TRUE(parent);
  ASSERT_EQ(clients.size(), 6u);  // (302, then the scripted answer) x 3 attempts
  std::vector<std::int64_t> statuses, resends;
  for (const auto* c : clients) {
    EXPECT_EQ(c->parent_span_id, parent->context.span_id());
    EXPECT_EQ(c->context.trace_id(), parent->context.trace_id());
    const auto* s = trace::find_attribute(c->attributes, "http.response.status_code");
    const auto* r = trace::find_attribute(c->attributes, "http.request.resend_count");
    statuses.push_back(s ? *s->get_if<std::int64_t>() : -1);
    resends.push_back(r ? *r->get_if<std::int64_t>() : 0);
  }
  EXPECT_EQ(statuses, (std::vector<std::int64_t>{302, 503, 302, 503, 302, 200}));
  EXPECT_EQ(resends, (std::vector<std::int64_t>{0, 1, 2, 3, 4, 5}));
  EXPECT_EQ(clients[1]->status.code, trace::StatusCode::Error);
  EXPECT_EQ(clients[5]->status.code, trace::StatusCode::Unset);
}

// Cancelled during the pause between attempts: a RequestCancelled that names the request and
// the pause, not the next attempt.
TEST_F(RetryTest, CancelledWhileWaitingToRetry) {
  queue(503);
  RetryPolicy slow = quick();
  slow.initial_backoff = 2s;
  std::string what;
  run([&]() -> asio::awaitable<void> {
    ClientSession session(co_await asio::this_coro::executor);
    const auto ex = co_await asio::this_coro::executor;
    RequestOptions o;
    o.retry = slow;
    asio::steady_timer timer(ex, 200ms);
    auto [order, req_ex, resp, timer_ec] =
        co_await asio::experimental::make_parallel_group(asio::co_spawn(ex, session.get(url(), o), asio::deferred),
                                                         timer.async_wait(asio::deferred))
            .async_wait(asio::experimental::wait_for_one(), asio::use_awaitable);
    try {
      if (req_ex) std::rethrow_exception(req_ex);
    } catch (const RequestCancelled& e) {
      what = e.what();
    }
    co_await session.close();
  });
  EXPECT_EQ(what, "GET " + url() + " cancelled while waiting to retry");
  EXPECT_EQ(calls(), 1u);  // no second attempt
}
