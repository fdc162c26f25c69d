#pragma once
// The rules both instrumentations apply to a request (internal): excluded URLs, users' hooks that
// must never break a request, the `error.type` of a failure, and how start attributes are added.

#include <chrono>
#include <exception>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <typeinfo>
#include <vector>

#include "common/text.hpp"
#include "tracehop/log.hpp"
#include "tracehop/trace/span.hpp"

namespace tracehop::instrument::detail {

using trace::Span;

/// Appends `key = value` built in place: `push_back({key, value})` would build a KeyValue, move
/// it in and destroy the first (a variant visited twice), for every attribute of every span.
template <class V>
void append(trace::Attributes& attributes, trace::AttributeKey key, V&& value) {
  attributes.emplace_back(std::move(key), std::forward<V>(value));
}

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

/// An excluded-URL pattern: a regular expression searched for in the URL; one without any
/// regular-expression syntax is searched for as plain text, the same match without the
/// allocations std::regex_search makes on every request.
struct UrlPattern {
  std::string text;                // the pattern; searched for as is when there is no `regex`
  std::optional<std::regex> regex;
};

/// The patterns that compile (a bad one is logged and left out).
inline std::vector<UrlPattern> compile_patterns(const std::vector<std::string>& patterns) {
  std::vector<UrlPattern> out;
  for (const auto& pattern : patterns) {
    if (pattern.find_first_of("\\^$.|?*+()[]{}") == std::string::npos) {
      out.push_back({pattern, std::nullopt});
      continue;
    }
    try {
      out.push_back({pattern, std::regex(pattern, std::regex::ECMAScript | std::regex::optimize)});
    } catch (const std::regex_error& e) {
      tracehop::log_error("tracehop instrumentation: excluded URL pattern '" + pattern +
                       "' is not a regular expression (" + e.what() + "); ignored");
    }
  }
  return out;
}

inline bool matches_any(const std::vector<UrlPattern>& patterns, std::string_view text) {
  for (const auto& p : patterns)
    if (p.regex ? std::regex_search(text.begin(), text.end(), *p.regex) : text.find(p.text) != std::string_view::npos)
      return true;
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
