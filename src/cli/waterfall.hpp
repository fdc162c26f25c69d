#pragma once
// The waterfall view: each trace as an indented span tree with a bar per span on a time axis.

#include <iosfwd>
#include <vector>

#include "tracehop/trace/exporter.hpp"

namespace tracehop::cli {

struct WaterfallOptions {
  int name_width = 34;  // columns for the indented span name
  int bar_width = 40;   // columns for the time axis
  bool show_service = false;  // the span's service.name after its name
};

/// Prints every trace in `spans` (grouped by trace id, in order of their first span's start):
/// a header line per trace, then one line per span: indented name, kind, bar, duration, status.
/// Spans whose parent is not among `spans` are shown as roots of their trace.
void print_waterfall(std::ostream& out, const std::vector<trace::SpanDataPtr>& spans,
                     const WaterfallOptions& options = {});

}  // namespace tracehop::cli
