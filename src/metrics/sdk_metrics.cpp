// The batch span processor's figures, observed.

#include "tracehop/metrics/sdk_metrics.hpp"

namespace tracehop::metrics {

SpanProcessorMetrics observe_span_processor(const Meter& meter, const std::shared_ptr<trace::BatchSpanProcessor>& processor,
                                            std::string name) {
  const std::weak_ptr<trace::BatchSpanProcessor> weak = processor;
  auto with_stats = [weak, name](auto&& report) {
    return [weak, name, report](ObservableResult& r) {
      if (const auto p = weak.lock()) report(r, *p, std::string_view(name));
    };
  };
  SpanProcessorMetrics m;
  m.processed = meter.create_observable_counter(
      "otel.sdk.processor.span.processed",
      with_stats([](ObservableResult& r, const trace::BatchSpanProcessor& p, std::string_view component_name) {
        const auto s = p.stats();
        auto observe = [&](std::uint64_t n, std::string_view error) {
          const Attribute type{"otel.component.type", "batching_span_processor"}, component{"otel.component.name", component_name};
          if (error.empty()) {
            const Attribute a[] = {type, component};
            r.observe(static_cast<std::int64_t>(n), a);
          } else {
            const Attribute a[] = {type, component, {"error.type", error}};
            r.observe(static_cast<std::int64_t>(n), a);
          }
        };
        observe(s.exported, {});
        observe(s.export_failed, "export_failed");
        observe(s.dropped_queue_full, "queue_full");
        observe(s.dropped_after_shutdown, "shutdown");
        observe(s.dropped_shutdown_timeout, "shutdown_timeout");
      }),
      {.unit = "{span}", .description = "The spans the processor handed to a successful export, and those it lost (error.type)."});
  m.queue_size = meter.create_observable_up_down_counter(
      "otel.sdk.processor.span.queue.size",
      with_stats([](ObservableResult& r, const trace::BatchSpanProcessor& p, std::string_view component_name) {
        const auto s = p.stats();
        const std::uint64_t done = s.exported + s.export_failed + s.dropped_shutdown_timeout;
        r.observe(static_cast<std::int64_t>(s.queued > done ? s.queued - done : 0),
                  {{"otel.component.type", "batching_span_processor"}, {"otel.component.name", component_name}});
      }),
      {.unit = "{span}", .description = "The spans queued or being exported now."});
  m.queue_capacity = meter.create_observable_up_down_counter(
      "otel.sdk.processor.span.queue.capacity",
      with_stats([](ObservableResult& r, const trace::BatchSpanProcessor& p, std::string_view component_name) {
        r.observe(static_cast<std::int64_t>(p.options().max_queue_size),
                  {{"otel.component.type", "batching_span_processor"}, {"otel.component.name", component_name}});
      }),
      {.unit = "{span}", .description = "The most spans the processor's queue holds."});
  return m;
}

}  // namespace tracehop::metrics
