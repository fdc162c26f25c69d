#include "tracehop/instrument/semconv.hpp"

#include <algorithm>
#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>

#include "common/env.hpp"
#include "common/text.hpp"
#include "http_metrics.hpp"

namespace tracehop::instrument {

using tracehop::detail::env_list;

SemconvMode semconv_mode_from_env() {
  const auto items = env_list("OTEL_SEMCONV_STABILITY_OPT_IN");
  auto listed = [&](std::string_view x) { return std::find(items.begin(), items.end(), x) != items.end(); };
  if (listed("http/dup")) return SemconvMode::Duplicate;
  if (listed("http")) return SemconvMode::Stable;
  return SemconvMode::Old;
}

bool is_known_method(std::string_view method) {
  // OTEL_INSTRUMENTATION_HTTP_KNOWN_METHODS replaces the list; empty: RFC 9110's and PATCH,
  // which method_value() knows (and gives as literals, "_OTHER" for any other).
  static const std::vector<std::string> listed = env_list("OTEL_INSTRUMENTATION_HTTP_KNOWN_METHODS");
  if (!listed.empty()) return std::find(listed.begin(), listed.end(), method) != listed.end();
  return detail::is_known(detail::method_value(method));
}

const std::vector<std::string>& default_sensitive_query_keys() {
  static const std::vector<std::string> keys{"AWSAccessKeyId",   "Signature",        "sig",
                                             "X-Goog-Signature", "X-Amz-Signature",  "X-Amz-Credential",
                                             "X-Amz-Security-Token"};
  return keys;
}

std::string redact_url(std::string text, const std::vector<std::string>& sensitive_keys) {
  // No userinfo, query or fragment: nothing to redact (the usual case, without parsing).
  if (!tracehop::detail::swar::has_any_of(text, '@', '?', '#')) return text;
  auto parsed = boost::urls::parse_uri_reference(text);
  if (!parsed) return text;
  const bool credentials = parsed->has_userinfo();
  bool sensitive = false;
  if (parsed->has_query())
    for (const auto& p : parsed->params())
      if (std::find(sensitive_keys.begin(), sensitive_keys.end(), p.key) != sensitive_keys.end()) sensitive = true;
  if (!credentials && !sensitive && !parsed->has_fragment()) return text;

  boost::urls::url u(*parsed);
  if (credentials) u.set_userinfo("REDACTED:REDACTED");
  if (sensitive) {
    auto params = u.params();
    for (auto it = params.begin(); it != params.end(); ++it) {
      const auto key = (*it).key;
      if (std::find(sensitive_keys.begin(), sensitive_keys.end(), key) != sensitive_keys.end())
        it = params.replace(it, {key, "REDACTED"});
    }
  }
  u.remove_fragment();
  return std::string(u.buffer());
}

}  // namespace tracehop::instrument
