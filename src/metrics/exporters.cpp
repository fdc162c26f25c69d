// Temporality preferences, and the console and in-memory exporters.

#include <iomanip>
#include <iostream>
#include <sstream>

#include "common/env.hpp"
#include "common/text.hpp"
#include "tracehop/log.hpp"
#include "tracehop/metrics/exporter.hpp"

namespace tracehop::metrics {

Temporality cumulative_temporality(InstrumentKind) noexcept { return Temporality::Cumulative; }

Temporality delta_temporality(InstrumentKind k) noexcept {
  switch (k) {
    case InstrumentKind::Counter:
    case InstrumentKind::ObservableCounter:
    case InstrumentKind::Histogram: return Temporality::Delta;
    default: return Temporality::Cumulative;
  }
}

Temporality low_memory_temporality(InstrumentKind k) noexcept {
  return k == InstrumentKind::Counter || k == InstrumentKind::Histogram ? Temporality::Delta
                                                                        : Temporality::Cumulative;
}

TemporalitySelector temporality_from_env() {
  const auto v = tracehop::detail::env("OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE");
  if (!v) return cumulative_temporality;
  const std::string s = tracehop::detail::ascii_lower(*v);
  if (s == "delta") return delta_temporality;
  if (s == "lowmemory") return low_memory_temporality;
  if (s != "cumulative")
    log_warn("OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE=" + *v +
             " is not cumulative, delta or lowmemory: cumulative");
  return cumulative_temporality;
}

namespace {

void write_attributes(std::ostream& out, const trace::Attributes& attrs) {
  out << '{';
  for (std::size_t i = 0; i < attrs.size(); ++i)
    out << (i ? ", " : "") << attrs[i].key.view() << '=' << attrs[i].value.to_string();
  out << '}';
}

void write_number(std::ostream& out, const std::variant<std::int64_t, double>& v) {
  std::visit([&](auto x) { out << x; }, v);
}

void write_exemplars(std::ostream& out, const std::vector<Exemplar>& exemplars) {
  for (const auto& e : exemplars) {
    out << "      exemplar ";
    write_number(out, e.value);
    if (e.trace_id.valid()) out << " trace_id=" << e.trace_id.to_hex() << " span_id=" << e.span_id.to_hex();
    if (!e.filtered_attributes.empty()) {
      out << ' ';
      write_attributes(out, e.filtered_attributes);
    }
    out << '\n';
  }
}

const char* type_name(const MetricData& m) {
  switch (m.type) {
    case MetricType::Sum: return m.monotonic ? "sum (monotonic)" : "sum";
    case MetricType::Gauge: return "gauge";
    case MetricType::Histogram: return "histogram";
  }
  return "";
}

}  // namespace

ConsoleMetricExporter::ConsoleMetricExporter() : ConsoleMetricExporter(std::cout) {}
ConsoleMetricExporter::ConsoleMetricExporter(std::ostream& out, TemporalitySelector preference)
    : out_(&out), temporality_(preference) {}

ExportResult ConsoleMetricExporter::export_metrics(const ResourceMetrics& metrics) noexcept {
  if (shut_down_) return ExportResult::Failure;
  try {
    std::ostringstream out;  // one write, so collections of two readers do not interleave
    out << "resource ";
    write_attributes(out, metrics.resource.attributes());
    out << '\n';
    for (const auto& scope : metrics.scopes) {
      out << "  scope " << scope.scope.name << (scope.scope.version.empty() ? "" : " ") << scope.scope.version << '\n';
      for (const auto& m : scope.metrics) {
        out << "  " << m.name << (m.unit.empty() ? "" : " [" + m.unit + "]") << ' ' << type_name(m);
        if (m.type != MetricType::Gauge) out << (m.temporality == Temporality::Delta ? ", delta" : ", cumulative");
        if (!m.description.empty()) out << ": " << m.description;
        out << '\n';
        for (const auto& p : m.numbers) {
          out << "    ";
          write_attributes(out, p.attributes);
          out << ' ';
          write_number(out, p.value);
          out << '\n';
          write_exemplars(out, p.exemplars);
        }
        for (const auto& p : m.histograms) {
          out << "    ";
          write_attributes(out, p.attributes);
          out << " count=" << p.count << " sum=" << p.sum;
          if (p.min) out << " min=" << *p.min << " max=" << *p.max;
          out << "\n      buckets";
          for (std::size_t i = 0; i < p.bucket_counts.size(); ++i) {
            if (p.bucket_counts[i] == 0) continue;
            if (i < p.boundaries.size())
              out << " <=" << p.boundaries[i] << ':' << p.bucket_counts[i];
            else
              out << " >" << (p.boundaries.empty() ? 0 : p.boundaries.back()) << ':' << p.bucket_counts[i];
          }
          out << '\n';
          write_exemplars(out, p.exemplars);
        }
      }
    }
    *out_ << out.str() << std::flush;
    return ExportResult::Success;
  } catch (...) {
    return ExportResult::Failure;
  }
}

bool ConsoleMetricExporter::shutdown(std::chrono::milliseconds) noexcept {
  shut_down_ = true;
  return true;
}

ExportResult InMemoryMetricExporter::export_metrics(const ResourceMetrics& metrics) noexcept {
  std::lock_guard lock(mutex_);
  if (shut_down_) return ExportResult::Failure;
  try {
    collections_.push_back(metrics);
    return ExportResult::Success;
  } catch (...) {
    return ExportResult::Failure;
  }
}

bool InMemoryMetricExporter::shutdown(std::chrono::milliseconds) noexcept {
  std::lock_guard lock(mutex_);
  shut_down_ = true;
  return true;
}

std::vector<ResourceMetrics> InMemoryMetricExporter::collections() const {
  std::lock_guard lock(mutex_);
  return collections_;
}

void InMemoryMetricExporter::clear() {
  std::lock_guard lock(mutex_);
  collections_.clear();
}

}  // namespace tracehop::metrics
