#include "proto.hpp"

#include "model.hpp"

#include "tracehop/otlp/encoding.hpp"
#include "tracehop/trace/resource.hpp"
#include "tracehop/trace/tracer.hpp"

namespace tracehop::otlp {

namespace detail {

namespace {

using trace::AttributeValue;
namespace common = pb::common::v1;
namespace tr = pb::trace::v1;

template <std::size_t N>
std::string id_bytes(const std::array<std::uint8_t, N>& bytes) {
  return std::string(reinterpret_cast<const char*>(bytes.data()), N);
}

void fill_value(common::AnyValue& out, const AttributeValue& v) {
  std::visit(
      [&](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, bool>) {
          out.set_bool_value(x);
        } else if constexpr (std::is_same_v<T, std::int64_t>) {
          out.set_int_value(x);
        } else if constexpr (std::is_same_v<T, double>) {
          out.set_double_value(x);
        } else if constexpr (std::is_same_v<T, std::string>) {
          out.set_string_value(x);
        } else {
          auto* array = out.mutable_array_value();
          for (const auto& e : x) fill_value(*array->add_values(), AttributeValue(static_cast<typename T::value_type>(e)));
        }
      },
      v.variant());
}

template <class Repeated>
void fill_attributes(Repeated& out, const trace::Attributes& attributes) {
  out.Reserve(static_cast<int>(attributes.size()));
  for (const auto& kv : attributes) {
    auto* p = out.Add();
    p->set_key(std::string(kv.key.view()));
    fill_value(*p->mutable_value(), kv.value);
  }
}


void fill_span(tr::Span& out, const trace::SpanData& s) {
  out.set_trace_id(id_bytes(s.context.trace_id().bytes()));
  out.set_span_id(id_bytes(s.context.span_id().bytes()));
  if (!s.context.trace_state().empty()) out.set_trace_state(s.context.trace_state().to_header());
  if (s.parent_span_id.valid()) out.set_parent_span_id(id_bytes(s.parent_span_id.bytes()));
  out.set_flags(span_flags(s.context.trace_flags(), s.parent_remote));
  out.set_name(s.name);
  out.set_kind(static_cast<tr::Span::SpanKind>(span_kind(s.kind)));
  out.set_start_time_unix_nano(unix_nanos(s.start_time));
  out.set_end_time_unix_nano(unix_nanos(s.end_time));
  fill_attributes(*out.mutable_attributes(), s.attributes);
  out.set_dropped_attributes_count(s.dropped_attributes);
  for (const auto& e : s.events) {
    auto* event = out.add_events();
    event->set_time_unix_nano(unix_nanos(e.time));
    event->set_name(e.name);
    fill_attributes(*event->mutable_attributes(), e.attributes);
    event->set_dropped_attributes_count(e.dropped_attributes);
  }
  out.set_dropped_events_count(s.dropped_events);
  for (const auto& l : s.links) {
    auto* link = out.add_links();
    link->set_trace_id(id_bytes(l.context.trace_id().bytes()));
    link->set_span_id(id_bytes(l.context.span_id().bytes()));
    if (!l.context.trace_state().empty()) link->set_trace_state(l.context.trace_state().to_header());
    fill_attributes(*link->mutable_attributes(), l.attributes);
    link->set_dropped_attributes_count(l.dropped_attributes);
    link->set_flags(span_flags(l.context.trace_flags(), l.context.remote()));
  }
  out.set_dropped_links_count(s.dropped_links);
  auto* status = out.mutable_status();
  status->set_code(static_cast<tr::Status::StatusCode>(status_code(s.status.code)));
  if (!s.status.description.empty()) status->set_message(s.status.description);
}

}  // namespace

void fill_request(pb::collector::trace::v1::ExportTraceServiceRequest& request,
                  std::span<const trace::SpanDataPtr> spans) {
  for (const auto& group : group_by_resource_and_scope(spans)) {
    auto* rs = request.add_resource_spans();
    if (const auto* resource = group.resource) {
      fill_attributes(*rs->mutable_resource()->mutable_attributes(), resource->attributes());
      rs->set_schema_url(resource->schema_url());
    }
    for (const auto& [scope, members] : group.scopes) {
      auto* ss = rs->add_scope_spans();
      if (scope) {
        auto* out = ss->mutable_scope();
        out->set_name(scope->name);
        out->set_version(scope->version);
        fill_attributes(*out->mutable_attributes(), scope->attributes);
        ss->set_schema_url(scope->schema_url);
      }
      ss->mutable_spans()->Reserve(static_cast<int>(members.size()));
      for (const auto* sp : members) fill_span(*ss->add_spans(), *sp);
    }
  }
}

}  // namespace detail

std::string to_otlp_protobuf(std::span<const trace::SpanDataPtr> spans) {
  detail::pb::collector::trace::v1::ExportTraceServiceRequest request;
  detail::fill_request(request, spans);
  return request.SerializeAsString();
}

}  // namespace tracehop::otlp
