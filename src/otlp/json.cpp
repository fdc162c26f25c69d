#include "tracehop/otlp/json.hpp"

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <system_error>
#include <type_traits>

#include "common/text.hpp"
#include "json_writer.hpp"
#include "model.hpp"
#include "tracehop/log.hpp"
#include "tracehop/trace/resource.hpp"
#include "tracehop/trace/tracer.hpp"

namespace tracehop::otlp {

namespace {

using detail::JsonWriter;
using detail::key_values;

void otlp_span(JsonWriter& w, const trace::SpanData& s) {
  w.raw("{").key("traceId").hex(s.context.trace_id()).key("spanId").hex(s.context.span_id());
  if (!s.context.trace_state().empty()) w.key("traceState").string(s.context.trace_state().to_header());
  if (s.parent_span_id.valid()) w.key("parentSpanId").hex(s.parent_span_id);
  w.key("flags").number(detail::span_flags(s.context.trace_flags(), s.parent_remote));
  w.key("name").string(s.name);
  w.key("kind").number(detail::span_kind(s.kind));
  w.key("startTimeUnixNano").quoted(detail::unix_nanos(s.start_time));
  w.key("endTimeUnixNano").quoted(detail::unix_nanos(s.end_time));
  key_values(w.key("attributes"), s.attributes);
  if (s.dropped_attributes) w.key("droppedAttributesCount").number(s.dropped_attributes);
  w.key("events").array(s.events, [&](const trace::Event& e) {
    w.raw("{").key("timeUnixNano").quoted(detail::unix_nanos(e.time)).key("name").string(e.name);
    key_values(w.key("attributes"), e.attributes);
    if (e.dropped_attributes) w.key("droppedAttributesCount").number(e.dropped_attributes);
    w.raw("}");
  });
  if (s.dropped_events) w.key("droppedEventsCount").number(s.dropped_events);
  w.key("links").array(s.links, [&](const trace::Link& l) {
    w.raw("{").key("traceId").hex(l.context.trace_id()).key("spanId").hex(l.context.span_id());
    key_values(w.key("attributes"), l.attributes);
    w.key("flags").number(detail::span_flags(l.context.trace_flags(), l.context.remote()));
    if (!l.context.trace_state().empty()) w.key("traceState").string(l.context.trace_state().to_header());
    if (l.dropped_attributes) w.key("droppedAttributesCount").number(l.dropped_attributes);
    w.raw("}");
  });
  if (s.dropped_links) w.key("droppedLinksCount").number(s.dropped_links);
  w.key("status").raw("{");
  if (s.status.code != trace::StatusCode::Unset) w.key("code").number(detail::status_code(s.status.code));
  if (!s.status.description.empty()) w.key("message").string(s.status.description);
  w.raw("}}");
}

}  // namespace

std::string to_otlp_json(std::span<const trace::SpanDataPtr> spans) {
  std::string out;
  out.reserve(256 + 1024 * spans.size());  // enough for most spans: no growth, no fill
  JsonWriter w(out);
  w.raw("{").key("resourceSpans").array(detail::group_by_resource_and_scope(spans), [&](const detail::ResourceGroup& group) {
    w.raw("{");
    detail::resource_json(w, group.resource);
    w.key("scopeSpans").array(group.scopes, [&](const detail::ScopeGroup& sg) {
      w.raw("{");
      detail::scope_json(w, sg.scope);
      w.key("spans").array(sg.spans, [&](const trace::SpanData* sp) { otlp_span(w, *sp); });
      if (sg.scope && !sg.scope->schema_url.empty()) w.key("schemaUrl").string(sg.scope->schema_url);
      w.raw("}");
    });
    if (group.resource && !group.resource->schema_url().empty()) w.key("schemaUrl").string(group.resource->schema_url());
    w.raw("}");
  });
  w.raw("}");
  w.finish();
  return out;
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
