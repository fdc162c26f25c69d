#pragma once
// What the client and the server instrumentation share (internal).

#include <chrono>
#include <cstdlib>
#include <exception>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <typeinfo>
#include <vector>

#include "common/env.hpp"
#include "common/text.hpp"
#include "tracehop/http/headers.hpp"
#include "tracehop/instrument/semconv.hpp"
#include "tracehop/log.hpp"
#include "tracehop/trace/span.hpp"

namespace tracehop::instrument::detail {

using trace::Span;

/// The `error.type` of a failed request: the exception's type, demangled, or `_OTHER` for what
/// is not a std::exception (the semantic conventions' fallback).
inline std::string type_name(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    return tracehop::detail::demangle(typeid(ex).name());
  } catch (...) {
    return "_OTHER";
  }
}

inline double millis(std::chrono::nanoseconds d) { return std::chrono::duration<double, std::milli>(d).count(); }

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
inline void capture_headers(Span& span, const http::Headers& headers, const std::vector<CapturedHeader>& list) {
  for (const auto& h : list) {
    auto values = headers.all(h.name);
    if (!values.empty()) span.set_attribute(h.key, std::vector<std::string>(values.begin(), values.end()));
  }
}

/// The patterns that compile (a bad one is logged and left out).
inline std::vector<std::regex> compile_patterns(const std::vector<std::string>& patterns) {
  std::vector<std::regex> out;
  for (const auto& pattern : patterns) {
    try {
      out.emplace_back(pattern, std::regex::ECMAScript | std::regex::optimize);
    } catch (const std::regex_error& e) {
      tracehop::log_error("tracehop instrumentation: excluded URL pattern '" + pattern +
                       "' is not a regular expression (" + e.what() + "); ignored");
    }
  }
  return out;
}

inline bool matches_any(const std::vector<std::regex>& patterns, const std::string& text) {
  for (const auto& re : patterns)
    if (std::regex_search(text, re)) return true;
  return false;
}

/// Runs a user's hook; what it throws is logged, never passed on to the request.
template <class Hook, class... Args>
void run_hook(const Hook& hook, const char* which, Args&&... args) noexcept {
  if (!hook) return;
  try {
    hook(std::forward<Args>(args)...);
  } catch (const std::exception& e) {
    tracehop::log_error(std::string("tracehop instrumentation: the ") + which + " threw: " + e.what());
  } catch (...) {
    tracehop::log_error(std::string("tracehop instrumentation: the ") + which + " threw");
  }
}

}  // namespace tracehop::instrument::detail
