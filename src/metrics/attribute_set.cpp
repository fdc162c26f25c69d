// The slow half of attribute sets: what a new series stores, and exemplars' dropped keys.

#include "attribute_set.hpp"

#include "cells.hpp"

namespace tracehop::metrics::detail {

std::vector<Attribute> normalize(AttributeList given, const KeyFilter* filter) {
  std::vector<Attribute> out;
  out.reserve(given.size());
  for (const auto& a : given) {
    if (!kept(filter, a)) continue;
    auto same = std::find_if(out.begin(), out.end(), [&](const Attribute& o) { return o.key.view() == a.key.view(); });
    if (same == out.end())
      out.push_back(a);
    else
      same->value = a.value;
  }
  return out;
}

SeriesKey make_key(AttributeList normalized) {
  SeriesKey key;
  key.attributes.reserve(normalized.size());
  key.literals.reserve(normalized.size());
  for (const auto& a : normalized) {
    key.attributes.push_back({trace::AttributeKey(a.key.view()), to_value(a.value)});
    key.literals.push_back(a.key.literal());
  }
  return key;
}

void filtered_out(AttributeList given, const KeyFilter& filter, trace::Attributes& out) {
  for (const auto& a : given)
    if (!filter.keeps(a.key.view())) trace::set_attribute(out, trace::AttributeKey(a.key.view()), to_value(a.value));
}

namespace {
// splitmix64, a state a thread: only a kept exemplar's draw, so speed is not the point.
thread_local std::uint64_t rng_state = 0;
}  // namespace

std::uint64_t random_below(std::uint64_t n) noexcept {
  if (rng_state == 0)
    rng_state = static_cast<std::uint64_t>(trace::Clock::now().time_since_epoch().count()) ^
                reinterpret_cast<std::uintptr_t>(&rng_state);
  std::uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return (z ^ (z >> 31)) % n;
}

}  // namespace tracehop::metrics::detail
