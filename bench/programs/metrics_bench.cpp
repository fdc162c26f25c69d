// The recording path's time: a histogram measurement into an existing series with the HTTP
// client's 5 attributes (a braced list, or an AttributeSet made once), and a counter's, on one
// thread and on two (each its own series, or both one series).
// Items per second at 2 threads against 1: the "not slower together" target of DESIGN.md §7.
#include <benchmark/benchmark.h>

#include <array>
#include <string>

#include "tracehop/metrics.hpp"

using namespace tracehop;

namespace {

struct Sdk {
  Sdk() {
    meter = provider.get_meter("bench");
    histogram = meter.create_histogram("http.client.request.duration", {.unit = "s"});
  }
  std::shared_ptr<metrics::MetricReader> reader = std::make_shared<metrics::MetricReader>();
  metrics::MeterProvider provider{metrics::MeterProviderOptions{.readers = {reader}}};
  metrics::Meter meter;
  metrics::Histogram<double> histogram;
};

Sdk& sdk() {
  static Sdk s;
  return s;
}

// range(0): 1 = every thread its own series (a port of its own), 0 = all threads one series.
void BM_HistogramRecord5(benchmark::State& state) {
  auto& s = sdk();
  const std::string host = "example.com";
  const int port = state.range(0) ? 8000 + state.thread_index() : 443;
  double v = 0.001;
  for (auto _ : state) {
    s.histogram.record(v, {{"http.request.method", "GET"},
                           {"server.address", std::string_view(host)},
                           {"server.port", port},
                           {"http.response.status_code", 200},
                           {"url.scheme", "https"}});
    v = v < 5 ? v * 1.7 : 0.001;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_HistogramRecord5)->Arg(1)->Arg(0)->Threads(1)->Threads(2)->UseRealTime();

// The same 5 attributes made once as an AttributeSet.
void BM_HistogramRecordSet5(benchmark::State& state) {
  auto& s = sdk();
  const std::string host = "example.com";
  const metrics::AttributeSet set{{"http.request.method", "GET"},
                                  {"server.address", std::string_view(host)},
                                  {"server.port", state.range(0) ? 8000 + state.thread_index() : 443},
                                  {"http.response.status_code", 200},
                                  {"url.scheme", "https"}};
  double v = 0.001;
  for (auto _ : state) {
    s.histogram.record(v, set);
    v = v < 5 ? v * 1.7 : 0.001;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_HistogramRecordSet5)->Arg(1)->Arg(0)->Threads(1)->Threads(2)->UseRealTime();

void BM_CounterAdd5(benchmark::State& state) {
  auto& s = sdk();
  static auto counter = s.meter.create_counter("requests");
  const int port = state.range(0) ? 8000 + state.thread_index() : 443;
  for (auto _ : state)
    counter.add(1, {{"http.request.method", "GET"},
                    {"server.address", "example.com"},
                    {"server.port", port},
                    {"http.response.status_code", 200},
                    {"url.scheme", "https"}});
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CounterAdd5)->Arg(1)->Arg(0)->Threads(1)->Threads(2)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
