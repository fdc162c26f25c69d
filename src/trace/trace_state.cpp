#include "tracehop/trace/trace_state.hpp"

#include <algorithm>

#include "internal.hpp"

namespace tracehop::trace {

namespace {

bool is_lcalpha(char c) noexcept { return c >= 'a' && c <= 'z'; }
bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }
bool is_key_char(char c) noexcept {
  return is_lcalpha(c) || is_digit(c) || c == '_' || c == '-' || c == '*' || c == '/' || c == '@';
}

const std::vector<TraceState::Member>& empty_members() {
  static const std::vector<TraceState::Member> empty;
  return empty;
}

}  // namespace

// W3C Trace Context (the current recommendation):
// key = ( lcalpha / DIGIT ) 0*255( keychar )
// keychar = lcalpha / DIGIT / "_" / "-" / "*" / "/" / "@"
// (The older tenant@system form is a special case: "@" may stand anywhere after the first
// character, any number of times.)
bool TraceState::valid_key(std::string_view key) noexcept {
  if (key.empty() || key.size() > 256 || !(is_lcalpha(key[0]) || is_digit(key[0]))) return false;
  return std::all_of(key.begin() + 1, key.end(), is_key_char);
}

// value = 0*255(chr) nblk-chr; chr = %x20 / nblk-chr; nblk-chr = %x21-2B / %x2D-3C / %x3E-7E
bool TraceState::valid_value(std::string_view value) noexcept {
  if (value.empty() || value.size() > 256) return false;
  auto chr = [](char c) { return c >= 0x20 && c <= 0x7e && c != ',' && c != '='; };
  return std::all_of(value.begin(), value.end(), chr) && value.back() != ' ';
}

TraceState::TraceState(std::vector<Member> members)
    : members_(members.empty() ? nullptr
                               : std::make_shared<const std::vector<Member>>(std::move(members))) {}

const std::vector<TraceState::Member>& TraceState::members() const noexcept {
  return members_ ? *members_ : empty_members();
}

std::optional<TraceState> TraceState::parse(std::string_view header) {
  std::vector<Member> members;
  while (true) {
    const auto comma = header.find(',');
    const auto item = detail::trim_ows(header.substr(0, comma));
    if (!item.empty()) {  // empty list members are allowed and skipped
      const auto eq = item.find('=');
      if (eq == std::string_view::npos) return std::nullopt;
      const auto key = item.substr(0, eq), value = item.substr(eq + 1);
      if (!valid_key(key) || !valid_value(value)) return std::nullopt;
      // A repeated key is discarded, as the recommendation allows: the left-most (the most
      // recent) member of that key is the one kept.
      if (std::none_of(members.begin(), members.end(), [&](const Member& m) { return m.first == key; })) {
        if (members.size() == kMaxMembers) return std::nullopt;
        members.emplace_back(std::string(key), std::string(value));
      }
    }
    if (comma == std::string_view::npos) break;
    header.remove_prefix(comma + 1);
  }
  return TraceState(std::move(members));
}

std::string TraceState::to_header() const {
  std::string out;
  for (const auto& [k, v] : members()) {
    if (!out.empty()) out += ',';
    out += k;
    out += '=';
    out += v;
  }
  return out;
}

std::optional<std::string_view> TraceState::get(std::string_view key) const noexcept {
  for (const auto& [k, v] : members())
    if (k == key) return std::string_view(v);
  return std::nullopt;
}

TraceState TraceState::set(std::string_view key, std::string_view value) const {
  if (!valid_key(key) || !valid_value(value)) return *this;
  std::vector<Member> next;
  next.reserve(size() + 1);
  next.emplace_back(std::string(key), std::string(value));
  for (const auto& m : members())
    if (m.first != key && next.size() < kMaxMembers) next.push_back(m);
  return TraceState(std::move(next));
}

TraceState TraceState::erase(std::string_view key) const {
  if (!get(key)) return *this;
  std::vector<Member> next;
  for (const auto& m : members())
    if (m.first != key) next.push_back(m);
  return TraceState(std::move(next));
}

}  // namespace tracehop::trace
