// The current context follows each task across every co_await (docs/ARCHITECTURE.md, tracehop/task.hpp).
#include <gtest/gtest.h>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <atomic>
#include <thread>

#include "test_util.hpp"
#include "tracehop/task.hpp"

namespace asio = boost::asio;

using namespace tracehop;
namespace tt = tracehop::trace;
using namespace std::chrono_literals;

namespace {

const auto kTaskKey = tt::create_context_key<int>("task");

int current_value() {
  const int* v = tt::Context::current().get(kTaskKey);
  return v ? *v : -1;
}

asio::awaitable<void> sleep_for(std::chrono::microseconds d) {
  asio::steady_timer t(co_await asio::this_coro::executor, d);
  co_await t.async_wait(asio::use_awaitable);
}

// Sets its own value, then checks after every co_await that it still reads it back, through
// nested scopes and interleaving with every other task.
asio::awaitable<void> worker(int id, std::atomic<int>& checks, std::atomic<int>& wrong) {
  tt::Scope scope(tt::Context::current().with(kTaskKey, id));
  for (int round = 0; round < 10; ++round) {
    co_await sleep_for(std::chrono::microseconds((id * 7 + round * 13) % 200));
    ++checks;
    if (current_value() != id) ++wrong;
    {
      tt::Scope inner(tt::Context::current().with(kTaskKey, id + 100000));
      co_await sleep_for(std::chrono::microseconds(id % 50));
      ++checks;
      if (current_value() != id + 100000) ++wrong;
    }
    ++checks;
    if (current_value() != id) ++wrong;
  }
}

void run_interleaved(int threads) {
  asio::io_context io;
  std::atomic<int> checks{0}, wrong{0};
  for (int i = 0; i < 1000; ++i) spawn(io, worker(i, checks, wrong));
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back([&] { io.run(); });
  io.run();
  for (auto& t : pool) t.join();
  EXPECT_EQ(checks.load(), 1000 * 30);
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(current_value(), -1);  // nothing leaked into the thread's own slot
}

}  // namespace

TEST(TaskContext, ThousandTasksKeepTheirOwnContextOnOneThread) { run_interleaved(1); }

TEST(TaskContext, ThousandTasksKeepTheirOwnContextOnTwoThreads) { run_interleaved(2); }

TEST(TaskContext, SpawnedTaskStartsWithTheSpawnersContextAtSpawnTime) {
  asio::io_context io;
  int child_saw = 0, child_saw_later = 0, parent_saw_after = 0;
  spawn(io, [&]() -> asio::awaitable<void> {
    tt::Scope scope(tt::Context::current().with(kTaskKey, 1));
    auto child = [&]() -> asio::awaitable<void> {
      child_saw = current_value();
      tt::Scope own(tt::Context::current().with(kTaskKey, 3));  // must not leak to the parent
      co_await sleep_for(1ms);
      child_saw_later = current_value();
    };
    spawn(co_await asio::this_coro::executor, child());
    {
      tt::Scope changed(tt::Context::current().with(kTaskKey, 2));  // after the spawn: unseen
      co_await sleep_for(2ms);
    }
    parent_saw_after = current_value();
  });
  io.run();
  EXPECT_EQ(child_saw, 1);
  EXPECT_EQ(child_saw_later, 3);
  EXPECT_EQ(parent_saw_after, 1);
}

TEST(TaskContext, SpawnFromPlainCodeUsesTheCallersContext) {
  asio::io_context io;
  int seen = 0;
  {
    tt::Scope scope(tt::Context::current().with(kTaskKey, 42));
    spawn(io, [&]() -> asio::awaitable<void> {
      co_await sleep_for(100us);
      seen = current_value();
    });
  }
  io.run();
  EXPECT_EQ(seen, 42);
}

TEST(TaskContext, GatherRunsEachAwaitableAsItsOwnTask) {
  asio::io_context io;
  std::tuple<int, int, std::monostate> results;
  spawn(io, [&]() -> asio::awaitable<void> {
    tt::Scope scope(tt::Context::current().with(kTaskKey, 7));
    auto branch = [](int v, std::chrono::microseconds d) -> asio::awaitable<int> {
      const int inherited = current_value();
      tt::Scope own(tt::Context::current().with(kTaskKey, v));
      co_await sleep_for(d);
      co_return current_value() == v ? inherited : -1000;
    };
    auto nothing = []() -> asio::awaitable<void> { co_await sleep_for(10us); };
    results = co_await gather(branch(1, 300us), branch(2, 100us), nothing());
    EXPECT_EQ(current_value(), 7);  // the branches' scopes stayed in the branches
  });
  io.run();
  EXPECT_EQ(std::get<0>(results), 7);
  EXPECT_EQ(std::get<1>(results), 7);
}

TEST(TaskContext, GatherRethrowsAfterAllFinish) {
  asio::io_context io;
  bool slow_finished = false, caught = false;
  spawn(io, [&]() -> asio::awaitable<void> {
    auto failing = []() -> asio::awaitable<int> {
      co_await sleep_for(10us);
      throw std::runtime_error("branch failed");
    };
    auto slow = [&]() -> asio::awaitable<void> {
      co_await sleep_for(1ms);
      slow_finished = true;
    };
    try {
      co_await gather(failing(), slow());
    } catch (const std::runtime_error&) {
      caught = true;
    }
  });
  io.run();
  EXPECT_TRUE(caught);
  EXPECT_TRUE(slow_finished);
}

// gather over a vector of N awaitables: the results in the order given, each its own task with
// the caller's context; a failure rethrown once every task has finished.
TEST(TaskContext, GatherOverARange) {
  asio::io_context io;
  std::vector<int> results;
  std::vector<std::monostate> voids;
  int finished = 0;
  bool caught = false;
  spawn(io, [&]() -> asio::awaitable<void> {
    tt::Scope scope(tt::Context::current().with(kTaskKey, 5));
    auto branch = [](int v) -> asio::awaitable<int> {
      const int inherited = current_value();
      tt::Scope own(tt::Context::current().with(kTaskKey, v));
      co_await sleep_for(std::chrono::microseconds(50 * (10 - v)));  // the later, the sooner done
      co_return current_value() == v && inherited == 5 ? v * v : -1;
    };
    std::vector<asio::awaitable<int>> tasks;
    for (int i = 0; i < 10; ++i) tasks.push_back(branch(i));
    results = co_await gather(std::move(tasks));
    EXPECT_EQ(current_value(), 5);  // the branches' scopes stayed in the branches

    std::vector<asio::awaitable<void>> none;
    voids = co_await gather(std::move(none));
    auto step = [&](bool fail) -> asio::awaitable<void> {
      co_await sleep_for(fail ? 10us : 1ms);
      ++finished;
      if (fail) throw std::runtime_error("branch failed");
    };
    std::vector<asio::awaitable<void>> mixed;
    mixed.push_back(step(true));
    mixed.push_back(step(false));
    mixed.push_back(step(false));
    try {
      co_await gather(std::move(mixed));
    } catch (const std::runtime_error&) {
      caught = true;
    }
  });
  io.run();
  EXPECT_EQ(results, (std::vector<int>{0, 1, 4, 9, 16, 25, 36, 49, 64, 81}));
  EXPECT_TRUE(voids.empty());
  EXPECT_TRUE(caught);
  EXPECT_EQ(finished, 3);  // the failure waited for the others
}

TEST(TaskContext, ContextExecutorWorksWithPlainCoSpawn) {
  asio::io_context io;
  int seen = 0;
  {
    tt::Scope scope(tt::Context::current().with(kTaskKey, 9));
    asio::co_spawn(context_executor(io), [&]() -> asio::awaitable<void> {
      co_await sleep_for(100us);
      seen = current_value();
    }, asio::detached);
  }
  io.run();
  EXPECT_EQ(seen, 9);
}

// Plain co_spawn: two tasks share the thread's context, so the first one's scope ends while the
// second's is still current. The log says why, and what to use instead.
TEST(TaskContext, PlainCoSpawnSharesAContextAndTheLogSaysWhatToUse) {
  tracehop::test::LogCapture logs;
  asio::io_context io;
  auto task = [](int id, std::chrono::microseconds hold) -> asio::awaitable<void> {
    tt::Scope scope(tt::Context::current().with(kTaskKey, id));
    co_await sleep_for(hold);
  };
  asio::co_spawn(io, task(1, 100us), asio::detached);  // ends first, while task 2's scope is current
  asio::co_spawn(io, task(2, 2ms), asio::detached);
  io.run();
  EXPECT_TRUE(logs.contains("context detached out of order"));
  EXPECT_TRUE(logs.contains("coroutines started with plain asio::co_spawn"));
  EXPECT_TRUE(logs.contains("tracehop::spawn"));
}

TEST(TaskContext, WorksOnAThreadPool) {
  asio::thread_pool pool(2);
  std::atomic<int> checks{0}, wrong{0};
  for (int i = 0; i < 200; ++i) spawn(pool.get_executor(), worker(i, checks, wrong));
  pool.join();
  EXPECT_EQ(checks.load(), 200 * 30);
  EXPECT_EQ(wrong.load(), 0);
}

TEST(TaskContext, SpansStartedInTasksParentCorrectly) {
  test::MemoryProvider p;
  asio::io_context io;
  for (int i = 0; i < 50; ++i) {
    spawn(io, [&, i]() -> asio::awaitable<void> {
      auto parent = p.tracer->start_as_current_span("request-" + std::to_string(i));
      co_await sleep_for(std::chrono::microseconds((i * 37) % 300));
      auto child = p.tracer->start_span("child-" + std::to_string(i));
      co_await sleep_for(std::chrono::microseconds((i * 11) % 100));
      child.end();
    });
  }
  io.run();
  auto spans = p.spans();
  ASSERT_EQ(spans.size(), 100u);
  std::map<std::string, const tt::SpanData*> by_name;
  for (const auto& s : spans) by_name[s->name] = s.get();
  for (int i = 0; i < 50; ++i) {
    const auto* child = by_name.at("child-" + std::to_string(i));
    const auto* parent = by_name.at("request-" + std::to_string(i));
    EXPECT_EQ(child->parent_span_id, parent->context.span_id()) << i;
    EXPECT_EQ(child->context.trace_id(), parent->context.trace_id()) << i;
  }
}

TEST(TaskContext, EveryTaskHasItsOwnSlotEvenWhenSpawnedFromATask) {
  asio::io_context io;
  const tt::ContextSlot *parent_slot = nullptr, *child_slot = nullptr, *gathered_slot = nullptr;
  bool parent_still_own = false;
  spawn(io, [&]() -> asio::awaitable<void> {
    parent_slot = &tt::current_slot();
    spawn(co_await asio::this_coro::executor, [&]() -> asio::awaitable<void> {
      child_slot = &tt::current_slot();
      co_return;
    });
    auto branch = [&]() -> asio::awaitable<void> {
      gathered_slot = &tt::current_slot();
      co_return;
    };
    co_await gather(branch());
    co_await sleep_for(100us);
    parent_still_own = &tt::current_slot() == parent_slot;
  });
  io.run();
  ASSERT_NE(parent_slot, nullptr);
  EXPECT_NE(child_slot, parent_slot);
  EXPECT_NE(gathered_slot, parent_slot);
  EXPECT_NE(child_slot, nullptr);
  EXPECT_TRUE(parent_still_own);
}

TEST(TaskContext, TaskDestroyedWithItsIoContextEndsItsSpanQuietly) {
  test::MemoryProvider p;
  test::LogCapture logs;
  {
    asio::io_context io;
    spawn(io, [&]() -> asio::awaitable<void> {
      auto span = p.tracer->start_as_current_span("never-finished");
      co_await sleep_for(std::chrono::hours(1));
    });
    io.run_for(10ms);
  }  // ~io_context destroys the suspended frame: the span ends, nothing is reported as misuse
  ASSERT_EQ(p.spans().size(), 1u);
  EXPECT_EQ(p.spans()[0]->name, "never-finished");
  EXPECT_TRUE(logs.lines().empty()) << logs.lines().front().second;
  EXPECT_EQ(tt::current_slot().depth(), 0u);
}
