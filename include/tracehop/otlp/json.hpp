#pragma once
// OTLP/JSON: finished spans as one ExportTraceServiceRequest on a single line (the
// OpenTelemetry Collector's file-exporter format: lowercase hex ids, enums as integers, 64-bit
// integers as strings), and an exporter that appends such lines to a file. In the protobuf-free
// library tracehop::otlp_json (`--spans-out` needs no gRPC).

#include <chrono>
#include <fstream>
#include <iosfwd>
#include <span>
#include <string>

#include "tracehop/trace/exporter.hpp"

namespace tracehop::otlp {

/// One OTLP/JSON ExportTraceServiceRequest, spans grouped by resource and instrumentation scope
/// (first-seen order), as the protobuf encoding groups them.
std::string to_otlp_json(std::span<const trace::SpanDataPtr> spans);

/// Appends one to_otlp_json line per export call to a file (or a stream), flushed each time.
class OtlpJsonFileExporter final : public trace::SpanExporter {
 public:
  /// Opens `path` for appending; throws std::system_error if it cannot be opened. "-" means
  /// standard output.
  explicit OtlpJsonFileExporter(const std::string& path);
  explicit OtlpJsonFileExporter(std::ostream& out);
  trace::ExportResult export_spans(std::span<const trace::SpanDataPtr> spans) noexcept override;
  bool force_flush(std::chrono::milliseconds timeout) noexcept override;
  bool shutdown(std::chrono::milliseconds timeout) noexcept override;

 private:
  std::ofstream file_;
  std::ostream* out_;
  bool shut_down_ = false;
};

}  // namespace tracehop::otlp
