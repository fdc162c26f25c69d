// The Prometheus text formats (0.0.4 and OpenMetrics 1.0.0) of a collection.

#include "tracehop/prometheus/exposition.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>

#include "common/text.hpp"
#include "tracehop/log.hpp"

namespace tracehop::prometheus {

namespace {

bool name_char(char c, bool colon) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || (colon && c == ':');
}

// Invalid characters to `_`, runs of `_` to one, a leading digit behind `_`.
std::string sanitise(std::string_view in, bool colon) {
  std::string out;
  out.reserve(in.size() + 1);
  for (char c : in) {
    const char d = name_char(c, colon) ? c : '_';
    if (d == '_' && !out.empty() && out.back() == '_') continue;
    out += d;
  }
  if (!out.empty() && out[0] >= '0' && out[0] <= '9') out.insert(out.begin(), '_');
  return out;
}

// UCUM units to the words Prometheus names end with.
std::string_view unit_word(std::string_view u, bool singular) {
  static const std::map<std::string_view, std::pair<std::string_view, std::string_view>> words{
      {"d", {"days", "day"}},           {"h", {"hours", "hour"}},           {"min", {"minutes", "minute"}},
      {"s", {"seconds", "second"}},     {"ms", {"milliseconds", "millisecond"}}, {"us", {"microseconds", "microsecond"}},
      {"ns", {"nanoseconds", "nanosecond"}}, {"By", {"bytes", "byte"}},    {"KiBy", {"kibibytes", "kibibyte"}},
      {"MiBy", {"mebibytes", "mebibyte"}}, {"GiBy", {"gibibytes", "gibibyte"}}, {"TiBy", {"tibibytes", "tibibyte"}},
      {"KBy", {"kilobytes", "kilobyte"}}, {"MBy", {"megabytes", "megabyte"}}, {"GBy", {"gigabytes", "gigabyte"}},
      {"TBy", {"terabytes", "terabyte"}}, {"m", {"meters", "meter"}},     {"V", {"volts", "volt"}},
      {"A", {"amperes", "ampere"}},       {"J", {"joules", "joule"}},       {"W", {"watts", "watt"}},
      {"g", {"grams", "gram"}},           {"Cel", {"celsius", "celsius"}},  {"Hz", {"hertz", "hertz"}},
      {"%", {"percent", "percent"}},      {"w", {"weeks", "week"}},         {"mo", {"months", "month"}},
      {"y", {"years", "year"}}};
  const auto it = words.find(u);
  if (it == words.end()) return u;
  return singular ? it->second.second : it->second.first;
}

// The name's unit suffix: annotations (`{request}`) dropped, `a/b` as `a_per_b`, `1` as `ratio`
// for a gauge and nothing otherwise.
std::string unit_suffix(const metrics::MetricData& m) {
  std::string unit;
  int depth = 0;
  for (char c : m.unit) {  // without the {annotations}
    if (c == '{') ++depth;
    else if (c == '}') depth = std::max(depth - 1, 0);
    else if (depth == 0) unit += c;
  }
  if (unit.empty()) return {};
  if (unit == "1") return m.type == metrics::MetricType::Gauge ? "ratio" : "";
  const auto slash = unit.find('/');
  if (slash == std::string::npos) return sanitise(unit_word(unit, false), false);
  const std::string left(unit_word(unit.substr(0, slash), false));
  const std::string right(unit_word(unit.substr(slash + 1), true));
  return sanitise(left.empty() ? "per_" + right : left + "_per_" + right, false);
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

bool is_counter(const metrics::MetricData& m) { return m.type == metrics::MetricType::Sum && m.monotonic; }

void number(std::string& out, double v) {
  if (std::isnan(v)) {
    out += "NaN";
  } else if (std::isinf(v)) {
    out += v > 0 ? "+Inf" : "-Inf";
  } else {
    char buffer[32];
    out.append(buffer, std::to_chars(buffer, buffer + sizeof buffer, v).ptr);
  }
}
void number(std::string& out, std::uint64_t v) { out += std::to_string(v); }
void number(std::string& out, const std::variant<std::int64_t, double>& v) {
  if (const auto* i = std::get_if<std::int64_t>(&v))
    out += std::to_string(*i);
  else
    number(out, std::get<double>(v));
}

void escaped(std::string& out, std::string_view v, bool quote) {
  for (char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else if (quote && c == '"') out += "\\\"";
    else out += c;
  }
}

using Labels = std::vector<std::pair<std::string, std::string>>;

// A point's labels: its attributes (sanitised keys; values of keys that became one joined with
// `;` in key order), then the scope's.
Labels labels_of(const trace::Attributes& attributes, const trace::InstrumentationScope& scope) {
  std::vector<std::pair<std::string, std::string>> raw;  // (original key, value)
  for (const auto& kv : attributes) raw.emplace_back(std::string(kv.key.view()), kv.value.to_string());
  std::sort(raw.begin(), raw.end());
  Labels labels;
  for (const auto& [key, value] : raw) {
    std::string name = label_name(key);
    auto same = std::find_if(labels.begin(), labels.end(), [&](const auto& l) { return l.first == name; });
    if (same == labels.end())
      labels.emplace_back(std::move(name), value);
    else
      same->second += ";" + value;
  }
  labels.emplace_back("otel_scope_name", scope.name);
  if (!scope.version.empty()) labels.emplace_back("otel_scope_version", scope.version);
  return labels;
}

void sample(std::string& out, std::string_view name, const Labels& labels, const std::pair<std::string, std::string>* extra) {
  out += name;
  if (labels.empty() && !extra) return;
  out += '{';
  bool first = true;
  auto one = [&](const std::pair<std::string, std::string>& l) {
    if (!first) out += ',';
    first = false;
    out += l.first;
    out += "=\"";
    escaped(out, l.second, true);
    out += '"';
  };
  for (const auto& l : labels) one(l);
  if (extra) one(*extra);
  out += '}';
}

// ` # {trace_id="...",span_id="..."} value timestamp`: OpenMetrics only, an exemplar with ids.
void exemplar(std::string& out, const metrics::Exemplar* e) {
  if (!e || !e->trace_id.valid()) return;
  out += " # {trace_id=\"" + e->trace_id.to_hex() + "\",span_id=\"" + e->span_id.to_hex() + "\"} ";
  number(out, e->value);
  out += ' ';
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(e->time.time_since_epoch()).count();
  out += std::to_string(ns / 1000000000) + "." + std::to_string(1000000000 + ns % 1000000000).substr(1, 3);
}

struct Family {
  std::string name;  // without _total
  const metrics::MetricData* first = nullptr;
  std::string samples;
};

void write_points(Family& f, const metrics::MetricData& m, const trace::InstrumentationScope& scope, Format format) {
  std::string& out = f.samples;
  const bool om = format == Format::OpenMetrics;
  if (m.type == metrics::MetricType::Histogram) {
    for (const auto& p : m.histograms) {
      const Labels labels = labels_of(p.attributes, scope);
      std::uint64_t cumulative = 0;
      for (std::size_t i = 0; i < p.bucket_counts.size(); ++i) {
        cumulative += p.bucket_counts[i];
        std::string le;
        number(le, i < p.boundaries.size() ? p.boundaries[i] : HUGE_VAL);
        const std::pair<std::string, std::string> bound{"le", le};
        sample(out, f.name + "_bucket", labels, &bound);
        out += ' ';
        number(out, cumulative);
        if (om) {  // the bucket's exemplar: one whose value falls in it
          const double low = i == 0 ? -HUGE_VAL : p.boundaries[i - 1];
          const double high = i < p.boundaries.size() ? p.boundaries[i] : HUGE_VAL;
          const metrics::Exemplar* in = nullptr;
          for (const auto& e : p.exemplars) {
            const double v = std::visit([](auto x) { return static_cast<double>(x); }, e.value);
            if (v > low && v <= high) in = &e;
          }
          exemplar(out, in);
        }
        out += '\n';
      }
      sample(out, f.name + "_sum", labels, nullptr);
      out += ' ';
      number(out, p.sum);
      out += '\n';
      sample(out, f.name + "_count", labels, nullptr);
      out += ' ';
      number(out, p.count);
      out += '\n';
    }
    return;
  }
  const bool counter = is_counter(m);
  for (const auto& p : m.numbers) {
    sample(out, counter ? f.name + "_total" : f.name, labels_of(p.attributes, scope), nullptr);
    out += ' ';
    number(out, p.value);
    if (om && counter && !p.exemplars.empty()) exemplar(out, &p.exemplars.back());
    out += '\n';
  }
}

}  // namespace

std::string label_name(std::string_view key) { return sanitise(key, false); }

std::string metric_name(const metrics::MetricData& m) {
  std::string name = sanitise(m.name, true);
  const std::string suffix = unit_suffix(m);
  if (!suffix.empty() && !ends_with(name, "_" + suffix)) name += "_" + suffix;
  return name;
}

Format negotiate(std::string_view accept) noexcept {
  return accept.find("application/openmetrics-text") != std::string_view::npos ? Format::OpenMetrics : Format::Text;
}

std::string_view content_type(Format format) noexcept {
  return format == Format::OpenMetrics ? "application/openmetrics-text; version=1.0.0; charset=utf-8"
                                       : "text/plain; version=0.0.4; charset=utf-8";
}

std::string to_exposition(const metrics::ResourceMetrics& metrics, Format format) {
  const bool om = format == Format::OpenMetrics;
  std::vector<Family> families;  // in the order first seen; a name's points from every scope together
  for (const auto& scope : metrics.scopes)
    for (const auto& m : scope.metrics) {
      if (m.type != metrics::MetricType::Gauge && m.temporality != metrics::Temporality::Cumulative) continue;
      std::string name = metric_name(m);
      if (is_counter(m) && ends_with(name, "_total")) name.resize(name.size() - 6);
      auto f = std::find_if(families.begin(), families.end(), [&](const Family& x) { return x.name == name; });
      if (f == families.end()) {
        families.push_back({name, &m, {}});
        f = families.end() - 1;
      } else if (f->first->type != m.type || is_counter(*f->first) != is_counter(m)) {
        log_warn("prometheus: metric '" + m.name + "' is another type than the first metric named " + name +
                 ": left out of the exposition");
        continue;
      }
      write_points(*f, m, scope.scope, format);
    }

  std::string out;
  // The resource as target_info (an info metric in OpenMetrics, a gauge in the text format).
  out += om ? "# TYPE target info\n" : "# HELP target_info Target metadata\n# TYPE target_info gauge\n";
  Labels resource;
  for (const auto& kv : metrics.resource.attributes()) resource.emplace_back(label_name(kv.key.view()), kv.value.to_string());
  sample(out, "target_info", resource, nullptr);
  out += " 1\n";
  for (const auto& f : families) {
    const auto& m = *f.first;
    const char* type = m.type == metrics::MetricType::Histogram ? "histogram" : is_counter(m) ? "counter" : "gauge";
    const std::string family = is_counter(m) && !om ? f.name + "_total" : f.name;
    if (!m.description.empty()) {
      out += "# HELP " + family + ' ';
      escaped(out, m.description, false);
      out += '\n';
    }
    out += "# TYPE " + family + ' ' + type + '\n';
    if (om) {
      const std::string unit = unit_suffix(m);
      if (!unit.empty() && ends_with(f.name, unit)) out += "# UNIT " + f.name + ' ' + unit + '\n';
    }
    out += f.samples;
  }
  if (om) out += "# EOF\n";
  return out;
}

}  // namespace tracehop::prometheus
