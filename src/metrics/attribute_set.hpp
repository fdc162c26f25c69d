#pragma once
// A series' attribute set (internal): the hash of a measurement's attributes, whatever their
// order, and the match of those attributes against a series' stored copy, both without
// allocating: the recording path of every instrument.

#include <bit>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

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

inline std::uint64_t mix(std::uint64_t h) noexcept {
  h ^= h >> 32;
  h *= 0xd6e8feb86659fd93ULL;
  h ^= h >> 32;
  return h;
}

// Eight bytes a step; a key such as "http.response.status_code" is four.
inline std::uint64_t hash_bytes(std::string_view s) noexcept {
  constexpr std::uint64_t k = 0x9e3779b97f4a7c15ULL;
  const char* p = s.data();
  std::size_t n = s.size();
  std::uint64_t h = n * k;
  for (; n >= 8; p += 8, n -= 8) {
    std::uint64_t w;
    std::memcpy(&w, p, 8);
    h = (std::rotl(h, 23) ^ w) * k;
  }
  if (n >= 4) {
    std::uint32_t a, b;
    std::memcpy(&a, p, 4);
    std::memcpy(&b, p + n - 4, 4);
    h = (std::rotl(h, 23) ^ (static_cast<std::uint64_t>(a) << 32 | b)) * k;
  } else if (n > 0) {
    const auto* u = reinterpret_cast<const unsigned char*>(p);
    h = (std::rotl(h, 23) ^ (u[0] | static_cast<std::uint64_t>(u[n / 2]) << 8 |
                             static_cast<std::uint64_t>(u[n - 1]) << 16)) * k;
  }
  return h;
}

inline std::uint64_t hash_value(const AttrValue& v) noexcept {
  switch (v.type()) {
    case AttrValue::Type::Bool: return 0x51 + static_cast<std::uint64_t>(v.as_bool());
    case AttrValue::Type::Int: return mix(static_cast<std::uint64_t>(v.as_int()) ^ 0x1234567);
    case AttrValue::Type::Double: {
      const double d = v.as_double() == 0 ? 0.0 : v.as_double();  // -0.0 and 0.0 are one value
      return mix(std::bit_cast<std::uint64_t>(d) ^ 0x7654321);
    }
    case AttrValue::Type::String: return hash_bytes(v.as_string());
  }
  return 0;
}

/// The same for any order of the same attributes: a sum of the attributes' own hashes.
inline std::uint64_t hash_set(AttributeList attrs, const KeyFilter* filter) noexcept {
  std::uint64_t h = 0x2545f4914f6cdd1dULL;
  for (const auto& a : attrs)
    if (kept(filter, a)) h += mix(hash_bytes(a.key.view()) * 31 + hash_value(a.value));
  return h;
}

inline bool same_value(const AttrValue& a, const trace::AttributeValue& b) noexcept {
  switch (a.type()) {
    case AttrValue::Type::Bool: {
      const auto* p = b.get_if<bool>();
      return p && *p == a.as_bool();
    }
    case AttrValue::Type::Int: {
      const auto* p = b.get_if<std::int64_t>();
      return p && *p == a.as_int();
    }
    case AttrValue::Type::Double: {
      const auto* p = b.get_if<double>();
      return p && *p == a.as_double();
    }
    case AttrValue::Type::String: {
      const auto* p = b.get_if<std::string>();
      return p && std::string_view(*p) == a.as_string();
    }
  }
  return false;
}

/// A series' own copy of its attributes: unique keys, only the kept ones, in the order first
/// given; beside each key, the address of the literal it was given as (compared before the
/// characters).
struct SeriesKey {
  trace::Attributes attributes;
  std::vector<const char*> literals;

  bool same_key(std::size_t i, const AttrKey& k) const noexcept {
    return (k.literal() != nullptr && k.literal() == literals[i]) ||
           attributes[i].key.view() == k.view();
  }

  /// Whether `given` (filtered) is this set. Given in the stored order (one call site, the usual
  /// case) it compares pairwise; else it looks each key up. A given set that repeats a key does
  /// not match (the caller then matches it deduplicated).
  bool matches(AttributeList given, const KeyFilter* filter) const noexcept {
    const std::size_t n = attributes.size();
    if (filter == nullptr && given.size() == n) {
      std::size_t i = 0;
      while (i < n && same_key(i, given[i].key) && same_value(given[i].value, attributes[i].value)) ++i;
      if (i == n) return true;
    }
    if (n > 64) return false;
    std::uint64_t seen = 0;  // each stored key matched once: a repeated given key fails
    for (const auto& g : given) {
      if (!kept(filter, g)) continue;
      std::size_t j = 0;
      while (j < n && !same_key(j, g.key)) ++j;
      if (j == n || (seen >> j & 1) || !same_value(g.value, attributes[j].value)) return false;
      seen |= std::uint64_t{1} << j;
    }
    return seen == (n == 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << n) - 1);
  }
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
SeriesKey make_key(AttributeList normalized);
/// The attributes of `given` a filter does not keep: an exemplar's filtered attributes.
void filtered_out(AttributeList given, const KeyFilter& filter, trace::Attributes& out);

}  // namespace tracehop::metrics::detail
