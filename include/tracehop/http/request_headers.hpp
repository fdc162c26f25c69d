#pragma once
// The header fields of one physical request as its signal subscribers see and change them
// (RequestStartParams::headers): the request's own Headers, never changed, plus what the
// subscribers set. Adding a field the request does not have (an injected traceparent) stores it
// inline, without copying the headers or allocating; any other change copies them first.

#include <boost/container/small_vector.hpp>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "tracehop/http/headers.hpp"

namespace tracehop::http {

/// Reads see the request's fields and then the added ones, as one list; the views they return
/// are valid until the next change. Not thread-safe (one request's signals run on its task).
class RequestHeaders {
 public:
  explicit RequestHeaders(const Headers& request) noexcept : request_(&request) {}
  RequestHeaders(const RequestHeaders&) = delete;
  RequestHeaders& operator=(const RequestHeaders&) = delete;

  std::optional<std::string_view> first(std::string_view name) const noexcept;
  /// The values of `name` joined with ',' (as Headers::get).
  std::optional<std::string_view> get(std::string_view name) const;
  std::vector<std::string_view> all(std::string_view name) const;
  bool contains(std::string_view name) const noexcept { return first(name).has_value(); }

  /// As Headers::set, add and erase.
  void set(std::string_view name, std::string_view value);
  void add(std::string_view name, std::string_view value);
  std::size_t erase(std::string_view name);

  /// Calls `f(name, value)` for every field, in order.
  template <class F>
  void for_each(F&& f) const {
    for (const auto& [n, v] : current()) f(std::string_view(n), std::string_view(v));
    for (const auto& a : added_) f(name_of(a), value_of(a));
  }
  std::size_t size() const noexcept { return current().size() + added_.size(); }
  /// Every field, as a Headers.
  Headers to_headers() const;

 private:
  struct Added {  // a field in text_
    std::uint32_t at, name_size, value_size;
  };
  const Headers& current() const noexcept { return copy_ ? *copy_ : *request_; }
  std::string_view name_of(const Added& a) const noexcept { return {text_.data() + a.at, a.name_size}; }
  std::string_view value_of(const Added& a) const noexcept {
    return {text_.data() + a.at + a.name_size, a.value_size};
  }
  const Added* find_added(std::string_view name) const noexcept;
  /// Appends a field of a name present nowhere yet; false if `name` is present.
  bool try_append(std::string_view name, std::string_view value);
  /// From now on, a changed copy (copy on write).
  Headers& copy();

  const Headers* request_;
  std::optional<Headers> copy_;
  // Room for a traceparent in place; more (tracestate, baggage) spills to the heap. Small, as it
  // lives in the exchange's coroutine frame.
  boost::container::small_vector<char, 72> text_;  // names and values of added_, one after another
  boost::container::small_vector<Added, 2> added_;
};

}  // namespace tracehop::http
