#pragma once
// Resource: the attributes that describe the entity producing telemetry.

#include <optional>
#include <string>
#include <string_view>

#include "tracehop/trace/attributes.hpp"

namespace tracehop::trace {

class Resource {
 public:
  Resource() = default;
  explicit Resource(Attributes attributes, std::string schema_url = {});

  const Attributes& attributes() const noexcept { return attributes_; }
  const std::string& schema_url() const noexcept { return schema_url_; }
  const AttributeValue* get(std::string_view key) const noexcept {
    return find_attribute(attributes_, key);
  }

  /// This resource updated by `updating`: its attributes win on equal keys. Schema URLs: the
  /// non-empty one if only one is set, the common one if equal; if both are set and differ the
  /// merge is a conflict and the result keeps this resource's schema URL (logged).
  Resource merge(const Resource& updating) const;

  /// telemetry.sdk.name, telemetry.sdk.language and telemetry.sdk.version.
  static Resource sdk();
  /// From OTEL_RESOURCE_ATTRIBUTES (`k=v,k2=v2`, values percent-decoded) and OTEL_SERVICE_NAME
  /// (which wins for service.name). A malformed OTEL_RESOURCE_ATTRIBUTES is logged and ignored
  /// as a whole.
  static Resource from_env();
  /// sdk() merged with `service.name=unknown_service:<process name>`, then from_env(), then
  /// `user` (the usual SDK default; what TracerProvider uses when given no resource).
  static Resource create(const Resource& user = {});

  /// Parses the OTEL_RESOURCE_ATTRIBUTES format; nullopt when malformed.
  static std::optional<Attributes> parse_attribute_list(std::string_view text);

 private:
  Attributes attributes_;
  std::string schema_url_;
};

}  // namespace tracehop::trace
