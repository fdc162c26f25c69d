#include "tracehop/trace/baggage.hpp"

namespace tracehop::trace {

Baggage::Baggage(std::vector<Entry> entries)
    : entries_(entries.empty() ? nullptr
                               : std::make_shared<const std::vector<Entry>>(std::move(entries))) {}

const std::vector<Baggage::Entry>& Baggage::entries() const noexcept {
  static const std::vector<Entry> empty;
  return entries_ ? *entries_ : empty;
}

std::optional<std::string_view> Baggage::get(std::string_view name) const noexcept {
  for (const auto& e : entries())
    if (e.name == name) return std::string_view(e.value);
  return std::nullopt;
}

Baggage Baggage::set(std::string_view name, std::string_view value,
                     std::string_view metadata) const {
  std::vector<Entry> next = entries();
  for (auto& e : next) {
    if (e.name == name) {
      e.value = value;
      e.metadata = metadata;
      return Baggage(std::move(next));
    }
  }
  next.push_back(Entry{std::string(name), std::string(value), std::string(metadata)});
  return Baggage(std::move(next));
}

Baggage Baggage::erase(std::string_view name) const {
  if (!get(name)) return *this;
  std::vector<Entry> next;
  for (const auto& e : entries())
    if (e.name != name) next.push_back(e);
  return Baggage(std::move(next));
}

}  // namespace tracehop::trace
