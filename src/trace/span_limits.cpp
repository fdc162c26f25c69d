#include "tracehop/trace/span_limits.hpp"

#include "internal.hpp"

namespace tracehop::trace {

SpanLimits SpanLimits::from_env() {
  SpanLimits l;
  auto read = [](std::size_t& field, const char* specific, const char* general = nullptr) {
    if (auto v = detail::env_uint(specific))
      field = static_cast<std::size_t>(*v);
    else if (general)
      if (auto g = detail::env_uint(general)) field = static_cast<std::size_t>(*g);
  };
  read(l.attribute_count, "OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT", "OTEL_ATTRIBUTE_COUNT_LIMIT");
  read(l.attribute_value_length, "OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT",
       "OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT");
  read(l.event_count, "OTEL_SPAN_EVENT_COUNT_LIMIT");
  read(l.link_count, "OTEL_SPAN_LINK_COUNT_LIMIT");
  read(l.attributes_per_event, "OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT");
  read(l.attributes_per_link, "OTEL_LINK_ATTRIBUTE_COUNT_LIMIT");
  return l;
}

}  // namespace tracehop::trace
