#pragma once
// A duration histogram drawn in the terminal: one line a bucket, from the first bucket with a
// count to the last, a bar as long as its count (what `tracehop demo` ends with).

#include <iosfwd>
#include <string_view>

#include "tracehop/metrics/data.hpp"

namespace tracehop::cli {

/// Draws `metric` (an explicit-bucket histogram of seconds or milliseconds), its points (one a
/// set of attributes) added up, under a title line: `title`, the count and the mean. Nothing for
/// a metric with no measurement.
void print_histogram(std::ostream& out, std::string_view title, const metrics::MetricData& metric, int bar_width = 40);

}  // namespace tracehop::cli
