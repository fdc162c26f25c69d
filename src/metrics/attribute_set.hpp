#pragma once
// A series' attribute set (internal): the hash of a measurement's attributes, whatever their
// order, and the match of those attributes against a series' stored copy, both without
// allocating: the recording path of every instrument.

#include <bit>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/text.hpp"
#include "tracehop/metrics/instrument.hpp"
#include "tracehop/trace/attributes.hpp"

namespace tracehop::metrics::detail {

/// A view's attribute_keys: which keys make the series (the others go to exemplars).
struct KeyFilter {
  std::vector<std::string> keys;
  bool keeps(std::string_view key) const noexcept {
    for (const auto& k : keys)
      if (k == key) return true;
    return false;
  }
};

inline bool kept(const KeyFilter* filter, const Attribute& a) noexcept {
  return filter == nullptr || filter->keeps(a.key.view());
}

// A short string's words, hash and equality: the common helpers (common/text.hpp).
using tracehop::detail::hash_string;
using tracehop::detail::kHash0;
using tracehop::detail::kHash1;
using tracehop::detail::load_short;
using tracehop::detail::mum;
using tracehop::detail::same_string;

[[gnu::always_inline]] inline std::uint64_t hash_value(const AttrValue& v) noexcept {
  switch (v.type()) {
    case AttrValue::Type::String: return hash_string(v.as_string());
    case AttrValue::Type::Double: {
      const double d = v.as_double() == 0 ? 0.0 : v.as_double();  // -0.0 and 0.0 are one value
      return mum(std::bit_cast<std::uint64_t>(d) ^ kHash0, kHash1 + 2);
    }
    default: return (static_cast<std::uint64_t>(v.as_int()) + static_cast<std::uint64_t>(v.type())) * kHash0;
  }
}

/// The same for any order of the same attributes: a sum of the attributes' own hashes. A key
/// counts by its length only (the series' match compares keys, by address first): hashing keys'
/// characters would cost more than everything else a measurement does.
inline std::uint64_t hash_set(AttributeList attrs, const KeyFilter* filter) noexcept {
  auto term = [](const Attribute& a) { return hash_value(a.value) ^ (a.key.size() * 0x9e3779b97f4a7c15ULL); };
  std::uint64_t h = 0;
  if (filter == nullptr) [[likely]] {
    for (const auto& a : attrs) h += term(a);
  } else {
    for (const auto& a : attrs)
      if (filter->keeps(a.key.view())) h += term(a);
  }
  return h;
}

[[gnu::always_inline]] inline bool same_value(const AttrValue& a, const AttrValue& b) noexcept {
  if (a.type() != b.type()) return false;
  switch (a.type()) {
    case AttrValue::Type::String: return same_string(a.as_string(), b.as_string());
    case AttrValue::Type::Double: return a.as_double() == b.as_double();
    default: return a.as_int() == b.as_int();
  }
}

/// A series' own copy of its attributes: unique keys, only the kept ones, in the order first
/// given. Beside them, views into that copy for matching, and the words each attribute was
/// first given as: given again as the same literals (a key, and a value that is a number or a
/// literal string), an attribute matches by those four words alone, no characters read.
class SeriesKey {
 public:
  /// From a normalized set (see normalize()).
  explicit SeriesKey(AttributeList normalized);
  SeriesKey(SeriesKey&&) = delete;  // the views point into attributes_' strings

  const trace::Attributes& attributes() const noexcept { return attributes_; }

  /// Whether `given` (filtered) is this set. Given in the stored order (one call site, the usual
  /// case) it compares pairwise; else it looks each key up. A given set that repeats a key does
  /// not match (the caller then matches it deduplicated).
  bool matches(AttributeList given, const KeyFilter* filter) const noexcept {
    return (filter == nullptr && matches_in_order(given)) || matches_any_order(given, filter);
  }
  /// Whether `given` is this set in the stored order, unfiltered: the cheap half of matches().
  bool matches_in_order(AttributeList given) const noexcept {
    if (given.size() != size_) return false;
    const Item* s = items_.data();
    for (std::size_t i = 0; i < size_; ++i) {
      const Attribute& g = given[i];
      if (((g.key.word0() ^ s[i].k0) | (g.key.word1() ^ s[i].k1) | (g.value.word0() ^ s[i].v0) |
           (g.value.word1() ^ s[i].v1)) != 0 &&
          !same_content(s[i], g))
        return false;
    }
    return true;
  }

 private:
  // How a stored value is compared, worked out once: as a number, or as a string of a size
  // class (each loaded without a loop, as words computed when the series was made).
  enum class Shape : std::uint8_t { Integer, Double, Empty, UpTo3, UpTo7, UpTo16, Long };
  struct Item {
    // The words of the attribute as first given; k1 is kNever unless they decide (a literal
    // key, and a value that is no run-time string).
    std::uint64_t k0, k1, v0, v1;
    const char* literal;  // the key's literal, nullptr: given at run time
    std::string_view key;
    AttrValue value;
    std::uint64_t w0, w1;  // a short string's words (load_short)
    Shape shape;
  };
  static constexpr std::uint64_t kNever = ~std::uint64_t{0};  // no key's second word
  [[gnu::noinline]] static bool same_content(const Item& s, const Attribute& g) noexcept {
    return same_key(s, g.key) && same_words(s, g.value);
  }
  static bool same_key(const Item& s, const AttrKey& k) noexcept {
    return (k.data() == s.literal && k.size() == s.key.size()) || same_string(k.view(), s.key);
  }
  static Shape shape_of(const AttrValue& v) noexcept;
  // same_value() with the stored value's shape and words: what a repeated set compares.
  static bool same_words(const Item& s, const AttrValue& v) noexcept {
    if ((v.word1() ^ s.v1) << 1 != 0) return false;  // the type, and a string's size (literal or not)
    if (s.shape == Shape::Integer) return v.word0() == s.v0;  // (an integer or a bool: the value)
    if (s.shape == Shape::Double) return v.as_double() == s.value.as_double();
    const char* p = v.as_string().data();
    const std::size_t n = v.as_string().size();
    std::uint64_t a = 0, b = 0;
    switch (s.shape) {
      case Shape::UpTo16:
        std::memcpy(&a, p, 8);
        std::memcpy(&b, p + n - 8, 8);
        break;
      case Shape::UpTo7: {
        std::uint32_t x, y;
        std::memcpy(&x, p, 4);
        std::memcpy(&y, p + n - 4, 4);
        a = x;
        b = y;
        break;
      }
      case Shape::UpTo3: {
        const auto* u = reinterpret_cast<const unsigned char*>(p);
        a = u[0] | static_cast<std::uint64_t>(u[n / 2]) << 8 | static_cast<std::uint64_t>(u[n - 1]) << 16;
        break;
      }
      case Shape::Long: return std::memcmp(p, s.value.as_string().data(), n) == 0;
      default: return true;  // empty
    }
    return ((a ^ s.w0) | (b ^ s.w1)) == 0;
  }
  bool matches_any_order(AttributeList given, const KeyFilter* filter) const noexcept;

  trace::Attributes attributes_;
  std::vector<Item> items_;
  std::size_t size_ = 0;  // items_'
};

inline trace::AttributeValue to_value(const AttrValue& v) {
  switch (v.type()) {
    case AttrValue::Type::Bool: return v.as_bool();
    case AttrValue::Type::Int: return v.as_int();
    case AttrValue::Type::Double: return v.as_double();
    case AttrValue::Type::String: return std::string(v.as_string());
  }
  return false;
}

/// `given` with repeated keys removed (the last value wins, at the first one's place) and only
/// the kept keys: what a new series stores.
std::vector<Attribute> normalize(AttributeList given, const KeyFilter* filter);

/// A measurement's attributes as the storages take them: a list, and for an AttributeSet its
/// id (0: a list) and hash.
struct Given {
  AttributeList list;
  std::uint64_t set = 0;
  std::uint64_t hash = 0;
};

/// An AttributeSet's own: its normalized attributes (run-time strings pointing into `text`), and
/// as the storages take them, with an id no other set has had and their hash_set().
struct AttributeSetData {
  std::vector<Attribute> attributes;
  std::unique_ptr<char[]> text;
  Given given;
};
/// The attributes of `given` a filter does not keep: an exemplar's filtered attributes.
void filtered_out(AttributeList given, const KeyFilter& filter, trace::Attributes& out);

}  // namespace tracehop::metrics::detail
