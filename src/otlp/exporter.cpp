#include "tracehop/otlp/exporter.hpp"

#include "grpc_exporter.hpp"
#include "http_exporter.hpp"

namespace tracehop::otlp {

std::unique_ptr<Exporter> make_exporter(const ExporterOptions& options) {
  if (options.protocol == Protocol::Grpc) return std::make_unique<detail::GrpcExporter>(options);
  return std::make_unique<detail::HttpExporter>(options);
}

}  // namespace tracehop::otlp
