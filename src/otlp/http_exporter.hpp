#pragma once
// The OTLP/HTTP exporter (internal; made by make_exporter).

#include <memory>

#include "pipeline.hpp"
#include "tracehop/http/session.hpp"

namespace tracehop::otlp::detail {

class HttpExporter final : public PipelinedExporter {
 public:
  explicit HttpExporter(ExporterOptions options);
  ~HttpExporter() override;

 private:
  boost::asio::awaitable<trace::ExportResult> send(Payload payload) override;
  boost::asio::awaitable<void> close() override;
  // Rejected items of a partial success (logged), 0 if the answer says none.
  std::uint64_t partial_success(const std::string& answer, const http::Headers& headers);

  std::unique_ptr<http::ClientSession> session_;  // on the pipeline's io_context
};

}  // namespace tracehop::otlp::detail
