#pragma once
// OTLP encodings of finished spans: the protobuf ExportTraceServiceRequest (what OTLP/gRPC and
// OTLP/HTTP with application/x-protobuf carry). The OTLP/JSON form is trace::to_otlp_json.

#include <span>
#include <string>

#include "tracehop/trace/exporter.hpp"

namespace tracehop::otlp {

/// One ExportTraceServiceRequest in protobuf binary form, spans grouped by resource and
/// instrumentation scope (first-seen order), as trace::to_otlp_json groups them.
std::string to_otlp_protobuf(std::span<const trace::SpanDataPtr> spans);

}  // namespace tracehop::otlp
