#pragma once
// SpanData into the generated OTLP protobuf messages (internal).

#include <span>

#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"
#include "tracehop/trace/exporter.hpp"

namespace tracehop::otlp::detail {

namespace pb = opentelemetry::proto;

/// Fills `request` with `spans`, grouped by resource, then by scope.
void fill_request(pb::collector::trace::v1::ExportTraceServiceRequest& request,
                  std::span<const trace::SpanDataPtr> spans);

}  // namespace tracehop::otlp::detail
