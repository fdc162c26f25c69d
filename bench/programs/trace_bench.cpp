#include <benchmark/benchmark.h>

#include "bench_ops.hpp"

using namespace tracehop;
using namespace tracehop::bench;

namespace {

Sdk& sampled_sdk() {
  static Sdk sdk;
  return sdk;
}

// Span start + 4 attributes + end through the batch processor (default options) and a
// discarding exporter. `dropped` counts spans the full queue turned away during the run.
void BM_SpanBatch(benchmark::State& state) {
  auto& sdk = sampled_sdk();
  const auto before = sdk.processor->stats().dropped_queue_full;
  for (auto _ : state) span_with_4_attributes(*sdk.tracer);
  if (state.thread_index() == 0) {
    state.counters["dropped"] = static_cast<double>(sdk.processor->stats().dropped_queue_full - before);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SpanBatch)->Threads(1)->Threads(2)->UseRealTime();

// One thread producing 1M spans/s (a span every microsecond, paced by a busy wait) through a
// batch processor whose queue holds range(0) spans (2048 is the default): the target is that
// none is dropped.
void BM_SpanBatchAt1MPerSecond(benchmark::State& state) {
  // Its own processor, so the unpaced runs above cannot leave it backed up.
  Sdk sdk(trace::always_on_sampler(), {.max_queue_size = static_cast<std::size_t>(state.range(0))});
  const auto before = sdk.processor->stats().dropped_queue_full;
  auto next = std::chrono::steady_clock::now();
  for (auto _ : state) {
    next += std::chrono::microseconds(1);
    while (std::chrono::steady_clock::now() < next) {
    }
    span_with_4_attributes(*sdk.tracer);
  }
  state.counters["dropped"] = static_cast<double>(sdk.processor->stats().dropped_queue_full - before);
}
BENCHMARK(BM_SpanBatchAt1MPerSecond)->Arg(2048)->Arg(8192)->Iterations(1'000'000)->UseRealTime();

void BM_UnsampledSpan(benchmark::State& state) {
  static Sdk sdk(trace::always_off_sampler());
  for (auto _ : state) span_with_4_attributes(*sdk.tracer);
}
BENCHMARK(BM_UnsampledSpan);

void BM_TraceparentInject(benchmark::State& state) {
  auto sc = *trace::parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  const auto ctx = trace::Context{}.with_span(trace::Span(sc));
  const auto prop = trace::trace_context_propagator();
  BenchCarrier carrier;
  for (auto _ : state) {
    prop->inject(carrier, ctx);
    benchmark::DoNotOptimize(carrier.traceparent.data());
  }
}
BENCHMARK(BM_TraceparentInject);

void BM_TraceparentExtract(benchmark::State& state) {
  BenchCarrier carrier;
  carrier.traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  const auto prop = trace::trace_context_propagator();
  const trace::Context empty;
  for (auto _ : state) {
    auto ctx = prop->extract(carrier, empty);
    benchmark::DoNotOptimize(ctx);
  }
}
BENCHMARK(BM_TraceparentExtract);

void BM_MakeCurrentAndReadBack(benchmark::State& state) {
  auto& sdk = sampled_sdk();
  auto span = sdk.tracer->start_span("current");
  for (auto _ : state) {
    trace::Scope scope(trace::Context::current().with_span(span));
    auto back = trace::current_span();
    benchmark::DoNotOptimize(back);
  }
  span.end();
}
BENCHMARK(BM_MakeCurrentAndReadBack);

}  // namespace

BENCHMARK_MAIN();
