#pragma once
// The OTLP/gRPC exporter (internal; made by make_exporter). The grpc++ types stay in the .cpp.

#include <atomic>
#include <memory>

#include "accounting.hpp"
#include "tracehop/otlp/exporter.hpp"

namespace tracehop::otlp::detail {

class GrpcExporter final : public Exporter {
 public:
  explicit GrpcExporter(ExporterOptions options);
  ~GrpcExporter() override;
  trace::ExportResult export_spans(std::span<const trace::SpanDataPtr> spans) noexcept override;
  bool shutdown(std::chrono::milliseconds timeout) noexcept override;
  ExporterStats stats() const noexcept override;

 private:
  struct Channel;
  ExporterOptions options_;
  std::string endpoint_;
  std::vector<std::pair<std::string, std::string>> metadata_;  // options_.headers, keys lowercased
  Accounting accounting_;
  std::unique_ptr<Channel> channel_;
  std::atomic<bool> shut_down_{false};
};

}  // namespace tracehop::otlp::detail
