#include "tracehop/trace/attributes.hpp"

#include <sstream>

#include "internal.hpp"

namespace tracehop::trace {

namespace {

// The longest prefix of `s` of at most `limit` bytes that does not split a UTF-8 sequence.
bool truncate_utf8(std::string& s, std::size_t limit) {
  if (s.size() <= limit) return false;
  std::size_t cut = limit;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  s.resize(cut);
  return true;
}

}  // namespace

bool AttributeValue::truncate(std::size_t limit) {
  if (auto* s = std::get_if<std::string>(&v_)) return truncate_utf8(*s, limit);
  bool cut = false;
  if (auto* a = std::get_if<std::vector<std::string>>(&v_))
    for (auto& s : *a) cut |= truncate_utf8(s, limit);
  return cut;
}

std::string AttributeValue::to_string() const {
  std::ostringstream os;
  auto one = [&os](const auto& x) {
    using T = std::decay_t<decltype(x)>;
    if constexpr (std::is_same_v<T, bool>)
      os << (x ? "true" : "false");
    else
      os << x;
  };
  std::visit(
      [&](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, bool> || std::is_same_v<T, std::int64_t> ||
                      std::is_same_v<T, double> || std::is_same_v<T, std::string>) {
          one(v);
        } else {
          os << '[';
          bool first = true;
          for (const auto& x : v) {
            if (!first) os << ", ";
            first = false;
            one(static_cast<typename T::value_type>(x));
          }
          os << ']';
        }
      },
      v_);
  return os.str();
}

const AttributeValue* find_attribute(const Attributes& attrs, std::string_view key) noexcept {
  for (const auto& kv : attrs)
    if (kv.key.view() == key) return &kv.value;
  return nullptr;
}

bool set_attribute(Attributes& attrs, AttributeKey&& key, AttributeValue&& value,
                   std::size_t count_limit, std::size_t value_length_limit) {
  if (key.view().empty()) return false;  // the spec forbids empty keys
  if (value_length_limit != SIZE_MAX) value.truncate(value_length_limit);
  for (auto& kv : attrs) {
    if (kv.key.view() == key.view()) {
      kv.value = std::move(value);
      return true;
    }
  }
  if (attrs.size() >= count_limit) return false;
  detail::emplace_attribute(attrs, std::move(key), std::move(value));
  return true;
}

}  // namespace tracehop::trace
