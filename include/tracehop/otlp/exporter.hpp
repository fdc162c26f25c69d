#pragma once
// OTLP exporters: OTLP/gRPC (TraceService/Export, MetricsService/Export) and OTLP/HTTP to
// /v1/traces and /v1/metrics with protobuf or JSON bodies, configured from code or from the
// OTEL_EXPORTER_OTLP_* variables.
//
//   auto provider = std::make_shared<tracehop::trace::TracerProvider>();
//   provider->add_span_processor(std::make_shared<tracehop::trace::BatchSpanProcessor>(
//       tracehop::otlp::make_exporter(tracehop::otlp::ExporterOptions::from_env())));
//
// or OTEL_TRACES_EXPORTER=otlp with configure_from_env(): including this header registers
// the "otlp" exporter.
//
// Each export ends within `timeout` (retries included) and never throws; what is not delivered
// is counted (stats()) and logged, once per reason, and summed up at shutdown (failures met while
// shutting down: by that summary only). Exports run on the exporter's own thread, up to
// max_concurrent_requests at once: export_spans_async takes the batch's spans and returns;
// export_spans waits for the answer. Shutdown wakes an export waiting to retry for one last
// attempt, then waits for what runs.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "tracehop/metrics/exporter.hpp"
#include "tracehop/trace/exporter.hpp"

namespace tracehop::otlp {

enum class Protocol { Grpc, HttpProtobuf, HttpJson };
/// Which OTLP service: traces (TraceService, /v1/traces) or metrics (MetricsService, /v1/metrics).
enum class Signal { Traces, Metrics };
enum class Compression { None, Gzip };

struct ExporterOptions {
  Signal signal = Signal::Traces;
  /// The specification's default transport.
  Protocol protocol = Protocol::HttpProtobuf;
  /// gRPC: `http://host:port`, `https://host:port` or `host:port`; HTTP: the full URL of the
  /// signal's endpoint. Empty: http://localhost:4317 (gRPC), http://localhost:4318/v1/traces or
  /// /v1/metrics (HTTP).
  std::string endpoint;
  /// Sent with every export (gRPC metadata keys are lowercased).
  std::vector<std::pair<std::string, std::string>> headers;
  /// The most one export may take, retries included.
  std::chrono::milliseconds timeout{10'000};
  Compression compression = Compression::None;
  /// gRPC to an endpoint without a scheme: plaintext instead of TLS.
  bool insecure = false;
  /// A PEM file of the CA certificates that verify the endpoint (else the system's store).
  std::string certificate;
  /// Waits between retries: exponential from this, with jitter, honouring Retry-After (HTTP)
  /// and RetryInfo (gRPC), never past `timeout`.
  std::chrono::milliseconds initial_backoff{1'000};
  std::chrono::milliseconds max_backoff{5'000};
  /// Export requests that may wait for their answers at once (the specification's concurrent
  /// requests): a batch processor sends the next batch while earlier ones are in flight.
  /// 1 sends one at a time.
  std::size_t max_concurrent_requests = 4;

  /// The defaults with OTEL_EXPORTER_OTLP_(TRACES_|METRICS_)ENDPOINT, _PROTOCOL, _HEADERS,
  /// _TIMEOUT, _COMPRESSION, _INSECURE and _CERTIFICATE applied (the signal's form wins). A
  /// generic OTEL_EXPORTER_OTLP_ENDPOINT for HTTP gets the signal's path (`/v1/traces`,
  /// `/v1/metrics`) appended; the signal's form is used as given. Bad values are logged and
  /// ignored.
  static ExporterOptions from_env(Signal signal = Signal::Traces);
  /// The endpoint that will be used: `endpoint` or the protocol's default.
  std::string resolved_endpoint() const;
  /// `/v1/traces` or `/v1/metrics`.
  std::string_view http_path() const noexcept;
};

struct ExporterStats {
  std::uint64_t exported = 0;  // spans the receiver accepted
  std::uint64_t rejected = 0;  // spans a partial success said were rejected
  std::uint64_t failed = 0;    // spans not delivered (after retries, or not retryable)
  std::uint64_t requests = 0;  // export requests sent, retries included
  std::uint64_t retries = 0;
};

/// An exporter with stats, for tests, benchmarks and the shutdown summary.
class Exporter : public trace::SpanExporter {
 public:
  virtual ExporterStats stats() const noexcept = 0;
};

/// The exporter for `options.protocol`. Throws std::invalid_argument for an unusable endpoint.
std::unique_ptr<Exporter> make_exporter(const ExporterOptions& options);

/// The OTLP metrics exporter for `options.protocol` (sending to the metrics service whatever
/// `options.signal` says; ExporterOptions::from_env(Signal::Metrics) reads its variables), its
/// temporality from
/// OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE. One export at a time, each within the
/// timeout, retried as spans are; what is not delivered is counted in data points and logged.
/// Throws std::invalid_argument for an unusable endpoint.
std::unique_ptr<metrics::MetricExporter> make_metric_exporter(const ExporterOptions& options);

/// Registers "otlp" for OTEL_TRACES_EXPORTER and OTEL_METRICS_EXPORTER (configure_from_env).
void register_exporter();

namespace detail {
// Makes including this header enough for OTEL_TRACES_EXPORTER=otlp (and _METRICS_) to work.
inline const bool registered = (register_exporter(), true);
}  // namespace detail

}  // namespace tracehop::otlp
