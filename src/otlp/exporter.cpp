#include "tracehop/otlp/exporter.hpp"

#include "grpc_exporter.hpp"
#include "http_exporter.hpp"

namespace tracehop::otlp {

namespace {

std::unique_ptr<detail::PipelinedExporter> make_pipelined(const ExporterOptions& options) {
  if (options.protocol == Protocol::Grpc) return std::make_unique<detail::GrpcExporter>(options);
  return std::make_unique<detail::HttpExporter>(options);
}

// A metrics exporter on the spans' transport: a collection is one export, sent and waited for.
class MetricExporter final : public metrics::MetricExporter {
 public:
  explicit MetricExporter(ExporterOptions options)
      : temporality_(metrics::temporality_from_env()), exporter_(make_pipelined(options)) {}
  metrics::ExportResult export_metrics(const metrics::ResourceMetrics& collection) noexcept override {
    try {
      return exporter_->export_metrics(std::make_shared<const metrics::ResourceMetrics>(collection));
    } catch (...) {
      return metrics::ExportResult::Failure;
    }
  }
  metrics::TemporalitySelector temporality() const noexcept override { return temporality_; }
  void before_last_export() noexcept override { exporter_->last_attempts(); }
  bool shutdown(std::chrono::milliseconds timeout) noexcept override { return exporter_->shutdown(timeout); }

 private:
  metrics::TemporalitySelector temporality_;
  std::unique_ptr<detail::PipelinedExporter> exporter_;
};

}  // namespace

std::unique_ptr<Exporter> make_exporter(const ExporterOptions& options) { return make_pipelined(options); }

std::unique_ptr<metrics::MetricExporter> make_metric_exporter(const ExporterOptions& options) {
  ExporterOptions o = options;
  o.signal = Signal::Metrics;
  return std::make_unique<MetricExporter>(std::move(o));
}

}  // namespace tracehop::otlp
