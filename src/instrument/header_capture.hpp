#pragma once
// Captured HTTP headers as span attributes (internal; both instrumentations): the lists from the
// options or the OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_* variables, each header's attribute
// key worked out once.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/env.hpp"
#include "common/text.hpp"
#include "tracehop/http/headers.hpp"
#include "tracehop/trace/span.hpp"

namespace tracehop::instrument::detail {

/// A header to capture, and the attribute it goes to (`<prefix><lowercase name>`), worked out
/// once when the instrumentation is set up.
struct CapturedHeader {
  std::string name;
  std::string key;
};

inline std::vector<CapturedHeader> captured_headers(const std::vector<std::string>& names, std::string_view prefix) {
  std::vector<CapturedHeader> out;
  for (const auto& name : names) {
    out.push_back({name, std::string(prefix) + tracehop::detail::ascii_lower(name)});
  }
  return out;
}

/// The headers to capture on one side ("CLIENT" or "SERVER"): the options' lists, or else
/// OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_<side>_REQUEST / _RESPONSE.
struct CaptureLists {
  std::vector<CapturedHeader> request, response;
};
inline CaptureLists capture_lists(const std::optional<std::vector<std::string>>& request,
                                  const std::optional<std::vector<std::string>>& response, const std::string& side) {
  const std::string env = "OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_" + side;
  return {captured_headers(request ? *request : tracehop::detail::env_list((env + "_REQUEST").c_str()), "http.request.header."),
          captured_headers(response ? *response : tracehop::detail::env_list((env + "_RESPONSE").c_str()), "http.response.header.")};
}

/// Each listed header that is present, as a string array of its values.
template <class Fields>  // http::Headers or http::RequestHeaders
void capture_headers(trace::Span& span, const Fields& headers, const std::vector<CapturedHeader>& list) {
  for (const auto& h : list) {
    auto values = headers.all(h.name);
    if (!values.empty()) span.set_attribute(h.key, std::vector<std::string>(values.begin(), values.end()));
  }
}

}  // namespace tracehop::instrument::detail
