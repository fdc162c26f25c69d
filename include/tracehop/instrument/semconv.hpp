#pragma once
// HTTP semantic conventions as the instrumentation applies them: which attribute names a span
// gets (OTEL_SEMCONV_STABILITY_OPT_IN), which methods are known, and how URLs are redacted.

#include <string>
#include <string_view>
#include <vector>

namespace tracehop::instrument {

/// OTEL_SEMCONV_STABILITY_OPT_IN, as OpenTelemetry's Python instrumentations read it: `http`
/// gives the stable names, `http/dup` both the old and the stable ones (`http/dup` wins when
/// both are listed), anything else the old names.
enum class SemconvMode { Old, Stable, Duplicate };
SemconvMode semconv_mode_from_env();
inline bool reports_old(SemconvMode m) noexcept { return m != SemconvMode::Stable; }
inline bool reports_stable(SemconvMode m) noexcept { return m != SemconvMode::Old; }

/// Whether `method` is one of the known methods: RFC 9110's and PATCH, or the comma-separated
/// list in OTEL_INSTRUMENTATION_HTTP_KNOWN_METHODS (read once). Case-sensitive, as methods are.
bool is_known_method(std::string_view method);

/// The query keys whose values the semantic conventions redact by default: AWSAccessKeyId,
/// Signature, sig, X-Goog-Signature, X-Amz-Signature, X-Amz-Credential, X-Amz-Security-Token.
const std::vector<std::string>& default_sensitive_query_keys();

/// `url` for a span: user and password become `REDACTED:REDACTED`, the value of each query
/// parameter named in `sensitive_keys` becomes `REDACTED`, the fragment goes. A string that
/// does not parse as a URL comes back unchanged.
std::string redact_url(std::string url,
                       const std::vector<std::string>& sensitive_keys = default_sensitive_query_keys());

}  // namespace tracehop::instrument
