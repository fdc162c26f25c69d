#pragma once
// Runs a coroutine test body as a tracehop task on a fresh io_context, to completion.

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_future.hpp>
#include <chrono>
#include <thread>
#include <vector>

#include "tracehop/task.hpp"

namespace asio = boost::asio;

namespace tracehop::test {

/// Runs `f` (a coroutine function) on a new io_context with `threads` threads; rethrows what it
/// threw.
template <class F>
void run(F&& f, int threads = 1) {
  asio::io_context io;
  auto done = spawn(io, std::forward<F>(f), asio::use_future);
  std::vector<std::thread> pool;
  for (int i = 1; i < threads; ++i) pool.emplace_back([&] { io.run(); });
  io.run();
  for (auto& t : pool) t.join();
  done.get();
}

inline asio::awaitable<void> sleep_for(std::chrono::milliseconds d) {
  asio::steady_timer t(co_await asio::this_coro::executor, d);
  co_await t.async_wait(asio::use_awaitable);
}

}  // namespace tracehop::test
