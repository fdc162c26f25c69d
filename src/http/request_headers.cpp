#include "tracehop/http/request_headers.hpp"

#include <cstring>

namespace tracehop::http {

// An added field's name is in neither the request's (or copied) fields nor another added field,
// so a read finds a name in one place only.

const RequestHeaders::Added* RequestHeaders::find_added(std::string_view name) const noexcept {
  for (const auto& a : added_)
    if (field_name_equal(name_of(a), name)) return &a;
  return nullptr;
}

std::optional<std::string_view> RequestHeaders::first(std::string_view name) const noexcept {
  if (const auto* a = find_added(name)) return value_of(*a);
  return current().first(name);
}

std::optional<std::string_view> RequestHeaders::get(std::string_view name) const {
  if (const auto* a = find_added(name)) return value_of(*a);
  return current().get(name);
}

std::vector<std::string_view> RequestHeaders::all(std::string_view name) const {
  if (const auto* a = find_added(name)) return {value_of(*a)};
  return current().all(name);
}

bool RequestHeaders::try_append(std::string_view name, std::string_view value) {
  if (find_added(name) || current().contains(name)) return false;
  const auto at = static_cast<std::uint32_t>(text_.size());
  text_.resize(at + name.size() + value.size(), boost::container::default_init);
  std::memcpy(text_.data() + at, name.data(), name.size());
  std::memcpy(text_.data() + at + name.size(), value.data(), value.size());
  added_.push_back({at, static_cast<std::uint32_t>(name.size()), static_cast<std::uint32_t>(value.size())});
  return true;
}

Headers& RequestHeaders::copy() {
  if (!copy_) copy_.emplace(*request_);
  for (const auto& a : added_) copy_->add(name_of(a), value_of(a));
  added_.clear();
  text_.clear();
  return *copy_;
}

void RequestHeaders::set(std::string_view name, std::string_view value) {
  if (!try_append(name, value)) copy().set(name, value);
}

void RequestHeaders::add(std::string_view name, std::string_view value) {
  if (!try_append(name, value)) copy().add(name, value);
}

std::size_t RequestHeaders::erase(std::string_view name) {
  if (!contains(name)) return 0;
  return copy().erase(name);
}

Headers RequestHeaders::to_headers() const {
  Headers out = current();
  for (const auto& a : added_) out.add(name_of(a), value_of(a));
  return out;
}

}  // namespace tracehop::http
