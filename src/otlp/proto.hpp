#pragma once
// SpanData straight into protobuf's wire format (internal): an ExportTraceServiceRequest written
// into one reused buffer, without building the generated messages (which cost an allocation per
// string and per nested message, and a third of an exporting process's instructions).

#include <span>
#include <string>
#include <vector>

#include "tracehop/trace/exporter.hpp"

namespace tracehop::otlp::detail {

/// Encodes ExportTraceServiceRequests, reusing its buffers from one batch to the next.
class ProtobufEncoder {
 public:
  /// `spans` grouped by resource, then by scope (first-seen order), in canonical form: fields in
  /// number order, proto3 defaults left out, as the generated code writes them. The view is
  /// valid until the next call.
  std::string_view encode(std::span<const trace::SpanDataPtr> spans);
  /// What the last encode() wrote.
  std::string_view view() const noexcept { return out_; }

 private:
  std::string out_;
  std::vector<std::size_t> sizes_;  // of each span, then each group, as measured before writing
};

}  // namespace tracehop::otlp::detail
