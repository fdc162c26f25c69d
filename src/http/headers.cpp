#include "tracehop/http/headers.hpp"

#include <algorithm>

#include "common/text.hpp"

namespace tracehop::http {

bool field_name_equal(std::string_view a, std::string_view b) noexcept { return tracehop::detail::iequals(a, b); }

void Headers::add(std::string_view name, std::string_view value) {
  fields_.emplace_back(std::string(name), std::string(value));
}

void Headers::set(std::string_view name, std::string_view value) {
  auto first_it = std::find_if(fields_.begin(), fields_.end(),
                               [&](const Field& f) { return field_name_equal(f.first, name); });
  if (first_it == fields_.end()) {
    add(name, value);
    return;
  }
  first_it->second.assign(value);
  const auto index = first_it - fields_.begin();
  fields_.erase(std::remove_if(fields_.begin() + index + 1, fields_.end(),
                               [&](const Field& f) { return field_name_equal(f.first, name); }),
                fields_.end());
}

std::size_t Headers::erase(std::string_view name) {
  return std::erase_if(fields_, [&](const Field& f) { return field_name_equal(f.first, name); });
}

std::optional<std::string_view> Headers::first(std::string_view name) const noexcept {
  for (const auto& [n, v] : fields_)
    if (field_name_equal(n, name)) return std::string_view(v);
  return std::nullopt;
}

std::vector<std::string_view> Headers::all(std::string_view name) const {
  std::vector<std::string_view> out;
  for (const auto& [n, v] : fields_)
    if (field_name_equal(n, name)) out.emplace_back(v);
  return out;
}

std::optional<std::string_view> Headers::get(std::string_view name) const {
  const Field* only = nullptr;
  std::size_t count = 0;
  for (const auto& f : fields_) {
    if (!field_name_equal(f.first, name)) continue;
    if (count++ == 0) only = &f;
  }
  if (count == 0) return std::nullopt;
  if (count == 1) return std::string_view(only->second);
  joined_.clear();
  for (const auto& [n, v] : fields_) {
    if (!field_name_equal(n, name)) continue;
    if (&v != &only->second) joined_ += ',';
    joined_ += v;
  }
  return std::string_view(joined_);
}

}  // namespace tracehop::http
