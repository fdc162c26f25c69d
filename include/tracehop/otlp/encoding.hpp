#pragma once
// The protobuf encoding of finished spans: the ExportTraceServiceRequest that OTLP/gRPC and
// OTLP/HTTP with application/x-protobuf carry. The OTLP/JSON form is in tracehop/otlp/json.hpp.

#include <span>
#include <string>

#include "tracehop/otlp/json.hpp"

namespace tracehop::otlp {

/// One ExportTraceServiceRequest in protobuf binary form, spans grouped by resource and
/// instrumentation scope (first-seen order), as to_otlp_json groups them.
std::string to_otlp_protobuf(std::span<const trace::SpanDataPtr> spans);

}  // namespace tracehop::otlp
