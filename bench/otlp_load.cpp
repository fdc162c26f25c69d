// Spans per second one exporter delivers to a receiver: batches of 512 finished spans (4
// attributes each) exported back to back for a bounded time, as the batch processor's thread
// would. Usage: otlp_load grpc|http/protobuf|http/json ENDPOINT [seconds, default 5]
// Prints one JSON object: protocol, spans, seconds, spans_per_second, failed.
#include <chrono>
#include <cstdio>
#include <string>

#include "bench_ops.hpp"
#include "tracehop/otlp/exporter.hpp"

using namespace tracehop;

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: otlp_load grpc|http/protobuf|http/json ENDPOINT [seconds]\n");
    return 2;
  }
  const std::string protocol = argv[1];
  otlp::ExporterOptions options;
  options.protocol = protocol == "grpc" ? otlp::Protocol::Grpc
                     : protocol == "http/json" ? otlp::Protocol::HttpJson
                                               : otlp::Protocol::HttpProtobuf;
  options.endpoint = argv[2];
  const double seconds = argc > 3 ? std::stod(argv[3]) : 5.0;

  const auto spans = bench::finished_spans(512);
  auto exporter = otlp::make_exporter(options);
  const auto start = std::chrono::steady_clock::now();
  const auto end = start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(seconds));
  while (std::chrono::steady_clock::now() < end) exporter->export_spans(spans);
  const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const auto stats = exporter->stats();
  exporter->shutdown(std::chrono::seconds(1));
  std::printf("{\"protocol\": \"%s\", \"spans\": %llu, \"seconds\": %.2f, \"spans_per_second\": %.0f, \"failed\": %llu}\n",
              protocol.c_str(), static_cast<unsigned long long>(stats.exported), took,
              static_cast<double>(stats.exported) / took, static_cast<unsigned long long>(stats.failed));
  return 0;
}
