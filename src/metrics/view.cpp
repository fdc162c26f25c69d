// Views' selection, and the specification's rules for instrument names, units and boundaries.

#include <cmath>

#include "common/text.hpp"
#include "provider.hpp"
#include "tracehop/log.hpp"

namespace tracehop::metrics::detail {

bool wildcard_match(std::string_view pattern, std::string_view name) noexcept {
  // Iterative, with one backtrack point: the last `*` seen.
  std::size_t p = 0, n = 0, star = std::string_view::npos, resume = 0;
  while (n < name.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || tracehop::detail::ascii_lower(pattern[p]) ==
                                                        tracehop::detail::ascii_lower(name[n]))) {
      ++p;
      ++n;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      resume = n;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      n = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

bool valid_view(const View& v) {
  const bool wildcard = v.selector.name.find_first_of("*?") != std::string::npos;
  if (wildcard && !v.name.empty()) {
    log_error("a view that renames to '" + v.name + "' must select one instrument, but its selector '" +
              v.selector.name + "' has a wildcard: the view is ignored");
    return false;
  }
  if (!v.name.empty() && !valid_name(v.name)) return false;
  if (v.boundaries && !valid_boundaries(*v.boundaries)) {
    log_error("a view's bucket boundaries must be strictly increasing and finite: the view for '" + v.selector.name +
              "' is ignored");
    return false;
  }
  if (v.cardinality_limit && *v.cardinality_limit < 2) {
    log_error("a view's cardinality limit must be at least 2 (a series and the overflow one): the view for '" +
              v.selector.name + "' is ignored");
    return false;
  }
  return true;
}

bool selects(const View& v, const InstrumentDescriptor& d, const trace::InstrumentationScope& scope) {
  const auto& s = v.selector;
  return wildcard_match(s.name, d.name) && (!s.kind || *s.kind == d.kind) && (!s.unit || *s.unit == d.unit) &&
         (!s.meter_name || *s.meter_name == scope.name);
}

bool valid_name(std::string_view name) {
  auto ok_char = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
           c == '-' || c == '/';
  };
  bool ok = !name.empty() && name.size() <= 255 && ((name[0] >= 'a' && name[0] <= 'z') || (name[0] >= 'A' && name[0] <= 'Z'));
  for (char c : name) ok = ok && ok_char(c);
  if (!ok)
    log_error(std::string(name).append(
        ": not a valid instrument name (a letter, then up to 254 letters, digits, '_', '.', '-' or '/'): "
        "the instrument records nothing"));
  return ok;
}

bool valid_unit(std::string_view unit) {
  bool ok = unit.size() <= 63;
  for (char c : unit) ok = ok && static_cast<unsigned char>(c) >= 0x20 && static_cast<unsigned char>(c) < 0x7f;
  if (!ok)
    log_error(std::string(unit).append(": not a valid unit (at most 63 printable ASCII characters): the instrument records nothing"));
  return ok;
}

bool valid_boundaries(const std::vector<double>& b) {
  for (std::size_t i = 0; i < b.size(); ++i)
    if (!std::isfinite(b[i]) || (i > 0 && !(b[i - 1] < b[i]))) return false;
  return true;
}

}  // namespace tracehop::metrics::detail
