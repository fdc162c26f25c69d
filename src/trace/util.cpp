#include <fstream>

#include "internal.hpp"
#include "tracehop/log.hpp"

namespace tracehop::trace::detail {

// baggage-octet = %x21 / %x23-2B / %x2D-3A / %x3C-5B / %x5D-7E
std::string percent_encode_baggage(std::string_view s) {
  static constexpr char digits[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    const bool octet = c == 0x21 || (c >= 0x23 && c <= 0x2B && c != 0x25) ||
                       (c >= 0x2D && c <= 0x3A) || (c >= 0x3C && c <= 0x5B) ||
                       (c >= 0x5D && c <= 0x7E);
    if (octet) {
      out += ch;
    } else {
      out += '%';
      out += digits[c >> 4];
      out += digits[c & 0xf];
    }
  }
  return out;
}

std::string process_name() {
  std::ifstream comm("/proc/self/comm");
  std::string name;
  if (comm && std::getline(comm, name) && !name.empty()) return name;
  return "tracehop";
}

void apply_count_limit(Attributes& attrs, std::size_t limit, std::uint32_t& dropped) {
  if (attrs.size() <= limit) return;
  dropped += static_cast<std::uint32_t>(attrs.size() - limit);
  attrs.erase(attrs.begin() + static_cast<std::ptrdiff_t>(limit), attrs.end());
}

}  // namespace tracehop::trace::detail
