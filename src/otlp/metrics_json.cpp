// OTLP/JSON for metrics: one ExportMetricsServiceRequest a line, and the file exporter.

#include <cerrno>
#include <iostream>
#include <system_error>

#include "json_writer.hpp"
#include "model.hpp"
#include "tracehop/log.hpp"
#include "tracehop/otlp/json.hpp"

namespace tracehop::otlp {

namespace {

using detail::JsonWriter;
using detail::key_values;

// NumberDataPoint.value and Exemplar.value: as_int (sfixed64, a string in JSON) or as_double.
void number_value(JsonWriter& w, const std::variant<std::int64_t, double>& v) {
  if (const auto* i = std::get_if<std::int64_t>(&v))
    w.key("asInt").quoted(*i);
  else
    w.key("asDouble").real(std::get<double>(v));
}

void exemplars(JsonWriter& w, const std::vector<metrics::Exemplar>& list) {
  if (list.empty()) return;
  w.key("exemplars").array(list, [&](const metrics::Exemplar& e) {
    w.raw("{");
    w.key("timeUnixNano").quoted(detail::unix_nanos(e.time));
    number_value(w, e.value);
    if (e.span_id.valid()) w.key("spanId").hex(e.span_id);
    if (e.trace_id.valid()) w.key("traceId").hex(e.trace_id);
    if (!e.filtered_attributes.empty()) key_values(w.key("filteredAttributes"), e.filtered_attributes);
    w.raw("}");
  });
}

void point_times(JsonWriter& w, const trace::Attributes& attributes, trace::TimePoint start, trace::TimePoint time) {
  key_values(w.key("attributes"), attributes);
  w.key("startTimeUnixNano").quoted(detail::unix_nanos(start));
  w.key("timeUnixNano").quoted(detail::unix_nanos(time));
}

void metric(JsonWriter& w, const metrics::MetricData& m) {
  w.raw("{").key("name").string(m.name);
  if (!m.description.empty()) w.key("description").string(m.description);
  if (!m.unit.empty()) w.key("unit").string(m.unit);
  auto numbers = [&] {
    w.key("dataPoints").array(m.numbers, [&](const metrics::NumberPoint& p) {
      w.raw("{");
      point_times(w, p.attributes, p.start_time, p.time);
      number_value(w, p.value);
      exemplars(w, p.exemplars);
      w.raw("}");
    });
  };
  switch (m.type) {
    case metrics::MetricType::Sum:
      w.key("sum").raw("{");
      numbers();
      w.key("aggregationTemporality").number(static_cast<int>(m.temporality));
      w.key("isMonotonic").raw(m.monotonic ? "true" : "false").raw("}");
      break;
    case metrics::MetricType::Gauge:
      w.key("gauge").raw("{");
      numbers();
      w.raw("}");
      break;
    case metrics::MetricType::Histogram:
      w.key("histogram").raw("{").key("dataPoints").array(m.histograms, [&](const metrics::HistogramPoint& p) {
        w.raw("{");
        point_times(w, p.attributes, p.start_time, p.time);
        w.key("count").quoted(p.count).key("sum").real(p.sum);
        w.key("bucketCounts").array(p.bucket_counts, [&](std::uint64_t c) { w.quoted(c); });
        w.key("explicitBounds").array(p.boundaries, [&](double b) { w.real(b); });
        exemplars(w, p.exemplars);
        if (p.min) w.key("min").real(*p.min);
        if (p.max) w.key("max").real(*p.max);
        w.raw("}");
      });
      w.key("aggregationTemporality").number(static_cast<int>(m.temporality)).raw("}");
      break;
  }
  w.raw("}");
}

}  // namespace

std::string to_otlp_json(const metrics::ResourceMetrics& metrics) {
  std::string out;
  JsonWriter w(out);
  w.raw("{").key("resourceMetrics").raw("[{");
  detail::resource_json(w, &metrics.resource);
  w.key("scopeMetrics").array(metrics.scopes, [&](const metrics::ScopeMetrics& s) {
    w.raw("{");
    detail::scope_json(w, &s.scope);
    w.key("metrics").array(s.metrics, [&](const metrics::MetricData& m) { metric(w, m); });
    if (!s.scope.schema_url.empty()) w.key("schemaUrl").string(s.scope.schema_url);
    w.raw("}");
  });
  if (!metrics.resource.schema_url().empty()) w.key("schemaUrl").string(metrics.resource.schema_url());
  w.raw("}]}");
  w.finish();
  return out;
}

OtlpJsonMetricsFileExporter::OtlpJsonMetricsFileExporter(const std::string& path,
                                                         metrics::TemporalitySelector preference)
    : out_(&std::cout), temporality_(preference) {
  if (path != "-") {
    file_.open(path, std::ios::out | std::ios::app);
    if (!file_) throw std::system_error(errno, std::generic_category(), "cannot open metrics file '" + path + "'");
    out_ = &file_;
  }
}

OtlpJsonMetricsFileExporter::OtlpJsonMetricsFileExporter(std::ostream& out, metrics::TemporalitySelector preference)
    : out_(&out), temporality_(preference) {}

metrics::ExportResult OtlpJsonMetricsFileExporter::export_metrics(const metrics::ResourceMetrics& metrics) noexcept {
  std::lock_guard lock(mutex_);
  if (shut_down_) return metrics::ExportResult::Failure;
  if (metrics.scopes.empty()) return metrics::ExportResult::Success;  // nothing measured yet
  try {
    *out_ << to_otlp_json(metrics) << '\n';
    out_->flush();
    if (!*out_) {
      log_error("metrics file: write failed; a collection is lost");
      return metrics::ExportResult::Failure;
    }
    return metrics::ExportResult::Success;
  } catch (...) {
    return metrics::ExportResult::Failure;
  }
}

bool OtlpJsonMetricsFileExporter::shutdown(std::chrono::milliseconds) noexcept {
  std::lock_guard lock(mutex_);
  if (shut_down_) return true;
  shut_down_ = true;
  try {
    out_->flush();
    if (file_.is_open()) file_.close();
  } catch (...) {
    return false;
  }
  return true;
}

}  // namespace tracehop::otlp
