// The OTLP encodings' cost per span (Google Benchmark): a batch of 512 finished spans, each
// with 4 attributes and the resource and scope of a real provider, as protobuf and as JSON.
#include <benchmark/benchmark.h>

#include "bench_ops.hpp"
#include "tracehop/otlp/encoding.hpp"

using namespace tracehop;

namespace {

void BM_EncodeProtobuf(benchmark::State& state) {
  const auto spans = bench::finished_spans(512);
  std::size_t bytes = 0;
  for (auto _ : state) bytes = otlp::to_otlp_protobuf(spans).size();
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(spans.size()));
  state.counters["bytes_per_span"] = static_cast<double>(bytes) / static_cast<double>(spans.size());
}
BENCHMARK(BM_EncodeProtobuf);

void BM_EncodeJson(benchmark::State& state) {
  const auto spans = bench::finished_spans(512);
  std::size_t bytes = 0;
  for (auto _ : state) bytes = otlp::to_otlp_json(spans).size();
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(spans.size()));
  state.counters["bytes_per_span"] = static_cast<double>(bytes) / static_cast<double>(spans.size());
}
BENCHMARK(BM_EncodeJson);

}  // namespace

BENCHMARK_MAIN();
