#include "histogram_chart.hpp"

#include <algorithm>
#include <cstdio>
#include <ostream>
#include <string>
#include <variant>
#include <vector>

namespace tracehop::cli {

namespace {

// A bound in milliseconds as a short label: "0.5 ms", "25 ms", "2.5 s".
std::string label(double ms) {
  char buffer[32];
  if (ms >= 1000)
    std::snprintf(buffer, sizeof buffer, "%g s", ms / 1000);
  else
    std::snprintf(buffer, sizeof buffer, "%g ms", ms);
  return buffer;
}

}  // namespace

void print_histogram(std::ostream& out, std::string_view title, const metrics::MetricData& metric, int bar_width) {
  if (metric.histograms.empty()) return;
  // The points added up: every point of one stream has the same boundaries.
  const auto& boundaries = metric.histograms.front().boundaries;
  std::vector<std::uint64_t> counts(boundaries.size() + 1);
  std::uint64_t total = 0;
  double sum = 0;
  for (const auto& p : metric.histograms) {
    if (p.boundaries != boundaries) continue;
    for (std::size_t i = 0; i < counts.size() && i < p.bucket_counts.size(); ++i) counts[i] += p.bucket_counts[i];
    total += p.count;
    sum += p.sum;
  }
  if (total == 0) return;
  const double scale = metric.unit == "s" ? 1000 : 1;  // to milliseconds
  const auto first = static_cast<std::size_t>(std::find_if(counts.begin(), counts.end(), [](auto c) { return c > 0; }) - counts.begin());
  const auto last = counts.size() - 1 -
                    static_cast<std::size_t>(std::find_if(counts.rbegin(), counts.rend(), [](auto c) { return c > 0; }) - counts.rbegin());
  const std::uint64_t most = *std::max_element(counts.begin(), counts.end());

  char mean[32];
  std::snprintf(mean, sizeof mean, "%.1f ms", sum * scale / static_cast<double>(total));
  out << title << "  " << metric.name << ": " << total << (total == 1 ? " request" : " requests") << ", mean " << mean
      << '\n';
  // A bucket's exemplar: the trace of one request in it (the first point's that has one).
  std::vector<const metrics::Exemplar*> exemplars(counts.size());
  for (const auto& p : metric.histograms)
    for (const auto& e : p.exemplars) {
      const double v = std::visit([](auto x) { return static_cast<double>(x); }, e.value);
      const auto i = static_cast<std::size_t>(std::lower_bound(boundaries.begin(), boundaries.end(), v) - boundaries.begin());
      if (!exemplars[i] && e.trace_id.valid()) exemplars[i] = &e;
    }
  for (std::size_t i = first; i <= last; ++i) {
    const std::string bound = i < boundaries.size() ? "<= " + label(boundaries[i] * scale)
                                                    : " > " + label(boundaries.back() * scale);
    const int bar = static_cast<int>((counts[i] * static_cast<std::uint64_t>(bar_width) + most - 1) / most);
    char line[64];
    std::snprintf(line, sizeof line, "  %12s  ", bound.c_str());
    out << line;
    for (int b = 0; b < bar; ++b) out << "\u2588";
    out << ' ' << counts[i];
    if (exemplars[i]) out << std::string(static_cast<std::size_t>(bar_width - bar + 1), ' ') << "trace " << exemplars[i]->trace_id.to_hex();
    out << '\n';
  }
}

}  // namespace tracehop::cli
