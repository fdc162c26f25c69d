#pragma once
// Metrics in Prometheus' text formats, by OpenTelemetry's Prometheus compatibility rules: names
// sanitised (`[^a-zA-Z0-9_:]` to `_`), the unit as a suffix (`s` -> `_seconds`, `By` -> `_bytes`,
// `{request}` dropped), `_total` for a monotonic sum, a non-monotonic sum as a gauge, histograms
// as cumulative `_bucket{le=...}`, `_sum`, `_count`; attributes as labels (sanitised, values
// escaped) with `otel_scope_name` / `otel_scope_version`; the resource as `target_info`. Delta
// points are left out (Prometheus sums cumulatively). OpenMetrics adds `# UNIT`, exemplars (a
// bucket's or a counter's trace and span id) and `# EOF`.

#include <string>
#include <string_view>

#include "tracehop/metrics/data.hpp"

namespace tracehop::prometheus {

enum class Format {
  Text,         // text/plain; version=0.0.4
  OpenMetrics,  // application/openmetrics-text; version=1.0.0
};

/// The format a scraper asks for in its Accept header (OpenMetrics if it is listed), and its
/// Content-Type.
Format negotiate(std::string_view accept) noexcept;
std::string_view content_type(Format format) noexcept;

/// One exposition of every cumulative point in `metrics`.
std::string to_exposition(const metrics::ResourceMetrics& metrics, Format format);

/// The Prometheus name of a metric's family: sanitised, with its unit's suffix (a counter's
/// samples add `_total`).
std::string metric_name(const metrics::MetricData& metric);
/// A label name: `[^a-zA-Z0-9_]` to `_`, a leading digit prefixed with `_`.
std::string label_name(std::string_view key);

}  // namespace tracehop::prometheus
