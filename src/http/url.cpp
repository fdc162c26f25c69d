#include "tracehop/http/url.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <optional>
#include <boost/url/parse.hpp>
#include <boost/url/params_view.hpp>

#include "tracehop/http/errors.hpp"

namespace tracehop::http {

namespace {

// Why Boost.URL refused `text`, in words a user can act on (its own messages are the parser's:
// "mismatch", "leftover", "need more").
std::string why_not_a_url(std::string_view text, bool absolute) {
  if (text.empty()) return "empty";
  const auto scheme_end = text.find("://");
  if (absolute && (scheme_end == std::string_view::npos || scheme_end == 0))
    return "no scheme (expected http:// or https://)";
  constexpr std::string_view kAllowed = "-._~:/?#[]@!$&'()*+,;=%";
  for (std::size_t i = 0; i < text.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    const bool hex_next = i + 2 < text.size() && std::isxdigit(static_cast<unsigned char>(text[i + 1])) &&
                          std::isxdigit(static_cast<unsigned char>(text[i + 2]));
    if (c == '%' && !hex_next) return "'%' at offset " + std::to_string(i) + " is not followed by two hex digits";
    if (!std::isalnum(c) && kAllowed.find(static_cast<char>(c)) == std::string_view::npos) {
      char escaped[4];
      std::snprintf(escaped, sizeof escaped, "%%%02X", c);
      const std::string shown = c >= 0x20 && c < 0x7f ? "'" + std::string(1, static_cast<char>(c)) + "'" : "byte " + std::string(escaped + 1);
      return shown + " at offset " + std::to_string(i) + " is not allowed in a URL (percent-encode it as " + escaped + ")";
    }
  }
  if (text.find('[') != std::string_view::npos) return "the host's IP address in [] is not valid";
  return "not a URL (RFC 3986)";
}

// The port as written in `text` (Boost.URL 1.81 reads "h:port/x" as host h, no port, path
// "port/x"), when the authority has one.
std::optional<std::string_view> written_port(std::string_view text) {
  const auto start = text.find("://");
  if (start == std::string_view::npos) return std::nullopt;
  std::string_view authority = text.substr(start + 3);
  authority = authority.substr(0, authority.find_first_of("/?#"));
  authority = authority.substr(authority.find('@') == std::string_view::npos ? 0 : authority.find('@') + 1);
  const auto colon = authority.rfind(':');
  if (colon == std::string_view::npos || authority.find(']', colon) != std::string_view::npos) return std::nullopt;
  return authority.substr(colon + 1);
}

void validate(const Url& u, std::string_view text) {
  const auto scheme = u.scheme_id();
  if (scheme != boost::urls::scheme::http && scheme != boost::urls::scheme::https)
    throw InvalidURL(std::string(text), u.has_scheme() && text.find("://") != std::string_view::npos
                                            ? "scheme '" + std::string(u.scheme()) + "' is not http or https"
                                            : "no scheme (expected http:// or https://)");
  if (!u.has_authority() || u.encoded_host().empty())
    throw InvalidURL(std::string(text), "no host");
  // After an authority a path is empty or begins with '/'. (Boost.URL 1.81 lets
  // "http://h:9x/y" through as port 9 and path "x/y": found by fuzz/url.cpp.)
  if (const auto path = u.encoded_path(); !path.empty() && path.front() != '/') {
    const auto port = written_port(text);
    throw InvalidURL(std::string(text), port ? "port '" + std::string(*port) + "' is not a number"
                                             : "junk after the host and port");
  }
  if (u.has_port()) {
    const std::string_view port = u.port();
    unsigned long value = 0;
    const bool digits = !port.empty() && port.size() <= 5 &&
                        std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (digits) value = std::stoul(std::string(port));
    if (!digits || value == 0 || value > 65535)
      throw InvalidURL(std::string(text), "port '" + std::string(port) + "' is not in 1-65535");
  }
}

// Whether normalize() could change anything: uppercase in scheme or host, any escape, or a
// dot segment. Most URLs a service calls are already normal, and Boost.URL's normalize() is
// a tenth of a keep-alive request's client CPU.
bool maybe_unnormal(const Url& u) {
  auto has_upper = [](std::string_view s) {
    return std::any_of(s.begin(), s.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
  };
  if (has_upper(u.scheme()) || has_upper(u.encoded_host()) || u.encoded_host().find('%') != std::string_view::npos)
    return true;
  const std::string_view path = u.encoded_path();
  if (path.find('%') != std::string_view::npos || path.find("/.") != std::string_view::npos) return true;
  return u.encoded_query().find('%') != std::string_view::npos;
}

void normalise(Url& u) {
  if (maybe_unnormal(u)) u.normalize();
  if (u.encoded_path().empty()) u.set_path_absolute(true);
  if (u.has_fragment()) u.remove_fragment();  // fragments never go on the wire
}

}  // namespace

Url parse_url(std::string_view text) {
  auto parsed = boost::urls::parse_uri(text);
  if (!parsed) throw InvalidURL(std::string(text), why_not_a_url(text, true));
  Url u(*parsed);
  validate(u, text);
  normalise(u);
  return u;
}

Url resolve_url(const Url& base, std::string_view reference) {
  auto ref = boost::urls::parse_uri_reference(reference);
  if (!ref) throw InvalidURL(std::string(reference), why_not_a_url(reference, false));
  Url out;
  auto r = boost::urls::resolve(base, *ref, out);
  if (!r) throw InvalidURL(std::string(reference), r.error().message());
  validate(out, reference);
  normalise(out);
  return out;
}

void append_query(Url& url, const QueryParams& params) {
  auto p = url.params();
  for (const auto& [k, v] : params) p.append({k, v});
}

std::string Origin::host_header() const {
  std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  const unsigned short default_port = tls() ? 443 : 80;
  if (port != default_port) {  // (appended piece by piece: g++ 12 -O3 warns -Wrestrict, wrongly, on ":" + s)
    h += ':';
    h += std::to_string(port);
  }
  return h;
}

Origin origin_of(const Url& url) {
  Origin o;
  o.scheme = url.scheme_id() == boost::urls::scheme::https ? "https" : "http";
  if (url.host_type() == boost::urls::host_type::ipv6) {
    o.host = url.host_ipv6_address().to_string();
  } else {
    o.host = url.host();  // decoded
  }
  o.port = url.has_port() ? url.port_number() : (o.tls() ? 443 : 80);
  return o;
}

std::string request_target(const Url& url) {
  std::string t(url.encoded_path());
  if (t.empty()) t.push_back('/');  // (not = "/": a false g++ 12 -Wrestrict at -O3)
  if (url.has_query()) {
    t += '?';
    t += url.encoded_query();
  }
  return t;
}

}  // namespace tracehop::http
