#include "tracehop/otlp/json.hpp"

#include <boost/json.hpp>
#include <cerrno>
#include <iostream>
#include <system_error>

#include "model.hpp"
#include "tracehop/log.hpp"
#include "tracehop/trace/resource.hpp"
#include "tracehop/trace/tracer.hpp"

namespace tracehop::otlp {

namespace json = boost::json;

namespace {

// int64 as a decimal string, per OTLP/JSON.
std::string nanos(trace::TimePoint t) { return std::to_string(detail::unix_nanos(t)); }

json::object any_value(const trace::AttributeValue& v) {
  return std::visit(
      [](const auto& x) -> json::object {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, bool>) {
          return {{"boolValue", x}};
        } else if constexpr (std::is_same_v<T, std::int64_t>) {
          return {{"intValue", std::to_string(x)}};  // int64 as a string, per OTLP/JSON
        } else if constexpr (std::is_same_v<T, double>) {
          return {{"doubleValue", x}};
        } else if constexpr (std::is_same_v<T, std::string>) {
          return {{"stringValue", json::string_view(x)}};
        } else {
          json::array values;
          for (const auto& e : x)
            values.emplace_back(any_value(trace::AttributeValue(static_cast<typename T::value_type>(e))));
          return {{"arrayValue", json::object{{"values", std::move(values)}}}};
        }
      },
      v.variant());
}

json::array key_values(const trace::Attributes& attrs) {
  json::array a;
  a.reserve(attrs.size());
  for (const auto& kv : attrs)
    a.emplace_back(json::object{{"key", kv.key.view()}, {"value", any_value(kv.value)}});
  return a;
}

json::object otlp_span(const trace::SpanData& s) {
  json::object o;
  o["traceId"] = s.context.trace_id().to_hex();
  o["spanId"] = s.context.span_id().to_hex();
  if (!s.context.trace_state().empty()) o["traceState"] = s.context.trace_state().to_header();
  if (s.parent_span_id.valid()) o["parentSpanId"] = s.parent_span_id.to_hex();
  o["flags"] = detail::span_flags(s.context.trace_flags(), s.parent_remote);
  o["name"] = s.name;
  o["kind"] = detail::span_kind(s.kind);
  o["startTimeUnixNano"] = nanos(s.start_time);
  o["endTimeUnixNano"] = nanos(s.end_time);
  o["attributes"] = key_values(s.attributes);
  if (s.dropped_attributes) o["droppedAttributesCount"] = s.dropped_attributes;
  json::array events;
  for (const auto& e : s.events) {
    json::object eo{{"timeUnixNano", nanos(e.time)}, {"name", e.name},
                    {"attributes", key_values(e.attributes)}};
    if (e.dropped_attributes) eo["droppedAttributesCount"] = e.dropped_attributes;
    events.emplace_back(std::move(eo));
  }
  o["events"] = std::move(events);
  if (s.dropped_events) o["droppedEventsCount"] = s.dropped_events;
  json::array links;
  for (const auto& l : s.links) {
    json::object lo{{"traceId", l.context.trace_id().to_hex()},
                    {"spanId", l.context.span_id().to_hex()},
                    {"attributes", key_values(l.attributes)},
                    {"flags", detail::span_flags(l.context.trace_flags(), l.context.remote())}};
    if (!l.context.trace_state().empty()) lo["traceState"] = l.context.trace_state().to_header();
    if (l.dropped_attributes) lo["droppedAttributesCount"] = l.dropped_attributes;
    links.emplace_back(std::move(lo));
  }
  o["links"] = std::move(links);
  if (s.dropped_links) o["droppedLinksCount"] = s.dropped_links;
  json::object status;
  if (s.status.code != trace::StatusCode::Unset) status["code"] = detail::status_code(s.status.code);
  if (!s.status.description.empty()) status["message"] = s.status.description;
  o["status"] = std::move(status);
  return o;
}

}  // namespace

std::string to_otlp_json(std::span<const trace::SpanDataPtr> spans) {
  json::array resource_spans;
  for (const auto& group : detail::group_by_resource_and_scope(spans)) {
    json::array scope_spans;
    for (const auto& [scope, members] : group.scopes) {
      json::array arr;
      for (const auto* sp : members) arr.emplace_back(otlp_span(*sp));
      json::object so;
      json::object scope_obj;
      if (scope) {
        scope_obj["name"] = scope->name;
        if (!scope->version.empty()) scope_obj["version"] = scope->version;
        if (!scope->attributes.empty()) scope_obj["attributes"] = key_values(scope->attributes);
      }
      so["scope"] = std::move(scope_obj);
      so["spans"] = std::move(arr);
      if (scope && !scope->schema_url.empty()) so["schemaUrl"] = scope->schema_url;
      scope_spans.emplace_back(std::move(so));
    }
    json::object ro;
    ro["resource"] = json::object{
        {"attributes", group.resource ? key_values(group.resource->attributes()) : json::array{}}};
    ro["scopeSpans"] = std::move(scope_spans);
    if (group.resource && !group.resource->schema_url().empty()) ro["schemaUrl"] = group.resource->schema_url();
    resource_spans.emplace_back(std::move(ro));
  }
  return json::serialize(json::object{{"resourceSpans", std::move(resource_spans)}});
}

OtlpJsonFileExporter::OtlpJsonFileExporter(const std::string& path) : out_(&std::cout) {
  if (path != "-") {
    file_.open(path, std::ios::out | std::ios::app);
    if (!file_)
      throw std::system_error(errno, std::generic_category(), "cannot open span file '" + path + "'");
    out_ = &file_;
  }
}

OtlpJsonFileExporter::OtlpJsonFileExporter(std::ostream& out) : out_(&out) {}

trace::ExportResult OtlpJsonFileExporter::export_spans(std::span<const trace::SpanDataPtr> spans) noexcept {
  if (shut_down_) return trace::ExportResult::Failure;
  if (spans.empty()) return trace::ExportResult::Success;
  try {
    *out_ << to_otlp_json(spans) << '\n';
    out_->flush();
    if (!*out_) {
      log_error("span file: write failed; " + std::to_string(spans.size()) + " spans lost");
      return trace::ExportResult::Failure;
    }
    return trace::ExportResult::Success;
  } catch (...) {
    return trace::ExportResult::Failure;
  }
}

bool OtlpJsonFileExporter::force_flush(std::chrono::milliseconds) noexcept {
  try {
    out_->flush();
  } catch (...) {
    return false;
  }
  return true;
}

bool OtlpJsonFileExporter::shutdown(std::chrono::milliseconds timeout) noexcept {
  if (shut_down_) return true;
  shut_down_ = true;
  const bool ok = force_flush(timeout);
  if (file_.is_open()) file_.close();
  return ok;
}

}  // namespace tracehop::otlp
