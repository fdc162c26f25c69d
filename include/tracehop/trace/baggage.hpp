#pragma once
// Baggage: user-defined name/value pairs that travel with the context (W3C Baggage).

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tracehop::trace {

/// Immutable and cheap to copy; set() and erase() return a new Baggage. Names are
/// case-sensitive; setting an existing name replaces its value and metadata.
class Baggage {
 public:
  struct Entry {
    std::string name;
    std::string value;     // decoded (not percent-encoded)
    std::string metadata;  // the `;property` part, opaque, as received
    friend bool operator==(const Entry&, const Entry&) = default;
  };

  Baggage() noexcept = default;

  std::optional<std::string_view> get(std::string_view name) const noexcept;
  Baggage set(std::string_view name, std::string_view value, std::string_view metadata = {}) const;
  Baggage erase(std::string_view name) const;
  const std::vector<Entry>& entries() const noexcept;
  std::size_t size() const noexcept { return entries_ ? entries_->size() : 0; }
  bool empty() const noexcept { return size() == 0; }

  friend bool operator==(const Baggage& a, const Baggage& b) noexcept {
    return a.entries() == b.entries();
  }

 private:
  explicit Baggage(std::vector<Entry> entries);
  std::shared_ptr<const std::vector<Entry>> entries_;
};

}  // namespace tracehop::trace
