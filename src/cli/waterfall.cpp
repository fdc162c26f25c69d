#include "waterfall.hpp"

#include <algorithm>
#include <cstdio>
#include <map>
#include <ostream>
#include <string>

#include "tracehop/trace/resource.hpp"

namespace tracehop::cli {

namespace {

using trace::SpanDataPtr;

std::string fmt_ms(std::chrono::nanoseconds d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%8.2f ms", static_cast<double>(d.count()) / 1e6);
  return buf;
}

// Pads or cuts `s` to exactly `width` display columns (ASCII names; UTF-8 counted by lead bytes).
std::string fit(const std::string& s, int width) {
  std::string out;
  int cols = 0;
  for (char c : s) {
    const bool lead = (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    if (lead && cols == width) break;
    out += c;
    cols += lead;
  }
  if (cols == width && out.size() < s.size()) out.back() = '~';
  out.append(static_cast<std::size_t>(width - cols), ' ');
  return out;
}

struct TraceView {
  std::vector<SpanDataPtr> spans;
  trace::TimePoint start = trace::TimePoint::max(), end = trace::TimePoint::min();
};

void print_subtree(std::ostream& out, const TraceView& t, const SpanDataPtr& span, int depth,
                   const std::multimap<std::string, SpanDataPtr>& children,
                   const WaterfallOptions& o) {
  const double total = static_cast<double>(std::max<std::int64_t>((t.end - t.start).count(), 1));
  const auto col = [&](trace::TimePoint p) {
    return static_cast<int>(static_cast<double>((p - t.start).count()) / total * o.bar_width);
  };
  const int from = std::clamp(col(span->start_time), 0, o.bar_width - 1);
  const int to = std::clamp(std::max(col(span->end_time), from + 1), from + 1, o.bar_width);
  std::string bar;
  for (int i = 0; i < o.bar_width; ++i) bar += (i >= from && i < to) ? "\u2588" : " ";

  std::string status;
  if (span->status.code == trace::StatusCode::Error)
    status = "ERROR" + (span->status.description.empty() ? "" : ": " + span->status.description);
  else if (span->status.code == trace::StatusCode::Ok)
    status = "OK";
  std::string detail;
  for (const char* key : {"http.response.status_code", "http.status_code"}) {
    if (const auto* v = trace::find_attribute(span->attributes, key)) {
      detail = " " + v->to_string();
      break;
    }
  }
  std::string label = std::string(static_cast<std::size_t>(2 * depth), ' ') + span->name;
  if (o.show_service && span->resource)
    if (const auto* service = span->resource->get("service.name")) label += " [" + service->to_string() + "]";
  if (const auto* wait = trace::find_attribute(span->attributes, "tracehop.connection.wait_ms")) {
    const auto* ms = wait->get_if<double>();
    if (ms && *ms >= 0.1) {
      char buf[48];
      std::snprintf(buf, sizeof buf, "  (pool wait %.2f ms)", *ms);
      detail += buf;
    }
  }
  out << "  " << fit(label, o.name_width)
      << ' ' << fit(std::string(trace::to_string(span->kind)), 8) << " |" << bar << "| "
      << fmt_ms(span->duration()) << detail << (status.empty() ? "" : "  " + status) << '\n';

  auto [b, e] = children.equal_range(span->context.span_id().to_hex());
  std::vector<SpanDataPtr> kids;
  for (auto it = b; it != e; ++it) kids.push_back(it->second);
  std::sort(kids.begin(), kids.end(), [](const auto& x, const auto& y) { return x->start_time < y->start_time; });
  for (const auto& k : kids) print_subtree(out, t, k, depth + 1, children, o);
}

}  // namespace

void print_waterfall(std::ostream& out, const std::vector<SpanDataPtr>& spans,
                     const WaterfallOptions& o) {
  std::map<std::string, TraceView> traces;
  std::vector<std::string> order;
  for (const auto& s : spans) {
    auto id = s->context.trace_id().to_hex();
    auto [it, fresh] = traces.try_emplace(id);
    if (fresh) order.push_back(id);
    auto& t = it->second;
    t.spans.push_back(s);
    t.start = std::min(t.start, s->start_time);
    t.end = std::max(t.end, s->end_time);
  }
  std::sort(order.begin(), order.end(),
            [&](const auto& a, const auto& b) { return traces[a].start < traces[b].start; });

  for (const auto& id : order) {
    const auto& t = traces[id];
    std::multimap<std::string, SpanDataPtr> children;
    std::map<std::string, bool> present;
    for (const auto& s : t.spans) present[s->context.span_id().to_hex()] = true;
    std::vector<SpanDataPtr> roots;
    for (const auto& s : t.spans) {
      const auto parent = s->parent_span_id.to_hex();
      if (s->parent_span_id.valid() && present.count(parent))
        children.emplace(parent, s);
      else
        roots.push_back(s);
    }
    std::sort(roots.begin(), roots.end(), [](const auto& x, const auto& y) { return x->start_time < y->start_time; });
    out << "trace " << id << "  (" << t.spans.size() << (t.spans.size() == 1 ? " span, " : " spans, ")
        << fmt_ms(t.end - t.start).substr(0) << ")\n";
    for (const auto& r : roots) print_subtree(out, t, r, 0, children, o);
    out << '\n';
  }
}

}  // namespace tracehop::cli
