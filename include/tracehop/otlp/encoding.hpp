#pragma once
// The protobuf encodings: of finished spans, the ExportTraceServiceRequest, and of a metrics
// collection, the ExportMetricsServiceRequest, that OTLP/gRPC and OTLP/HTTP with
// application/x-protobuf carry. The OTLP/JSON forms are in tracehop/otlp/json.hpp.

#include <span>
#include <string>

#include "tracehop/otlp/json.hpp"

namespace tracehop::otlp {

/// One ExportTraceServiceRequest in protobuf binary form, spans grouped by resource and
/// instrumentation scope (first-seen order), as to_otlp_json groups them.
std::string to_otlp_protobuf(std::span<const trace::SpanDataPtr> spans);

/// One ExportMetricsServiceRequest in protobuf binary form: the collection's resource, scopes,
/// metrics and points, as to_otlp_json writes them.
std::string to_otlp_protobuf(const metrics::ResourceMetrics& metrics);

}  // namespace tracehop::otlp
