// The client's lifecycle signals, on loopback.
#include <gtest/gtest.h>

#include "server_fixture.hpp"
#include "test_util.hpp"
#include "run.hpp"
#include "tracehop/http/session.hpp"
#include "tracehop/http/signals.hpp"

#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_future.hpp>
#include <mutex>

namespace asio = boost::asio;

using namespace tracehop;
using namespace tracehop::http;
using test::run;
using namespace std::chrono_literals;
using test::ServerThread;

namespace {


// Records every signal as a line, and gives each request an id in its SignalContext.
struct Recorder {
  std::mutex mu;
  std::vector<std::string> events;
  int next_id = 0;

  void add(std::string e) {
    std::lock_guard lk(mu);
    events.push_back(std::move(e));
  }
  static std::string id(const SignalContext& c) {
    const int* n = c.get<int>();
    return n ? std::to_string(*n) : "?";
  }

  TraceConfigPtr config() {
    auto cfg = std::make_shared<TraceConfig>();
    cfg->on_request_start.push_back([this](const RequestStartParams& p) {
      {
        std::lock_guard lk(mu);
        p.ctx.emplace<int>(next_id++);
      }
      p.headers.set("X-Injected", "request-" + id(p.ctx));
      add("start " + id(p.ctx) + " " + std::string(p.method) + " " + std::string(p.url.encoded_path()) +
          " resend=" + std::to_string(p.resend_count) + (p.trace ? "" : " untraced"));
    });
    cfg->on_request_headers_sent.push_back([this](const RequestHeadersSentParams& p) { add("sent " + id(p.ctx)); });
    cfg->on_response_headers.push_back([this](const ResponseHeadersParams& p) {
      add("response " + id(p.ctx) + " " + std::to_string(p.response.status()));
    });
    cfg->on_request_end.push_back([this](const RequestEndParams& p) {
      add("end " + id(p.ctx) + " bytes=" + std::to_string(p.body_bytes));
    });
    cfg->on_request_exception.push_back([this](const RequestExceptionParams& p) {
      add("exception " + id(p.ctx) + (p.cancelled ? " cancelled" : ""));
    });
    cfg->on_request_redirect.push_back([this](const RedirectParams& p) {
      add("redirect " + id(p.ctx) + " -> " + std::string(p.location.encoded_path()));
    });
    cfg->on_connection_queued_start.push_back([this](const ConnectionParams& p) { add("queued " + id(p.ctx)); });
    cfg->on_connection_queued_end.push_back([this](const ConnectionParams& p) { add("dequeued " + id(p.ctx)); });
    cfg->on_connection_create_start.push_back([this](const ConnectionParams& p) { add("connect " + id(p.ctx)); });
    cfg->on_connection_create_end.push_back([this](const ConnectionParams& p) {
      add("connected " + id(p.ctx) + " " + p.origin.host);
    });
    cfg->on_connection_reuseconn.push_back([this](const ConnectionParams& p) { add("reuse " + id(p.ctx)); });
    return cfg;
  }
};

// A SignalObserver that records the signals it overrides in a Recorder, marking its request 7.
struct RecordingObserver final : SignalObserver {
  explicit RecordingObserver(Recorder& r) : rec(r) {}
  void on_request_start(const RequestStartParams& p) override {
    p.ctx.emplace<int>(7);
    p.headers.set("X-Injected", "observer");
    rec.add("observer start");
  }
  void on_request_headers_sent(const RequestHeadersSentParams& p) override { rec.add("observer sent " + Recorder::id(p.ctx)); }
  void on_response_headers(const ResponseHeadersParams& p) override {
    rec.add("observer response " + std::to_string(p.response.status()));
  }
  void on_request_end(const RequestEndParams& p) override {
    rec.add("observer end " + Recorder::id(p.ctx) + " bytes=" + std::to_string(p.body_bytes));
  }
  void on_connection_create_start(const ConnectionParams&) override { rec.add("observer connect"); }
  void on_connection_create_end(const ConnectionParams& p) override { rec.add("observer connected " + p.origin.host); }
  void on_connection_reuseconn(const ConnectionParams&) override { rec.add("observer reuse"); }
  Recorder& rec;
};

void add_routes(Server& s) {
  s.route("GET", "/echo-header", [](ServerRequest& r) -> asio::awaitable<ServerResponse> {
    co_return ServerResponse::text(200, std::string(r.headers.first("X-Injected").value_or("none")));
  });
  s.route("GET", "/hop/{n}", [](ServerRequest& r) -> asio::awaitable<ServerResponse> {
    ServerResponse resp = ServerResponse::text(302, "");
    resp.headers.set("Location", r.param("n") == "1" ? "/echo-header" : "/hop/1");
    co_return resp;
  });
  s.route("GET", "/delay", [](ServerRequest&) -> asio::awaitable<ServerResponse> {
    asio::steady_timer t(co_await asio::this_coro::executor, 200ms);
    co_await t.async_wait(asio::use_awaitable);
    co_return ServerResponse::text(200, "late");
  });
}

// A server with the routes above, and a Recorder.
struct SignalsTest : ::testing::Test {
  void SetUp() override {
    add_routes(server.server());
    server.start();
  }
  std::string url(std::string_view path) { return server.server().url() + std::string(path); }
  ServerThread server;
  Recorder rec;
};

}  // namespace

TEST_F(SignalsTest, FullLifecycleAndHeaderInjectionWithReuse) {
  run([&]() -> asio::awaitable<void> {
    SessionOptions options{.trace_configs = {rec.config()}};
    auto ex = co_await asio::this_coro::executor;
    ClientSession session(ex, std::move(options));
    for (int i = 0; i < 2; ++i) {
      auto resp = co_await session.get(url("/echo-header"));
      EXPECT_EQ(co_await resp.text(), "request-" + std::to_string(i));  // the injected header arrived
    }
    co_await session.close();
  });
  EXPECT_EQ(rec.events, (std::vector<std::string>{
                            "start 0 GET /echo-header resend=0", "connect 0", "connected 0 127.0.0.1", "sent 0",
                            "response 0 200", "end 0 bytes=9",
                            "start 1 GET /echo-header resend=0", "reuse 1", "sent 1", "response 1 200", "end 1 bytes=9"}));
}

TEST_F(SignalsTest, EachRedirectHopIsARequestOfItsOwn) {
  run([&]() -> asio::awaitable<void> {
    SessionOptions options{.trace_configs = {rec.config()}};
    auto ex = co_await asio::this_coro::executor;
    ClientSession session(ex, std::move(options));
    auto resp = co_await session.get(url("/hop/2"));
    EXPECT_EQ(co_await resp.text(), "request-2");
    co_await session.close();
  });
  std::vector<std::string> starts, redirects;
  for (const auto& e : rec.events) {
    if (e.rfind("start", 0) == 0) starts.push_back(e);
    if (e.rfind("redirect", 0) == 0) redirects.push_back(e);
  }
  EXPECT_EQ(starts, (std::vector<std::string>{"start 0 GET /hop/2 resend=0", "start 1 GET /hop/1 resend=1",
                                              "start 2 GET /echo-header resend=2"}));
  EXPECT_EQ(redirects, (std::vector<std::string>{"redirect 0 -> /hop/1", "redirect 1 -> /echo-header"}));
}

TEST(Signals, ExceptionSignalOnConnectFailure) {
  Recorder rec;
  asio::io_context io0;
  asio::ip::tcp::acceptor a(io0, {asio::ip::make_address("127.0.0.1"), 0});
  const auto port = a.local_endpoint().port();
  a.close();
  run([&]() -> asio::awaitable<void> {
    SessionOptions options{.trace_configs = {rec.config()}};
    auto ex = co_await asio::this_coro::executor;
    ClientSession session(ex, std::move(options));
    EXPECT_THROW(co_await session.get("http://127.0.0.1:" + std::to_string(port) + "/"), ClientConnectorError);
    co_await session.close();
  });
  ASSERT_FALSE(rec.events.empty());
  EXPECT_EQ(rec.events.back(), "exception 0");
}

TEST_F(SignalsTest, QueuedWhileThePoolIsFullAndUntracedRequestsSaySo) {
  run([&]() -> asio::awaitable<void> {
    SessionOptions options{.connector = {.limit = 1}, .trace_configs = {rec.config()}};
    auto ex = co_await asio::this_coro::executor;
    ClientSession session(ex, std::move(options));
    auto first = spawn(ex, [&]() -> asio::awaitable<void> {
      auto r = co_await session.get(url("/delay"));
      co_await r.read();
    }, asio::use_future);
    for (int tries = 0; tries < 1000 && session.pool_stats().open == 0; ++tries) {
      asio::steady_timer t(ex, 1ms);  // until the first request holds the only connection
      co_await t.async_wait(asio::use_awaitable);
    }
    RequestOptions untraced{.trace = false};
    auto r2 = co_await session.get(url("/echo-header"), untraced);
    co_await r2.read();
    first.get();
    co_await session.close();
  });
  auto has = [&](std::string_view e) { return std::find(rec.events.begin(), rec.events.end(), e) != rec.events.end(); };
  EXPECT_TRUE(has("queued 1")) << ::testing::PrintToString(rec.events);
  EXPECT_TRUE(has("dequeued 1"));
  EXPECT_TRUE(has("start 1 GET /echo-header resend=0 untraced"));
}

TEST_F(SignalsTest, GlobalConfigReachesSessionsCreatedBefore) {
  run([&]() -> asio::awaitable<void> {
    ClientSession session(co_await asio::this_coro::executor);  // before the config exists
    auto before = co_await session.get(url("/echo-header"));  // (the session's merged list: none)
    EXPECT_EQ(co_await before.text(), "none");
    auto config = rec.config();
    add_global_trace_config(config);
    auto resp = co_await session.get(url("/echo-header"));
    EXPECT_EQ(co_await resp.text(), "request-0");
    remove_global_trace_config(config);
    auto again = co_await session.get(url("/echo-header"));
    EXPECT_EQ(co_await again.text(), "none");
    co_await session.close();
  });
}

TEST_F(SignalsTest, AConfigAddedToASessionReachesItsNextRequest) {
  run([&]() -> asio::awaitable<void> {
    ClientSession session(co_await asio::this_coro::executor);
    auto before = co_await session.get(url("/echo-header"));
    EXPECT_EQ(co_await before.text(), "none");
    session.add_trace_config(rec.config());
    auto after = co_await session.get(url("/echo-header"));
    EXPECT_EQ(co_await after.text(), "request-0");
    co_await session.close();
  });
}

TEST_F(SignalsTest, ThrowingSubscriberIsLoggedNotFatal) {
  struct Throwing final : SignalObserver {
    void on_request_start(const RequestStartParams&) override { throw std::runtime_error("bad observer"); }
    void on_response_headers(const ResponseHeadersParams&) override { throw 42; }
    void on_connection_state(const ConnectionStateParams&) override { throw std::runtime_error("bad pool observer"); }
  };
  auto cfg = std::make_shared<TraceConfig>();
  cfg->on_request_start.push_back([](const RequestStartParams&) { throw std::runtime_error("bad subscriber"); });
  auto observed = std::make_shared<TraceConfig>();
  observed->observer = std::make_shared<Throwing>();
  // Two configs (signals go round the loop over configs), then the observer alone (straight to it).
  for (const auto& configs : {std::vector<TraceConfigPtr>{cfg, observed}, std::vector<TraceConfigPtr>{observed}}) {
    test::LogCapture logs;
    run([&]() -> asio::awaitable<void> {
      SessionOptions options{.trace_configs = configs};
      auto ex = co_await asio::this_coro::executor;
      ClientSession session(ex, std::move(options));
      auto resp = co_await session.get(url("/echo-header"));
      EXPECT_EQ(resp.status(), 200);
      EXPECT_EQ(co_await resp.text(), "none");
      co_await session.close();
    });
    EXPECT_EQ(logs.contains("bad subscriber"), configs.size() == 2);
    EXPECT_TRUE(logs.contains("bad observer"));
    EXPECT_TRUE(logs.contains("bad pool observer"));  // a connection-state signal that throws: logged too
  }
}

TEST_F(SignalsTest, AHeaderASubscriberMadeInvalidFailsTheRequestAsItsException) {
  auto bad = std::make_shared<TraceConfig>();
  bad->on_request_start.push_back([](const RequestStartParams& p) { p.headers.set("X-Split", "a\r\nInjected: yes"); });
  run([&]() -> asio::awaitable<void> {
    SessionOptions options{.trace_configs = {rec.config(), bad}};
    auto ex = co_await asio::this_coro::executor;
    ClientSession session(ex, std::move(options));
    try {
      co_await session.get(url("/echo-header"));
      ADD_FAILURE() << "the request went out";
    } catch (const ClientError& e) {
      EXPECT_EQ(e.code(), make_error_code(errc::invalid_header));
    }
    co_await session.close();
  });
  ASSERT_FALSE(rec.events.empty());
  EXPECT_EQ(rec.events.back(), "exception 0");  // not an end: nothing went out
}

TEST_F(SignalsTest, CancelledRequestIsSignalledAsCancelled) {
  run([&]() -> asio::awaitable<void> {
    SessionOptions options{.trace_configs = {rec.config()}};
    auto ex = co_await asio::this_coro::executor;
    ClientSession session(ex, std::move(options));
    asio::steady_timer timer(ex, 10ms);
    co_await asio::experimental::make_parallel_group(
        asio::co_spawn(ex, session.get(url("/delay")), asio::deferred),
        timer.async_wait(asio::deferred))
        .async_wait(asio::experimental::wait_for_one(), asio::use_awaitable);
    co_await session.close();
  });
  ASSERT_FALSE(rec.events.empty());
  EXPECT_EQ(rec.events.back(), "exception 0 cancelled");
}

TEST_F(SignalsTest, AnObserverIsToldEachSignalBeforeItsConfigsFunctionsAndSharesTheirContext) {
  auto cfg = std::make_shared<TraceConfig>();
  cfg->observer = std::make_shared<RecordingObserver>(rec);
  cfg->on_request_start.push_back([&](const RequestStartParams& p) { rec.add("function start " + Recorder::id(p.ctx)); });
  cfg->on_request_end.push_back([&](const RequestEndParams& p) { rec.add("function end " + Recorder::id(p.ctx)); });
  run([&]() -> asio::awaitable<void> {
    SessionOptions options{.trace_configs = {cfg}};
    auto ex = co_await asio::this_coro::executor;
    ClientSession session(ex, std::move(options));
    for (int i = 0; i < 2; ++i) {
      auto resp = co_await session.get(url("/echo-header"));
      EXPECT_EQ(co_await resp.text(), "observer");  // what the observer set went out
    }
    co_await session.close();
  });
  EXPECT_EQ(rec.events, (std::vector<std::string>{
                            "observer start", "function start 7", "observer connect", "observer connected 127.0.0.1",
                            "observer sent 7", "observer response 200", "observer end 7 bytes=8", "function end 7",
                            "observer start", "function start 7", "observer reuse", "observer sent 7",
                            "observer response 200", "observer end 7 bytes=8", "function end 7"}));
}

namespace {
// An observer that hears the rest of a request only where it kept state: it keeps some for
// requests to /echo-header and none for /hop/1's redirect target.
struct SelectiveObserver final : SignalObserver {
  explicit SelectiveObserver(Recorder& r) : SignalObserver(true), rec(r) {}
  void on_request_start(const RequestStartParams& p) override {
    const bool keep = p.url.encoded_path() == "/echo-header";
    if (keep) p.ctx.emplace<int>(1);
    rec.add(std::string("observer start ") + std::string(p.url.encoded_path()));
  }
  void on_request_headers_sent(const RequestHeadersSentParams& p) override { rec.add("observer sent " + Recorder::id(p.ctx)); }
  void on_response_headers(const ResponseHeadersParams& p) override { rec.add("observer response " + Recorder::id(p.ctx)); }
  void on_request_redirect(const RedirectParams& p) override { rec.add("observer redirect " + Recorder::id(p.ctx)); }
  void on_request_end(const RequestEndParams& p) override { rec.add("observer end " + Recorder::id(p.ctx)); }
  void on_connection_reuseconn(const ConnectionParams& p) override { rec.add("observer reuse " + Recorder::id(p.ctx)); }
  Recorder& rec;
};
}  // namespace

TEST_F(SignalsTest, AnObserverOnlyWithStateHearsNothingMoreOfARequestItKeptNothingFor) {
  // Alone in its config (signals go straight to it), and beside a function (round the loop):
  // the same for the observer, and the function hears everything.
  for (const bool with_function : {false, true}) {
    rec.events.clear();
    auto cfg = std::make_shared<TraceConfig>();
    cfg->observer = std::make_shared<SelectiveObserver>(rec);
    if (with_function)
      cfg->on_request_end.push_back([&](const RequestEndParams& p) { rec.add("function end " + Recorder::id(p.ctx)); });
    run([&]() -> asio::awaitable<void> {
      SessionOptions options{.trace_configs = {cfg}};
      auto ex = co_await asio::this_coro::executor;
      ClientSession session(ex, std::move(options));
      auto kept = co_await session.get(url("/echo-header"));
      co_await kept.read();
      auto redirected = co_await session.get(url("/hop/1"));  // a hop of its own, then /echo-header
      co_await redirected.read();
      co_await session.close();
    });
    std::vector<std::string> expected = {"observer start /echo-header", "observer sent 1", "observer response 1",
                                         "observer end 1"};
    if (with_function) expected.push_back("function end 1");
    expected.insert(expected.end(), {"observer start /hop/1"});
    if (with_function) expected.push_back("function end ?");
    expected.insert(expected.end(), {"observer start /echo-header", "observer reuse 1", "observer sent 1",
                                     "observer response 1", "observer end 1"});
    if (with_function) expected.push_back("function end 1");
    EXPECT_EQ(rec.events, expected) << (with_function ? "with a function" : "alone");
  }
}

namespace {
// The recording observer, leaving out what HeardSignals lets it.
struct PartialObserver final : SignalObserver {
  explicit PartialObserver(Recorder& r) : rec(r) {}
  HeardSignals heard_signals() const noexcept override {
    return {.request_headers_sent = false, .request_end = false, .connection_steps = false};
  }
  void on_request_start(const RequestStartParams&) override { rec.add("observer start"); }
  void on_request_headers_sent(const RequestHeadersSentParams&) override { rec.add("observer sent"); }
  void on_response_headers(const ResponseHeadersParams&) override { rec.add("observer response"); }
  void on_request_end(const RequestEndParams&) override { rec.add("observer end"); }
  void on_connection_create_start(const ConnectionParams&) override { rec.add("observer connect"); }
  void on_connection_create_end(const ConnectionParams&) override { rec.add("observer connected"); }
  void on_connection_reuseconn(const ConnectionParams&) override { rec.add("observer reuse"); }
  Recorder& rec;
};
}  // namespace

TEST_F(SignalsTest, AnObserverIsNotToldTheSignalsItLeavesOutButItsConfigsFunctionsAre) {
  // Alone in its config, and beside functions (which hear everything).
  for (const bool with_functions : {false, true}) {
    rec.events.clear();
    auto cfg = std::make_shared<TraceConfig>();
    cfg->observer = std::make_shared<PartialObserver>(rec);
    if (with_functions) {
      cfg->on_request_end.push_back([&](const RequestEndParams&) { rec.add("function end"); });
      cfg->on_connection_create_end.push_back([&](const ConnectionParams&) { rec.add("function connected"); });
    }
    run([&]() -> asio::awaitable<void> {
      SessionOptions options{.trace_configs = {cfg}};
      ClientSession session(co_await asio::this_coro::executor, std::move(options));
      for (int i = 0; i < 2; ++i) {
        auto resp = co_await session.get(url("/echo-header"));
        co_await resp.read();
      }
      co_await session.close();
    });
    std::vector<std::string> expected = {"observer start"};
    if (with_functions) expected.push_back("function connected");
    expected.push_back("observer response");
    if (with_functions) expected.push_back("function end");
    expected.insert(expected.end(), {"observer start", "observer reuse", "observer response"});
    if (with_functions) expected.push_back("function end");
    EXPECT_EQ(rec.events, expected) << (with_functions ? "with functions" : "alone");
  }
}
