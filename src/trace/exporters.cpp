#include <algorithm>
#include <boost/json.hpp>
#include <ctime>
#include <iostream>
#include <sstream>
#include <system_error>

#include "tracehop/trace/exporter.hpp"
#include "tracehop/log.hpp"
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

}  // namespace tracehop::trace
