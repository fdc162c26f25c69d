// The connection-state signal on loopback: a pooled connection's life (made, to the pool, from
// it, closed) told to the configs of the request that made it, and to no other; counts an
// observer gives at the making, moved by the connector instead of telling it each move.
#include <gtest/gtest.h>

#include <mutex>

#include "run.hpp"
#include "server_fixture.hpp"
#include "test_util.hpp"
#include "tracehop/http/session.hpp"
#include "tracehop/http/signals.hpp"

namespace asio = boost::asio;

using namespace tracehop;
using namespace tracehop::http;
using test::run;

namespace {

// A server that answers GET /echo-header.
struct ConnectionStatesTest : ::testing::Test {
  void SetUp() override {
    server.server().route("GET", "/echo-header", [](ServerRequest&) -> asio::awaitable<ServerResponse> {
      co_return ServerResponse::text(200, "none");
    });
    server.start();
  }
  std::string url(std::string_view path) { return server.server().url() + std::string(path); }
  test::ServerThread server;
};

}  // namespace

namespace {

// A connection's state changes, each as "<connection> <from>-><to>", the connection numbered
// in its own SignalContext.
struct StateRecorder {
  std::mutex mu;
  std::vector<std::string> events;
  std::vector<double> closed_ages;
  int next = 0;

  static const char* name(ConnectionState s) {
    return s == ConnectionState::Active ? "active" : s == ConnectionState::Idle ? "idle" : "closed";
  }
  TraceConfigPtr config() {
    auto cfg = std::make_shared<TraceConfig>();
    cfg->on_connection_state.push_back([this](const ConnectionStateParams& p) {
      std::lock_guard lk(mu);
      if (p.from == ConnectionState::Closed) p.ctx.emplace<int>(next++);
      const int* id = p.ctx.get<int>();
      events.push_back((id ? std::to_string(*id) : "?") + " " + name(p.from) + "->" + name(p.to) + " " + p.origin.host);
      if (p.to == ConnectionState::Closed) closed_ages.push_back(std::chrono::duration<double>(p.age).count());
    });
    return cfg;
  }
};

}  // namespace

TEST_F(ConnectionStatesTest, AConnectionsStatesFromItsMakingToItsClose) {
  StateRecorder states;
  run([&]() -> asio::awaitable<void> {
    SessionOptions options{.trace_configs = {states.config()}};
    ClientSession session(co_await asio::this_coro::executor, std::move(options));
    for (int i = 0; i < 2; ++i) {
      auto resp = co_await session.get(url("/echo-header"));
      {
        std::lock_guard lk(states.mu);
        EXPECT_EQ(states.events.back(), i == 0 ? "0 closed->active 127.0.0.1" : "0 idle->active 127.0.0.1")
            << "active while its response is read";
      }
      co_await resp.read();
    }
    co_await session.close();
  });
  EXPECT_EQ(states.events, (std::vector<std::string>{"0 closed->active 127.0.0.1", "0 active->idle 127.0.0.1",
                                                     "0 idle->active 127.0.0.1", "0 active->idle 127.0.0.1",
                                                     "0 idle->closed 127.0.0.1"}));
  ASSERT_EQ(states.closed_ages.size(), 1u);
  EXPECT_GT(states.closed_ages[0], 0.0);
}

TEST_F(ConnectionStatesTest, AConnectionNotReusedIsClosedFromActive) {
  StateRecorder states;
  run([&]() -> asio::awaitable<void> {
    SessionOptions options{.trace_configs = {states.config()}};
    options.connector.force_close = true;
    ClientSession session(co_await asio::this_coro::executor, std::move(options));
    for (int i = 0; i < 2; ++i) co_await (co_await session.get(url("/echo-header"))).read();
    co_await session.close();
  });
  EXPECT_EQ(states.events, (std::vector<std::string>{"0 closed->active 127.0.0.1", "0 active->closed 127.0.0.1",
                                                     "1 closed->active 127.0.0.1", "1 active->closed 127.0.0.1"}));
}

TEST_F(ConnectionStatesTest, AConnectionIsToldOnlyToTheConfigsOfTheRequestThatMadeIt) {
  StateRecorder first, later;
  run([&]() -> asio::awaitable<void> {
    SessionOptions options{.trace_configs = {first.config()}};
    ClientSession session(co_await asio::this_coro::executor, std::move(options));
    co_await (co_await session.get(url("/echo-header"))).read();
    session.add_trace_config(later.config());  // hears the requests, not the pooled connection's life
    co_await (co_await session.get(url("/echo-header"))).read();
    co_await session.close();
  });
  EXPECT_EQ(first.events.size(), 5u);
  EXPECT_TRUE(later.events.empty());
}

// `requests` GETs, one after another, on a session whose one config is `observer`, then its close.
static void get_with(const std::shared_ptr<SignalObserver>& observer, int requests, const std::string& url) {
  run([&]() -> asio::awaitable<void> {
    auto config = std::make_shared<TraceConfig>();
    config->observer = observer;
    SessionOptions options{.trace_configs = {config}};
    ClientSession session(co_await asio::this_coro::executor, std::move(options));
    for (int i = 0; i < requests; ++i) co_await (co_await session.get(url)).read();
    co_await session.close();
  });
}

TEST_F(ConnectionStatesTest, AnObserverThatDoesNotHearConnectionStatesIsNotToldThem) {
  struct Observer : SignalObserver {
    explicit Observer(bool hears) : hears_(hears) {}
    bool hears_connection_states() const noexcept override { return hears_; }
    void on_connection_state(const ConnectionStateParams&) override { ++told; }
    bool hears_;
    int told = 0;
  };
  for (const bool hears : {false, true}) {
    auto observer = std::make_shared<Observer>(hears);
    get_with(observer, 1, url("/echo-header"));
    EXPECT_EQ(observer->told, hears ? 3 : 0) << "made, to the pool, closed";
  }
}

TEST_F(ConnectionStatesTest, AnObserverOnlyWithStateHearsTheRestOfAConnectionsLifeOnlyIfItKeptStateAtItsMaking) {
  struct Observer : SignalObserver {
    explicit Observer(bool keeps) : SignalObserver(true), keeps_(keeps) {}
    void on_connection_state(const ConnectionStateParams& p) override {
      if (p.from == ConnectionState::Closed && keeps_) p.ctx.emplace<int>(1);
      ++told;
    }
    bool keeps_;
    int told = 0;
  };
  for (const bool keeps : {false, true}) {
    auto observer = std::make_shared<Observer>(keeps);
    get_with(observer, 2, url("/echo-header"));
    EXPECT_EQ(observer->told, keeps ? 5 : 1) << "made, to the pool, from it, to it, closed; or only made";
  }
}

TEST_F(ConnectionStatesTest, AnObserverThatDoesNotHearConnectionStatesIsNotToldThemWhenAnotherConfigDoes) {
  struct Observer : SignalObserver {
    bool hears_connection_states() const noexcept override { return false; }
    void on_connection_state(const ConnectionStateParams&) override { ++told; }
    int told = 0;
  };
  auto observer = std::make_shared<Observer>();
  StateRecorder states;
  run([&]() -> asio::awaitable<void> {
    auto config = std::make_shared<TraceConfig>();
    config->observer = observer;
    SessionOptions options{.trace_configs = {config, states.config()}};
    ClientSession session(co_await asio::this_coro::executor, std::move(options));
    co_await (co_await session.get(url("/echo-header"))).read();
    co_await session.close();
  });
  EXPECT_EQ(states.events.size(), 3u) << "the config that hears: made, to the pool, closed";
  EXPECT_EQ(observer->told, 0);
}

namespace {

// Gives the connector counts at a connection's making; records what it is told.
struct CountingObserver : SignalObserver {
  CountingObserver() : SignalObserver(true) {}
  void on_connection_state(const ConnectionStateParams& p) override {
    told.push_back(StateRecorder::name(p.from) + std::string("->") + StateRecorder::name(p.to));
    if (p.from != ConnectionState::Closed) return;
    EXPECT_NE(p.counts, nullptr);
    if (p.counts) *p.counts = {&active, &idle};
    p.ctx.emplace<int>(1);  // (to hear its close: only_with_state)
  }
  std::pair<std::int64_t, std::int64_t> now() const { return {active.load(), idle.load()}; }
  std::atomic<std::int64_t> active{0}, idle{0};
  std::vector<std::string> told;
};

}  // namespace

TEST_F(ConnectionStatesTest, AnObserverThatCountsIsToldTheMakingAndTheCloseWhileTheConnectorMovesItsCounts) {
  using Counts = std::pair<std::int64_t, std::int64_t>;
  for (const bool with_functions : {false, true}) {  // alone (straight to it), or beside another config
    auto observer = std::make_shared<CountingObserver>();
    StateRecorder states;
    std::vector<Counts> seen;
    run([&]() -> asio::awaitable<void> {
      auto config = std::make_shared<TraceConfig>();
      config->observer = observer;
      SessionOptions options{.trace_configs = {config}};
      if (with_functions) options.trace_configs.push_back(states.config());
      ClientSession session(co_await asio::this_coro::executor, std::move(options));
      for (int i = 0; i < 2; ++i) {
        auto resp = co_await session.get(url("/echo-header"));
        seen.push_back(observer->now());  // its response being read: active
        co_await resp.read();
        seen.push_back(observer->now());  // back in the pool: idle
      }
      co_await session.close();
    });
    seen.push_back(observer->now());
    EXPECT_EQ(seen, (std::vector<Counts>{{1, 0}, {0, 1}, {1, 0}, {0, 1}, {0, 0}})) << with_functions;
    EXPECT_EQ(observer->told, (std::vector<std::string>{"closed->active", "idle->closed"})) << with_functions;
    EXPECT_EQ(states.events.size(), with_functions ? 5u : 0u) << "a config's functions are told every change";
  }
}
