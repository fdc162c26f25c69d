// Spans per second one exporter delivers to a receiver through the batch processor, fed by a
// producer thread for a bounded time. Usage: otlp_load grpc|http/protobuf|http/json ENDPOINT
// [seconds, default 5]. Prints one JSON object: protocol, produced, exported, seconds,
// spans_per_second (exported), dropped_queue_full, failed.
//
// With `--spans=N` instead of seconds: exactly N spans, every one exported (a queue that holds
// them all, a flush after each batch of 512, as bench/count-export needs for exact counts under
// valgrind, which runs one thread at a time); protocol `none` exports to nowhere (the baseline).
// Exits 1 if a span was not exported.
#include <chrono>
#include <cstdio>
#include <string>

#include "bench_ops.hpp"
#include "tracehop/otlp/exporter.hpp"

using namespace tracehop;

namespace {

otlp::ExporterOptions exporter_options(const std::string& protocol, const std::string& endpoint) {
  otlp::ExporterOptions options;
  options.protocol = protocol == "grpc" ? otlp::Protocol::Grpc
                     : protocol == "http/json" ? otlp::Protocol::HttpJson
                                               : otlp::Protocol::HttpProtobuf;
  options.endpoint = endpoint;
  return options;
}

std::unique_ptr<trace::SpanExporter> exporter_for(const std::string& protocol, const std::string& endpoint) {
  if (protocol == "none") return std::make_unique<bench::DiscardExporter>();
  return otlp::make_exporter(exporter_options(protocol, endpoint));
}

// Exactly `n` spans through the batch processor to the exporter, every one exported.
int count(const std::string& protocol, const std::string& endpoint, std::size_t n) {
  auto batch = std::make_shared<trace::BatchSpanProcessor>(exporter_for(protocol, endpoint),
                                                           trace::BatchSpanProcessorOptions{.max_queue_size = n + 1});
  trace::TracerProvider provider;
  provider.add_span_processor(batch);
  const auto tracer = provider.get_tracer("load", "1.0");
  for (std::size_t i = 0; i < n; ++i) {
    bench::span_with_4_attributes(*tracer);
    if (i % 512 == 511) batch->force_flush();
  }
  provider.shutdown();
  const auto s = batch->stats();
  std::printf("{\"protocol\": \"%s\", \"spans\": %zu, \"exported\": %llu}\n", protocol.c_str(), n,
              static_cast<unsigned long long>(s.exported));
  return s.exported == n ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: otlp_load grpc|http/protobuf|http/json ENDPOINT [seconds]\n"
                         "       otlp_load grpc|http/protobuf|http/json|none ENDPOINT --spans=N\n");
    return 2;
  }
  const std::string protocol = argv[1];
  const std::string third = argc > 3 ? argv[3] : "";
  if (third.rfind("--spans=", 0) == 0) return count(protocol, argv[2], std::stoul(third.substr(8)));
  const double seconds = argc > 3 ? std::stod(argv[3]) : 5.0;

  // One producer thread ending spans as fast as it can into a batch processor (default
  // options: queue 2048, batches of 512) whose exporter is the one measured; what the exporter
  // cannot keep up with is dropped at the queue and counted.
  auto exporter = otlp::make_exporter(exporter_options(protocol, argv[2]));
  const otlp::Exporter* measured = exporter.get();
  auto batch = std::make_shared<trace::BatchSpanProcessor>(std::move(exporter));
  trace::TracerProvider provider;
  provider.add_span_processor(batch);
  const auto tracer = provider.get_tracer("load", "1.0");
  const auto start = std::chrono::steady_clock::now();
  const auto end = start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(seconds));
  std::uint64_t produced = 0;
  while (std::chrono::steady_clock::now() < end) {
    for (int i = 0; i < 256; ++i) bench::span_with_4_attributes(*tracer);
    produced += 256;
  }
  provider.shutdown();
  const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const auto stats = measured->stats();
  std::printf("{\"protocol\": \"%s\", \"produced\": %llu, \"exported\": %llu, \"seconds\": %.2f, "
              "\"spans_per_second\": %.0f, \"dropped_queue_full\": %llu, \"failed\": %llu}\n",
              protocol.c_str(), static_cast<unsigned long long>(produced), static_cast<unsigned long long>(stats.exported),
              took, static_cast<double>(stats.exported) / took,
              static_cast<unsigned long long>(batch->stats().dropped_queue_full), static_cast<unsigned long long>(stats.failed));
  return 0;
}
