#include <charconv>
#include <optional>

#include "common/env.hpp"
#include "common/text.hpp"
#include "tracehop/otlp/exporter.hpp"
#include "tracehop/configure.hpp"
#include "tracehop/log.hpp"

namespace tracehop::otlp {

namespace {

using tracehop::detail::ascii_lower;
using tracehop::detail::percent_decode;
using tracehop::detail::trim;

std::string_view signal_name(Signal s) noexcept { return s == Signal::Metrics ? "METRICS" : "TRACES"; }

// OTEL_EXPORTER_OTLP_<SIGNAL>_<name>, else OTEL_EXPORTER_OTLP_<name> (trimmed; empty is unset);
// says which one it was.
std::optional<std::string> setting(Signal signal, std::string_view name, bool* signal_specific = nullptr) {
  if (auto v = tracehop::detail::env(
          ("OTEL_EXPORTER_OTLP_" + std::string(signal_name(signal)) + "_" + std::string(name)).c_str())) {
    if (signal_specific) *signal_specific = true;
    return v;
  }
  if (auto v = tracehop::detail::env(("OTEL_EXPORTER_OTLP_" + std::string(name)).c_str())) {
    if (signal_specific) *signal_specific = false;
    return v;
  }
  return std::nullopt;
}

// The W3C-baggage-like list of the specification: `key1=value1,key2=value2`, percent-decoded.
std::vector<std::pair<std::string, std::string>> parse_headers(std::string_view text) {
  std::vector<std::pair<std::string, std::string>> out;
  while (!text.empty()) {
    const auto comma = text.find(',');
    const std::string_view item = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
    const auto eq = item.find('=');
    const auto key = eq == std::string_view::npos ? std::nullopt : percent_decode(trim(item.substr(0, eq)));
    const auto value = eq == std::string_view::npos ? std::nullopt : percent_decode(trim(item.substr(eq + 1)));
    if (!key || key->empty() || !value) {
      if (!trim(item).empty())
        log_warn("OTEL_EXPORTER_OTLP_HEADERS: '" + std::string(item) + "' is not key=value; ignored");
      continue;
    }
    out.emplace_back(*key, *value);
  }
  return out;
}

}  // namespace

ExporterOptions ExporterOptions::from_env(Signal signal) {
  ExporterOptions o;
  o.signal = signal;
  auto setting = [signal](std::string_view name, bool* specific = nullptr) { return otlp::setting(signal, name, specific); };
  if (auto p = setting("PROTOCOL")) {
    const auto v = ascii_lower(*p);
    if (v == "grpc") o.protocol = Protocol::Grpc;
    else if (v == "http/protobuf") o.protocol = Protocol::HttpProtobuf;
    else if (v == "http/json") o.protocol = Protocol::HttpJson;
    else log_warn("OTEL_EXPORTER_OTLP_PROTOCOL: '" + *p + "' is not grpc, http/protobuf or http/json; using http/protobuf");
  }
  bool specific = false;
  if (auto e = setting("ENDPOINT", &specific)) {
    o.endpoint = *e;
    // A generic endpoint is the base URL of every signal: HTTP appends the signal's path.
    if (!specific && o.protocol != Protocol::Grpc)
      o.endpoint += std::string(o.endpoint.ends_with('/') ? "" : "/") + std::string(o.http_path().substr(1));
  }
  if (auto h = setting("HEADERS")) o.headers = parse_headers(*h);
  if (auto t = setting("TIMEOUT")) {
    long ms = 0;
    const std::string& v = *t;
    const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), ms);
    if (ec == std::errc{} && end == v.data() + v.size() && ms > 0)
      o.timeout = std::chrono::milliseconds(ms);
    else
      log_warn("OTEL_EXPORTER_OTLP_TIMEOUT: '" + *t + "' is not a positive number of milliseconds; using 10000");
  }
  if (auto c = setting("COMPRESSION")) {
    const auto v = ascii_lower(*c);
    if (v == "gzip") o.compression = Compression::Gzip;
    else if (v != "none") log_warn("OTEL_EXPORTER_OTLP_COMPRESSION: '" + *c + "' is not gzip or none; not compressing");
  }
  if (auto i = setting("INSECURE")) o.insecure = ascii_lower(*i) == "true";
  if (auto c = setting("CERTIFICATE")) o.certificate = *c;
  return o;
}

std::string ExporterOptions::resolved_endpoint() const {
  if (!endpoint.empty()) return endpoint;
  return protocol == Protocol::Grpc ? "http://localhost:4317" : "http://localhost:4318" + std::string(http_path());
}

std::string_view ExporterOptions::http_path() const noexcept {
  return signal == Signal::Metrics ? "/v1/metrics" : "/v1/traces";
}

void register_exporter() {
  static const bool once = [] {
    register_span_exporter("otlp", [] { return make_exporter(ExporterOptions::from_env()); });
    register_metric_exporter("otlp", [] { return make_metric_exporter(ExporterOptions::from_env(Signal::Metrics)); });
    return true;
  }();
  (void)once;
}

}  // namespace tracehop::otlp
