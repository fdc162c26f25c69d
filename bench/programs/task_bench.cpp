// The cost of making the tracing context follow tasks: a coroutine that yields (co_await post)
// N times, spawned plainly and with tracehop::spawn. The difference per iteration is the cost of
// one resumption through ContextExecutor.
#include <benchmark/benchmark.h>

#include <boost/asio/post.hpp>

#include "tracehop/task.hpp"

namespace asio = boost::asio;

namespace {

asio::awaitable<void> yield_n(std::int64_t n) {
  for (std::int64_t i = 0; i < n; ++i) co_await asio::post(asio::use_awaitable);
}

void BM_ResumePlainCoSpawn(benchmark::State& state) {
  for (auto _ : state) {
    asio::io_context io(1);
    asio::co_spawn(io, yield_n(10000), asio::detached);
    io.run();
  }
  state.SetItemsProcessed(state.iterations() * 10000);
}
BENCHMARK(BM_ResumePlainCoSpawn)->Unit(benchmark::kMillisecond);

void BM_ResumeTracehopSpawn(benchmark::State& state) {
  for (auto _ : state) {
    asio::io_context io(1);
    tracehop::spawn(io, yield_n(10000));
    io.run();
  }
  state.SetItemsProcessed(state.iterations() * 10000);
}
BENCHMARK(BM_ResumeTracehopSpawn)->Unit(benchmark::kMillisecond);

void BM_ResumeTypedContextExecutor(benchmark::State& state) {
  for (auto _ : state) {
    asio::io_context io(1);
    tracehop::ContextExecutor<asio::io_context::executor_type> ex(
        io.get_executor(), std::make_shared<tracehop::trace::ContextSlot>());
    asio::co_spawn(ex, yield_n(10000), asio::detached);
    io.run();
  }
  state.SetItemsProcessed(state.iterations() * 10000);
}
BENCHMARK(BM_ResumeTypedContextExecutor)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
