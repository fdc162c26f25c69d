#pragma once
// OTLP/JSON's writer (internal): the protobuf JSON mapping with OTLP's exceptions (ids as hex,
// enums as numbers, 64-bit integers as strings), written straight into one string. The spans'
// and the metrics' encodings share it.

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>

#include "common/text.hpp"
#include "tracehop/trace/attributes.hpp"
#include "tracehop/trace/ids.hpp"
#include "tracehop/trace/resource.hpp"
#include "tracehop/trace/tracer.hpp"

namespace tracehop::otlp::detail {

// Written straight into one string: no document tree, no allocation per span, and a bounds check
// per token rather than per character.
class JsonWriter {
 public:
  explicit JsonWriter(std::string& out) : out_(out) {}
  /// Appends what is still staged.
  void finish() { flush(); }

  JsonWriter& raw(std::string_view s) {
    if (s.size() > kStage / 2) {  // large: straight to the output
      flush();
      out_.append(s);
      last_ = s.back();
      return *this;
    }
    std::memcpy(room(s.size()), s.data(), s.size());
    n_ += s.size();
    return *this;
  }
  /// A literal (punctuation, mostly): copied inline, not by a call.
  template <std::size_t N>
  JsonWriter& raw(const char (&literal)[N]) {
    static_assert(N - 1 <= kStage / 2);
    std::memcpy(room(N - 1), literal, N - 1);
    n_ += N - 1;
    return *this;
  }
  /// `"key":`, preceded by a comma unless it opens an object. (A literal: copied inline.)
  template <std::size_t N>
  JsonWriter& key(const char (&k)[N]) {
    static_assert(N < 64);
    char* p = room(N + 3);
    if (last() != '{') *p++ = ',';
    *p++ = '"';
    std::memcpy(p, k, N - 1);
    p += N - 1;
    *p++ = '"';
    *p++ = ':';
    n_ = static_cast<std::size_t>(p - stage_);
    return *this;
  }
  JsonWriter& string(std::string_view v) {
    const std::size_t plain = plain_prefix(v);
    if (plain == v.size() && v.size() + 2 <= kStage / 2) {  // the usual: one copy, between quotes
      char* p = room(v.size() + 2);
      *p = '"';
      std::memcpy(p + 1, v.data(), v.size());
      p[v.size() + 1] = '"';
      n_ += v.size() + 2;
      return *this;
    }
    raw("\"");
    raw(v.substr(0, plain));
    if (plain < v.size()) escape_rest(v.substr(plain));
    return raw("\"");
  }
  template <class N>
  JsonWriter& number(N v) {  // an integer
    static_assert(std::is_integral_v<N>);
    char* const start = room(32);
    char* p = start;
    std::uint64_t magnitude = static_cast<std::uint64_t>(v);
    if constexpr (std::is_signed_v<N>) {
      if (v < 0) {
        *p++ = '-';
        magnitude = 0 - magnitude;  // (INT64_MIN too)
      }
    }
    n_ += static_cast<std::size_t>(tracehop::detail::write_decimal(p, magnitude) - start);
    return *this;
  }
  /// A double; NaN and the infinities as the strings the protobuf JSON mapping uses.
  JsonWriter& real(double v) {
    if (std::isnan(v)) return raw("\"NaN\"");
    if (std::isinf(v)) return raw(v > 0 ? "\"Infinity\"" : "\"-Infinity\"");
    char* p = room(32);
    n_ += static_cast<std::size_t>(std::to_chars(p, p + 32, v).ptr - p);
    return *this;
  }
  /// An int64 or uint64 as a decimal string, as OTLP/JSON asks.
  template <class N>
  JsonWriter& quoted(N v) {
    raw("\"");
    number(v);
    return raw("\"");
  }
  template <class Id>
  JsonWriter& hex(const Id& id) {
    const auto& bytes = id.bytes();
    char* p = room(2 * bytes.size() + 2);
    *p = '"';
    trace::detail::write_hex(bytes.data(), bytes.size(), p + 1);
    p[2 * bytes.size() + 1] = '"';
    n_ += 2 * bytes.size() + 2;
    return *this;
  }
  /// `[f(item), ...]`
  template <class List, class F>
  JsonWriter& array(const List& list, F&& f) {
    raw("[");
    bool first = true;
    for (const auto& item : list) {
      if (!first) raw(",");
      first = false;
      f(item);
    }
    return raw("]");
  }

 private:
  // Tokens are staged here and appended a kilobyte at a time: each costs a bounds check, and
  // the output is neither zero-filled nor checked per token.
  static constexpr std::size_t kStage = 1024;

  /// Room for `k` (at most kStage / 2) more bytes in the stage.
  char* room(std::size_t k) {
    if (n_ + k > kStage) flush();
    return stage_ + n_;
  }
  void flush() {
    if (n_ > 0) last_ = stage_[n_ - 1];
    out_.append(stage_, n_);
    n_ = 0;
  }
  char last() const noexcept { return n_ > 0 ? stage_[n_ - 1] : last_; }

  /// How many leading bytes need no escape (no '"', '\\' or control character), eight a step.
  static std::size_t plain_prefix(std::string_view v) noexcept {
    namespace swar = tracehop::detail::swar;
    std::size_t i = 0;
    for (; i + 8 <= v.size(); i += 8) {
      const std::uint64_t x = swar::load8(v.data() + i);
      if (swar::has_below(x, 0x20) || swar::has_byte(x, '"') || swar::has_byte(x, '\\')) break;
    }
    while (i < v.size() && static_cast<unsigned char>(v[i]) >= 0x20 && v[i] != '"' && v[i] != '\\') ++i;
    return i;
  }
  void escape_rest(std::string_view v) {
    for (const char ch : v) {
      const auto c = static_cast<unsigned char>(ch);
      if (c >= 0x20 && c != '"' && c != '\\') {
        *room(1) = ch;
        ++n_;
        continue;
      }
      switch (c) {
        case '"': raw("\\\""); break;
        case '\\': raw("\\\\"); break;
        case '\n': raw("\\n"); break;
        case '\r': raw("\\r"); break;
        case '\t': raw("\\t"); break;
        default: {
          char esc[7];
          std::snprintf(esc, sizeof esc, "\\u%04x", c);
          raw({esc, 6});
        }
      }
    }
  }

  std::string& out_;
  char stage_[kStage];
  std::size_t n_ = 0;  // staged bytes
  char last_ = 0;      // the last byte appended to out_
};

template <class T>
void any_value(JsonWriter& w, const T& x) {
  w.raw("{");
  if constexpr (std::is_same_v<T, bool>) {
    w.key("boolValue").raw(x ? "true" : "false");
  } else if constexpr (std::is_same_v<T, std::int64_t>) {
    w.key("intValue").quoted(x);
  } else if constexpr (std::is_same_v<T, double>) {
    w.key("doubleValue").real(x);
  } else if constexpr (std::is_same_v<T, std::string>) {
    w.key("stringValue").string(x);
  } else {
    w.key("arrayValue").raw("{").key("values").array(x, [&](const auto& e) {
      any_value(w, static_cast<typename T::value_type>(e));
    });
    w.raw("}");
  }
  w.raw("}");
}

inline void key_values(JsonWriter& w, const trace::Attributes& attrs) {
  w.array(attrs, [&](const trace::KeyValue& kv) {
    w.raw("{").key("key").string(kv.key.view()).key("value");
    std::visit([&](const auto& x) { any_value(w, x); }, kv.value.variant());
    w.raw("}");
  });
}

/// `"resource":{"attributes":[...]}` (a null resource: no attributes).
inline void resource_json(JsonWriter& w, const trace::Resource* resource) {
  w.key("resource").raw("{").key("attributes");
  if (resource)
    key_values(w, resource->attributes());
  else
    w.raw("[]");
  w.raw("}");
}

/// `"scope":{"name":...,"version":...,"attributes":[...]}`.
inline void scope_json(JsonWriter& w, const trace::InstrumentationScope* scope) {
  w.key("scope").raw("{");
  if (scope) {
    w.key("name").string(scope->name);
    if (!scope->version.empty()) w.key("version").string(scope->version);
    if (!scope->attributes.empty()) key_values(w.key("attributes"), scope->attributes);
  }
  w.raw("}");
}

}  // namespace tracehop::otlp::detail
