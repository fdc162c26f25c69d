#pragma once
// URLs for the client: parsed and normalised with Boost.URL; anything unusable throws
// InvalidURL before any I/O.

#include <boost/url/url.hpp>
#include <boost/url/url_view.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tracehop::http {

using Url = boost::urls::url;
using QueryParams = std::vector<std::pair<std::string, std::string>>;

/// Parses an absolute http or https URL with a host; normalises it (scheme and host lowercase,
/// percent-encoding made canonical, dot segments removed, empty path made "/"). Throws InvalidURL.
Url parse_url(std::string_view text);
/// Resolves `reference` (absolute, or relative as in a Location header) against `base`.
/// Throws InvalidURL.
Url resolve_url(const Url& base, std::string_view reference);
/// Appends the parameters to the URL's query, percent-encoding names and values.
void append_query(Url& url, const QueryParams& params);

/// What a connection needs from a URL.
struct Origin {
  std::string scheme;  // "http" or "https"
  std::string host;    // without brackets for IPv6
  unsigned short port;
  bool tls() const noexcept { return scheme == "https"; }
  /// `host[:port]` as for the Host header (port left out when it is the scheme's default).
  std::string host_header() const;
  friend bool operator==(const Origin&, const Origin&) = default;
};
Origin origin_of(const Url& url);
/// The request target: path and query.
std::string request_target(const Url& url);

}  // namespace tracehop::http
