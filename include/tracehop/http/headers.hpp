#pragma once
// HTTP header fields: an ordered multimap with case-insensitive names.

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tracehop::http {

/// Keeps every field in the order it was added, with the name spelled as given; lookups ignore
/// case. set() replaces every field of that name (so, say, an injected traceparent never appears
/// twice); get() joins repeated fields with ','.
class Headers {
 public:
  using Field = std::pair<std::string, std::string>;

  Headers() = default;
  Headers(std::initializer_list<Field> fields) : fields_(fields) {}

  void reserve(std::size_t fields) { fields_.reserve(fields); }
  /// Appends a field, keeping any existing ones of the same name.
  void add(std::string_view name, std::string_view value);
  /// Replaces every field named `name` with one field, at the position of the first.
  void set(std::string_view name, std::string_view value);
  /// Removes every field named `name`; returns how many there were.
  std::size_t erase(std::string_view name);

  /// The first value of `name`.
  std::optional<std::string_view> first(std::string_view name) const noexcept;
  /// Every value of `name`, in order.
  std::vector<std::string_view> all(std::string_view name) const;
  /// The values of `name` joined with ',' (RFC 9110 field combination).
  std::optional<std::string_view> get(std::string_view name) const;
  bool contains(std::string_view name) const noexcept { return first(name).has_value(); }

  const std::vector<Field>& fields() const noexcept { return fields_; }
  std::size_t size() const noexcept { return fields_.size(); }
  bool empty() const noexcept { return fields_.empty(); }
  auto begin() const noexcept { return fields_.begin(); }
  auto end() const noexcept { return fields_.end(); }

  friend bool operator==(const Headers& a, const Headers& b) noexcept { return a.fields_ == b.fields_; }

 private:
  std::vector<Field> fields_;
  mutable std::string joined_;
};

/// Case-insensitive ASCII comparison of field names.
bool field_name_equal(std::string_view a, std::string_view b) noexcept;

}  // namespace tracehop::http
