#pragma once
// A pull reader that Prometheus scrapes: it serves `GET /metrics` on its own port and thread
// (OTEL_EXPORTER_PROMETHEUS_HOST / _PORT, localhost:9464), collecting at each scrape, in the
// text format or, when the scraper's Accept lists it, OpenMetrics with exemplars. Including this
// header registers "prometheus" for OTEL_METRICS_EXPORTER (configure_from_env).

#include <cstdint>
#include <memory>
#include <string>

#include "tracehop/metrics/reader.hpp"

namespace tracehop::prometheus {

struct ReaderOptions {
  std::string host = "localhost";
  /// 0: any free port (see PrometheusReader::port()).
  unsigned short port = 9464;
  /// OTEL_EXPORTER_PROMETHEUS_HOST and OTEL_EXPORTER_PROMETHEUS_PORT over the defaults (a port
  /// that is not a number is logged and ignored).
  static ReaderOptions from_env();
};

/// Cumulative (what Prometheus sums). Serves from construction to shutdown (or destruction).
/// Thread-safe.
class PrometheusReader final : public metrics::MetricReader {
 public:
  /// Starts serving; throws std::system_error when it cannot listen ("cannot listen on
  /// localhost:9464: Address already in use").
  explicit PrometheusReader(ReaderOptions options = ReaderOptions::from_env());
  ~PrometheusReader() override;

  unsigned short port() const noexcept;
  /// `http://host:port/metrics`.
  std::string url() const;
  /// Scrapes answered.
  std::uint64_t scrapes() const noexcept;

 private:
  bool on_shutdown(std::chrono::milliseconds timeout) override;
  struct State;
  std::unique_ptr<State> state_;
};

/// Registers "prometheus" for OTEL_METRICS_EXPORTER.
void register_reader();

namespace detail {
// Makes including this header enough for OTEL_METRICS_EXPORTER=prometheus to work.
inline const bool registered = (register_reader(), true);
}  // namespace detail

}  // namespace tracehop::prometheus
