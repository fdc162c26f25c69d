// The slow half of attribute sets: what a new series stores, and exemplars' dropped keys.

#include "attribute_set.hpp"

#include <algorithm>
#include <atomic>

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

}  // namespace tracehop::metrics::detail

namespace tracehop::metrics {

AttributeSet::AttributeSet(AttributeList given) {
  if (given.empty()) return;
  auto d = std::make_shared<detail::AttributeSetData>();
  d->attributes = detail::normalize(given, nullptr);
  std::size_t size = 0;
  for (const auto& a : d->attributes) {
    if (!a.key.literal()) size += a.key.size();
    if (a.value.type() == AttrValue::Type::String && !a.value.literal()) size += a.value.as_string().size();
  }
  d->text = std::make_unique<char[]>(size);
  char* p = d->text.get();
  auto copy = [&p](std::string_view s) {
    if (!s.empty()) std::memcpy(p, s.data(), s.size());
    p += s.size();
    return std::string_view(p - s.size(), s.size());
  };
  for (auto& a : d->attributes) {
    if (!a.key.literal()) a.key = copy(a.key.view());
    if (a.value.type() == AttrValue::Type::String && !a.value.literal()) a.value = copy(a.value.as_string());
  }
  static std::atomic<std::uint64_t> next_id{1};
  d->given = {d->attributes, next_id.fetch_add(1, std::memory_order_relaxed), detail::hash_set(d->attributes, nullptr)};
  data_ = std::move(d);
}

AttributeList AttributeSet::list() const noexcept {
  return data_ ? AttributeList(data_->attributes) : AttributeList();
}

}  // namespace tracehop::metrics

namespace tracehop::metrics::detail {

SeriesKey::SeriesKey(AttributeList normalized) {
  attributes_.reserve(normalized.size());
  for (const auto& a : normalized) attributes_.push_back({trace::AttributeKey(a.key.view()), to_value(a.value)});
  items_.reserve(normalized.size());
  for (std::size_t i = 0; i < normalized.size(); ++i) {
    const auto& kv = attributes_[i];
    const auto* s = kv.value.get_if<std::string>();
    const Attribute& a = normalized[i];
    const bool by_words = a.key.literal() != nullptr && (a.value.type() != AttrValue::Type::String || a.value.literal());
    Item item{a.key.word0(), by_words ? a.key.word1() : kNever, a.value.word0(), a.value.word1(),
              a.key.literal(), kv.key.view(), s ? AttrValue(std::string_view(*s)) : a.value,
              0, 0, Shape::Integer};
    item.shape = shape_of(item.value);
    if (item.value.type() == AttrValue::Type::String)
      load_short(item.value.as_string().data(), std::min<std::size_t>(item.value.as_string().size(), 16), item.w0, item.w1);
    items_.push_back(item);
  }
  size_ = items_.size();
}

SeriesKey::Shape SeriesKey::shape_of(const AttrValue& v) noexcept {
  if (v.type() == AttrValue::Type::Double) return Shape::Double;
  if (v.type() != AttrValue::Type::String) return Shape::Integer;
  const std::size_t n = v.as_string().size();
  return n == 0 ? Shape::Empty : n < 4 ? Shape::UpTo3 : n < 8 ? Shape::UpTo7 : n <= 16 ? Shape::UpTo16 : Shape::Long;
}

bool SeriesKey::matches_any_order(AttributeList given, const KeyFilter* filter) const noexcept {
  const std::size_t n = items_.size();
  if (n > 64) return false;
  std::uint64_t seen = 0;  // each stored key matched once: a repeated given key fails
  for (const auto& g : given) {
    if (!kept(filter, g)) continue;
    std::size_t j = 0;
    while (j < n && !same_key(items_[j], g.key)) ++j;
    if (j == n || (seen >> j & 1) || !same_value(g.value, items_[j].value)) return false;
    seen |= std::uint64_t{1} << j;
  }
  return seen == (n == 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << n) - 1);
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
