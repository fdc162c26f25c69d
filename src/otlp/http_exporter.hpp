#pragma once
// The OTLP/HTTP exporter (internal; made by make_exporter).

#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <memory>

#include "accounting.hpp"
#include "proto.hpp"
#include "tracehop/http/session.hpp"
#include "tracehop/otlp/exporter.hpp"

namespace tracehop::otlp::detail {

class HttpExporter final : public Exporter {
 public:
  explicit HttpExporter(ExporterOptions options);
  ~HttpExporter() override;
  trace::ExportResult export_spans(std::span<const trace::SpanDataPtr> spans) noexcept override;
  bool shutdown(std::chrono::milliseconds timeout) noexcept override;
  ExporterStats stats() const noexcept override;

 private:
  boost::asio::awaitable<trace::ExportResult> send(std::span<const trace::SpanDataPtr> spans);
  // The body of an attempt: the protobuf encoding, copied from the encoder's reused buffer; the
  // JSON document, given whole to the first attempt (a retry, rare, writes it again).
  std::string body(std::span<const trace::SpanDataPtr> spans, std::string& json);
  // Rejected spans of a partial success (logged), 0 if the answer says none.
  std::uint64_t partial_success(const std::string& answer, const http::Headers& headers);

  ExporterOptions options_;
  std::string url_;
  Accounting accounting_;
  ProtobufEncoder encoder_;
  boost::asio::io_context io_;
  std::unique_ptr<http::ClientSession> session_;
  std::atomic<bool> shut_down_{false};
};

}  // namespace tracehop::otlp::detail
