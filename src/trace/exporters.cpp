#include <algorithm>
#include <boost/json.hpp>
#include <ctime>
#include <iostream>
#include <sstream>
#include <system_error>

#include "tracehop/trace/exporter.hpp"
#include "tracehop/trace/log.hpp"
#include "tracehop/trace/resource.hpp"
#include "tracehop/trace/tracer.hpp"

namespace json = boost::json;

namespace tracehop::trace {

namespace {

// --- shared helpers ---

std::string iso8601(TimePoint t) {
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
  const std::time_t secs = static_cast<std::time_t>(ns / 1'000'000'000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  const auto n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(buf + n, sizeof buf - n, ".%06lldZ",
                static_cast<long long>((ns % 1'000'000'000) / 1000));
  return buf;
}

std::string unix_nanos(TimePoint t) {
  return std::to_string(
      std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count());
}

json::value plain_value(const AttributeValue& v) {
  return std::visit(
      [](const auto& x) -> json::value {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, bool> || std::is_same_v<T, std::int64_t> ||
                      std::is_same_v<T, double>) {
          return json::value(x);
        } else if constexpr (std::is_same_v<T, std::string>) {
          return json::value(json::string_view(x));
        } else {
          json::array a;
          for (const auto& e : x) {
            if constexpr (std::is_same_v<typename T::value_type, std::string>)
              a.emplace_back(json::string_view(e));
            else
              a.emplace_back(static_cast<typename T::value_type>(e));
          }
          return a;
        }
      },
      v.variant());
}

json::object plain_attributes(const Attributes& attrs) {
  json::object o;
  for (const auto& kv : attrs) o[kv.key.view()] = plain_value(kv.value);
  return o;
}

void pretty(std::ostream& os, const json::value& v, int indent) {
  const std::string pad(static_cast<std::size_t>(indent + 4), ' '), end_pad(static_cast<std::size_t>(indent), ' ');
  switch (v.kind()) {
    case json::kind::object: {
      const auto& o = v.get_object();
      if (o.empty()) {
        os << "{}";
        return;
      }
      os << "{\n";
      bool first = true;
      for (const auto& [k, x] : o) {
        if (!first) os << ",\n";
        first = false;
        os << pad << json::serialize(json::string(k)) << ": ";
        pretty(os, x, indent + 4);
      }
      os << '\n' << end_pad << '}';
      return;
    }
    case json::kind::array: {
      const auto& a = v.get_array();
      if (a.empty()) {
        os << "[]";
        return;
      }
      os << "[\n";
      bool first = true;
      for (const auto& x : a) {
        if (!first) os << ",\n";
        first = false;
        os << pad;
        pretty(os, x, indent + 4);
      }
      os << '\n' << end_pad << ']';
      return;
    }
    default:
      os << json::serialize(v);
  }
}

// --- OTLP/JSON ---

json::object any_value(const AttributeValue& v) {
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
            values.emplace_back(any_value(AttributeValue(static_cast<typename T::value_type>(e))));
          return {{"arrayValue", json::object{{"values", std::move(values)}}}};
        }
      },
      v.variant());
}

json::array key_values(const Attributes& attrs) {
  json::array a;
  a.reserve(attrs.size());
  for (const auto& kv : attrs)
    a.emplace_back(json::object{{"key", kv.key.view()}, {"value", any_value(kv.value)}});
  return a;
}

int otlp_kind(SpanKind k) { return static_cast<int>(k) + 1; }  // 0 is UNSPECIFIED
int otlp_status(StatusCode c) { return static_cast<int>(c); }  // UNSET 0, OK 1, ERROR 2

// Span.flags: bits 0-7 the W3C trace flags; bit 8 says bit 9 is known; bit 9: parent is remote.
std::uint32_t otlp_flags(TraceFlags f, bool remote) {
  return f.bits() | 0x100u | (remote ? 0x200u : 0u);
}

json::object otlp_span(const SpanData& s) {
  json::object o;
  o["traceId"] = s.context.trace_id().to_hex();
  o["spanId"] = s.context.span_id().to_hex();
  if (!s.context.trace_state().empty()) o["traceState"] = s.context.trace_state().to_header();
  if (s.parent_span_id.valid()) o["parentSpanId"] = s.parent_span_id.to_hex();
  o["flags"] = otlp_flags(s.context.trace_flags(), s.parent_remote);
  o["name"] = s.name;
  o["kind"] = otlp_kind(s.kind);
  o["startTimeUnixNano"] = unix_nanos(s.start_time);
  o["endTimeUnixNano"] = unix_nanos(s.end_time);
  o["attributes"] = key_values(s.attributes);
  if (s.dropped_attributes) o["droppedAttributesCount"] = s.dropped_attributes;
  json::array events;
  for (const auto& e : s.events) {
    json::object eo{{"timeUnixNano", unix_nanos(e.time)}, {"name", e.name},
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
                    {"flags", otlp_flags(l.context.trace_flags(), l.context.remote())}};
    if (!l.context.trace_state().empty()) lo["traceState"] = l.context.trace_state().to_header();
    if (l.dropped_attributes) lo["droppedAttributesCount"] = l.dropped_attributes;
    links.emplace_back(std::move(lo));
  }
  o["links"] = std::move(links);
  if (s.dropped_links) o["droppedLinksCount"] = s.dropped_links;
  json::object status;
  if (s.status.code != StatusCode::Unset) status["code"] = otlp_status(s.status.code);
  if (!s.status.description.empty()) status["message"] = s.status.description;
  o["status"] = std::move(status);
  return o;
}

}  // namespace

std::string to_console_json(const SpanData& s) {
  json::object o;
  o["name"] = s.name;
  o["context"] = json::object{{"trace_id", s.context.trace_id().to_hex()},
                              {"span_id", s.context.span_id().to_hex()},
                              {"trace_state", s.context.trace_state().to_header()}};
  o["kind"] = "SpanKind." + std::string(to_string(s.kind));
  o["parent_id"] = s.parent_span_id.valid() ? json::value(s.parent_span_id.to_hex()) : nullptr;
  o["start_time"] = iso8601(s.start_time);
  o["end_time"] = iso8601(s.end_time);
  json::object status{{"status_code", to_string(s.status.code)}};
  if (!s.status.description.empty()) status["description"] = s.status.description;
  o["status"] = std::move(status);
  o["attributes"] = plain_attributes(s.attributes);
  json::array events;
  for (const auto& e : s.events)
    events.emplace_back(json::object{{"name", e.name},
                                     {"timestamp", iso8601(e.time)},
                                     {"attributes", plain_attributes(e.attributes)}});
  o["events"] = std::move(events);
  json::array links;
  for (const auto& l : s.links)
    links.emplace_back(json::object{
        {"context", json::object{{"trace_id", l.context.trace_id().to_hex()},
                                 {"span_id", l.context.span_id().to_hex()},
                                 {"trace_state", l.context.trace_state().to_header()}}},
        {"attributes", plain_attributes(l.attributes)}});
  o["links"] = std::move(links);
  o["resource"] = json::object{
      {"attributes", s.resource ? plain_attributes(s.resource->attributes()) : json::object{}},
      {"schema_url", s.resource ? s.resource->schema_url() : std::string()}};
  std::ostringstream os;
  pretty(os, o, 0);
  return os.str();
}

std::vector<OtlpResourceGroup> group_for_otlp(std::span<const SpanDataPtr> spans) {
  // A batch holds few resources and scopes: linear searches beat any map here.
  std::vector<OtlpResourceGroup> groups;
  for (const auto& sp : spans) {
    auto r = std::find_if(groups.begin(), groups.end(), [&](const auto& g) { return g.resource == sp->resource.get(); });
    if (r == groups.end()) r = groups.insert(groups.end(), OtlpResourceGroup{sp->resource.get(), {}});
    auto s = std::find_if(r->scopes.begin(), r->scopes.end(), [&](const auto& g) { return g.scope == sp->scope.get(); });
    if (s == r->scopes.end()) s = r->scopes.insert(r->scopes.end(), OtlpScopeGroup{sp->scope.get(), {}});
    s->spans.push_back(sp.get());
  }
  return groups;
}

std::string to_otlp_json(std::span<const SpanDataPtr> spans) {
  json::array resource_spans;
  for (const auto& group : group_for_otlp(spans)) {
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

// --- ConsoleSpanExporter ---

ConsoleSpanExporter::ConsoleSpanExporter() : out_(&std::cout) {}
ConsoleSpanExporter::ConsoleSpanExporter(std::ostream& out) : out_(&out) {}

ExportResult ConsoleSpanExporter::export_spans(std::span<const SpanDataPtr> spans) noexcept {
  if (shut_down_) return ExportResult::Failure;
  try {
    for (const auto& s : spans) *out_ << to_console_json(*s) << '\n';
    out_->flush();
    return *out_ ? ExportResult::Success : ExportResult::Failure;
  } catch (...) {
    return ExportResult::Failure;
  }
}

bool ConsoleSpanExporter::shutdown(std::chrono::milliseconds) noexcept {
  shut_down_ = true;
  return true;
}

// --- InMemorySpanExporter ---

ExportResult InMemorySpanExporter::export_spans(std::span<const SpanDataPtr> spans) noexcept {
  std::lock_guard lk(mu_);
  if (shut_down_) return ExportResult::Failure;
  ++calls_;
  spans_.insert(spans_.end(), spans.begin(), spans.end());
  return ExportResult::Success;
}

bool InMemorySpanExporter::shutdown(std::chrono::milliseconds) noexcept {
  std::lock_guard lk(mu_);
  shut_down_ = true;
  return true;
}

std::vector<SpanDataPtr> InMemorySpanExporter::finished_spans() const {
  std::lock_guard lk(mu_);
  return spans_;
}

void InMemorySpanExporter::clear() {
  std::lock_guard lk(mu_);
  spans_.clear();
}

std::size_t InMemorySpanExporter::export_calls() const {
  std::lock_guard lk(mu_);
  return calls_;
}

// --- OtlpJsonFileExporter ---

OtlpJsonFileExporter::OtlpJsonFileExporter(const std::string& path) : out_(&std::cout) {
  if (path != "-") {
    file_.open(path, std::ios::out | std::ios::app);
    if (!file_)
      throw std::system_error(errno, std::generic_category(), "cannot open span file '" + path + "'");
    out_ = &file_;
  }
}

OtlpJsonFileExporter::OtlpJsonFileExporter(std::ostream& out) : out_(&out) {}

ExportResult OtlpJsonFileExporter::export_spans(std::span<const SpanDataPtr> spans) noexcept {
  if (shut_down_) return ExportResult::Failure;
  if (spans.empty()) return ExportResult::Success;
  try {
    *out_ << to_otlp_json(spans) << '\n';
    out_->flush();
    if (!*out_) {
      log_error("span file: write failed; " + std::to_string(spans.size()) + " spans lost");
      return ExportResult::Failure;
    }
    return ExportResult::Success;
  } catch (...) {
    return ExportResult::Failure;
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

}  // namespace tracehop::trace
