#pragma once
// The SDK's own figures as metrics, so that a dropped span shows on a dashboard and not only in a
// log line: a BatchSpanProcessor's as the semantic conventions' SDK metrics,
//   otel.sdk.processor.span.processed       {span}  counter: spans it handed to a successful
//                                            export, and (with error.type) those it lost:
//                                            export_failed, queue_full, shutdown, shutdown_timeout
//   otel.sdk.processor.span.queue.size      {span}  spans queued or being exported now
//   otel.sdk.processor.span.queue.capacity  {span}  its queue's size
// each with otel.component.type=batching_span_processor and otel.component.name.

#include <memory>
#include <string>

#include "tracehop/metrics/meter.hpp"
#include "tracehop/trace/span_processor.hpp"

namespace tracehop::metrics {

/// The observations of one processor: they stop when this goes (or the processor does).
struct SpanProcessorMetrics {
  ObservableInstrument processed;
  ObservableInstrument queue_size;
  ObservableInstrument queue_capacity;
};

/// Observes `processor` (held weakly) through `meter`; `name` is its otel.component.name
/// ("batching_span_processor/0").
[[nodiscard]] SpanProcessorMetrics observe_span_processor(const Meter& meter,
                                                          const std::shared_ptr<trace::BatchSpanProcessor>& processor,
                                                          std::string name);

}  // namespace tracehop::metrics
