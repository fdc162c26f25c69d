#pragma once
// W3C tracestate: an ordered list of at most 32 vendor key/value members.

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tracehop::trace {

/// Immutable, cheap to copy (one shared pointer). Mutators return a new TraceState and leave
/// this one as it was; an invalid key or value makes the mutator return the state unchanged.
class TraceState {
 public:
  static constexpr std::size_t kMaxMembers = 32;
  using Member = std::pair<std::string, std::string>;

  TraceState() noexcept = default;

  /// Parses a tracestate header value (several header lines joined with ','). Empty members
  /// and optional white space around members are allowed; of members with the same key only
  /// the left-most is kept. Any invalid member or more than 32 distinct members makes the whole
  /// header invalid: nullopt.
  static std::optional<TraceState> parse(std::string_view header);

  /// The header value, members in order, joined with ','.
  std::string to_header() const;

  std::optional<std::string_view> get(std::string_view key) const noexcept;
  bool empty() const noexcept { return !members_ || members_->empty(); }
  std::size_t size() const noexcept { return members_ ? members_->size() : 0; }
  const std::vector<Member>& members() const noexcept;

  /// Adds or updates `key`; the member moves to the front (the W3C rule for the vendor that
  /// writes the current traceparent). With 32 members already, the right-most is dropped.
  TraceState set(std::string_view key, std::string_view value) const;
  TraceState erase(std::string_view key) const;

  /// The current W3C grammar: a lower-case letter or digit, then up to 255 of a-z 0-9 _ - * / @.
  static bool valid_key(std::string_view key) noexcept;
  static bool valid_value(std::string_view value) noexcept;

  friend bool operator==(const TraceState& a, const TraceState& b) noexcept {
    return a.members() == b.members();
  }

 private:
  explicit TraceState(std::vector<Member> members);
  std::shared_ptr<const std::vector<Member>> members_;
};

}  // namespace tracehop::trace
