#pragma once
// The OTLP/gRPC exporter (internal; made by make_exporter). The grpc++ types stay in the .cpp.

#include <memory>

#include "pipeline.hpp"

namespace tracehop::otlp::detail {

class GrpcExporter final : public PipelinedExporter {
 public:
  explicit GrpcExporter(ExporterOptions options);
  ~GrpcExporter() override;

 private:
  struct Channel;
  boost::asio::awaitable<trace::ExportResult> send(Payload payload) override;

  std::vector<std::pair<std::string, std::string>> metadata_;  // options_.headers, keys lowercased
  std::unique_ptr<Channel> channel_;
};

}  // namespace tracehop::otlp::detail
