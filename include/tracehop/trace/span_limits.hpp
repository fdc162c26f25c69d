#pragma once

#include <cstddef>
#include <cstdint>

namespace tracehop::trace {

/// Caps on what one span records; what goes over is dropped and counted (SpanData's dropped_*).
struct SpanLimits {
  static constexpr std::size_t kUnlimited = SIZE_MAX;
  std::size_t attribute_count = 128;
  std::size_t attribute_value_length = kUnlimited;
  std::size_t event_count = 128;
  std::size_t link_count = 128;
  std::size_t attributes_per_event = 128;
  std::size_t attributes_per_link = 128;

  /// Defaults overridden by OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT (else OTEL_ATTRIBUTE_COUNT_LIMIT),
  /// OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT (else OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT),
  /// OTEL_SPAN_EVENT_COUNT_LIMIT, OTEL_SPAN_LINK_COUNT_LIMIT, OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT
  /// and OTEL_LINK_ATTRIBUTE_COUNT_LIMIT. An unparsable value is logged and ignored.
  static SpanLimits from_env();
};

}  // namespace tracehop::trace
