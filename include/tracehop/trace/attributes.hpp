#pragma once
// Span, event, link and resource attributes: string keys with typed values.

#include <cstdint>
#include <initializer_list>
#include <utility>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

namespace tracehop::trace {

/// An attribute key. Built from a string literal it borrows the literal (no copy, no
/// allocation: that constructor is consteval, so only constants with static storage qualify);
/// built from a run-time string it owns a copy.
class AttributeKey {
 public:
  consteval AttributeKey(const char* literal) noexcept  // NOLINT(google-explicit-constructor)
      : data_(literal), size_(std::char_traits<char>::length(literal)), owned_(false) {}
  AttributeKey(std::string_view key) : AttributeKey(copy(key), key.size()) {}  // NOLINT
  AttributeKey(const std::string& key) : AttributeKey(std::string_view(key)) {}  // NOLINT
  AttributeKey(const AttributeKey& o)
      : data_(o.owned_ ? copy(o.view()) : o.data_), size_(o.size_), owned_(o.owned_) {}
  constexpr AttributeKey(AttributeKey&& o) noexcept
      : data_(std::exchange(o.data_, "")), size_(std::exchange(o.size_, 0)),
        owned_(std::exchange(o.owned_, false)) {}
  AttributeKey& operator=(AttributeKey o) noexcept {
    std::swap(data_, o.data_);
    std::swap(size_, o.size_);
    std::swap(owned_, o.owned_);
    return *this;
  }
  constexpr ~AttributeKey() {
    if (owned_) delete[] data_;
  }

  constexpr std::string_view view() const noexcept { return {data_, size_}; }
  operator std::string_view() const noexcept { return view(); }  // NOLINT
  friend bool operator==(const AttributeKey& a, std::string_view b) noexcept {
    return a.view() == b;
  }

 private:
  AttributeKey(const char* owned, std::size_t size) noexcept
      : data_(owned), size_(size), owned_(true) {}
  static const char* copy(std::string_view s) {
    char* p = new char[s.size() + 1];
    s.copy(p, s.size());
    p[s.size()] = '\0';
    return p;
  }
  const char* data_;
  std::size_t size_;
  bool owned_;
};

/// One of the value types the OpenTelemetry specification allows: bool, int64, double, string,
/// or a homogeneous array of one of those.
class AttributeValue {
 public:
  using Variant = std::variant<bool, std::int64_t, double, std::string, std::vector<bool>,
                               std::vector<std::int64_t>, std::vector<double>,
                               std::vector<std::string>>;

  AttributeValue() noexcept : v_(false) {}
  AttributeValue(bool b) noexcept : v_(b) {}  // NOLINT(google-explicit-constructor)
  template <class I>
    requires(std::is_integral_v<I> && !std::is_same_v<I, bool> && !std::is_same_v<I, char>)
  AttributeValue(I i) noexcept : v_(static_cast<std::int64_t>(i)) {}  // NOLINT
  AttributeValue(double d) noexcept : v_(d) {}                        // NOLINT
  AttributeValue(float d) noexcept : v_(static_cast<double>(d)) {}     // NOLINT
  AttributeValue(const char* s) : v_(std::string(s)) {}                // NOLINT
  AttributeValue(std::string_view s) : v_(std::string(s)) {}           // NOLINT
  AttributeValue(std::string s) noexcept : v_(std::move(s)) {}         // NOLINT
  AttributeValue(std::vector<bool> a) noexcept : v_(std::move(a)) {}   // NOLINT
  AttributeValue(std::vector<std::int64_t> a) noexcept : v_(std::move(a)) {}  // NOLINT
  AttributeValue(std::vector<double> a) noexcept : v_(std::move(a)) {}        // NOLINT
  AttributeValue(std::vector<std::string> a) noexcept : v_(std::move(a)) {}   // NOLINT
  AttributeValue(std::initializer_list<std::string_view> a)  // NOLINT
      : v_(std::vector<std::string>(a.begin(), a.end())) {}

  const Variant& variant() const noexcept { return v_; }
  Variant& variant() noexcept { return v_; }

  template <class T>
  bool is() const noexcept {
    return std::holds_alternative<T>(v_);
  }
  /// The value if it holds a T, else nullptr.
  template <class T>
  const T* get_if() const noexcept {
    return std::get_if<T>(&v_);
  }

  /// Cuts every string (also inside an array) to at most `limit` bytes, at a UTF-8 character
  /// boundary. Returns true if anything was cut.
  bool truncate(std::size_t limit);

  /// A short human-readable form (strings unquoted, arrays as [a, b]).
  std::string to_string() const;

  friend bool operator==(const AttributeValue&, const AttributeValue&) = default;

 private:
  Variant v_;
};

struct KeyValue {
  AttributeKey key;
  AttributeValue value;
};

/// An ordered attribute list: keys unique, insertion order kept, setting an existing key
/// replaces its value in place.
using Attributes = std::vector<KeyValue>;

/// The value of `key` in `attrs`, or nullptr.
const AttributeValue* find_attribute(const Attributes& attrs, std::string_view key) noexcept;

/// Sets `key` in `attrs` (replacing an existing value) unless that would add a key beyond
/// `count_limit`; truncates strings to `value_length_limit`. Returns false when dropped.
bool set_attribute(Attributes& attrs, AttributeKey&& key, AttributeValue&& value,
                   std::size_t count_limit = SIZE_MAX,
                   std::size_t value_length_limit = SIZE_MAX);

}  // namespace tracehop::trace
