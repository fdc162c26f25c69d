#include "tracehop/trace/resource.hpp"

#include <fstream>

#include "internal.hpp"
#include "tracehop/log.hpp"

#ifndef TRACEHOP_VERSION
#define TRACEHOP_VERSION "0.0.0"
#endif

namespace tracehop::trace {

namespace {

// The process's short name (for unknown_service:<name>).
std::string process_name() {
  std::ifstream comm("/proc/self/comm");
  std::string name;
  if (comm && std::getline(comm, name) && !name.empty()) return name;
  return "tracehop";
}

}  // namespace

Resource::Resource(Attributes attributes, std::string schema_url)
    : schema_url_(std::move(schema_url)) {
  for (auto& kv : attributes) set_attribute(attributes_, std::move(kv.key), std::move(kv.value));
}

Resource Resource::merge(const Resource& updating) const {
  Resource out = *this;
  for (const auto& kv : updating.attributes_) set_attribute(out.attributes_, AttributeKey(kv.key), AttributeValue(kv.value));
  if (out.schema_url_.empty()) {
    out.schema_url_ = updating.schema_url_;
  } else if (!updating.schema_url_.empty() && updating.schema_url_ != schema_url_) {
    log_warn("resource merge: schema URLs differ ('" + schema_url_ + "' and '" +
             updating.schema_url_ + "'); keeping the first");
  }
  return out;
}

Resource Resource::sdk() {
  return Resource({{"telemetry.sdk.name", "tracehop"},
                   {"telemetry.sdk.language", "cpp"},
                   {"telemetry.sdk.version", TRACEHOP_VERSION}});
}

std::optional<Attributes> Resource::parse_attribute_list(std::string_view text) {
  Attributes out;
  while (!text.empty()) {
    const auto comma = text.find(',');
    const auto item = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
    if (detail::trim(item).empty()) continue;
    const auto eq = item.find('=');
    if (eq == std::string_view::npos) return std::nullopt;
    const auto key = detail::trim(item.substr(0, eq));
    auto value = detail::percent_decode(detail::trim(item.substr(eq + 1)));
    if (key.empty() || !value) return std::nullopt;
    set_attribute(out, AttributeKey(key), std::move(*value));
  }
  return out;
}

Resource Resource::from_env() {
  Attributes attrs;
  if (auto v = detail::env("OTEL_RESOURCE_ATTRIBUTES")) {
    if (auto parsed = parse_attribute_list(*v))
      attrs = std::move(*parsed);
    else
      log_warn("OTEL_RESOURCE_ATTRIBUTES is malformed (expected k=v pairs separated by ',', "
               "values percent-encoded); ignored");
  }
  if (auto name = detail::env("OTEL_SERVICE_NAME")) set_attribute(attrs, "service.name", std::move(*name));
  return Resource(std::move(attrs));
}

Resource Resource::create(const Resource& user) {
  return sdk()
      .merge(Resource({{"service.name", "unknown_service:" + process_name()}}))
      .merge(from_env())
      .merge(user);
}

}  // namespace tracehop::trace
