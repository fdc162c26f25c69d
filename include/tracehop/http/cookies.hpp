#pragma once
// A cookie jar for ClientSession (RFC 6265: host-only and domain cookies, Path, Secure,
// Max-Age and Expires). Off unless a session is given one.

#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tracehop/http/headers.hpp"
#include "tracehop/http/url.hpp"

namespace tracehop::http {

/// Thread-safe; one jar may serve several sessions.
class CookieJar {
 public:
  struct Cookie {
    std::string name, value;
    std::string domain;  // lowercase, no leading dot
    bool host_only = true;
    std::string path = "/";
    bool secure = false;
    std::optional<std::chrono::system_clock::time_point> expires;  // none: a session cookie
  };

  /// Takes the Set-Cookie fields of a response to `url`. Malformed cookies, and cookies for a
  /// domain the URL's host does not belong to, are ignored (RFC 6265 §5.3).
  void update(const Url& url, const Headers& response_headers);
  /// The Cookie header value for a request to `url` ("" if none): matching domain and path,
  /// Secure ones only over https, not expired; longer paths first.
  std::string header_for(const Url& url) const;

  std::vector<Cookie> cookies() const;
  std::size_t size() const;
  void clear();

 private:
  void set(Cookie c, std::chrono::system_clock::time_point now);
  mutable std::mutex mu_;
  std::vector<Cookie> cookies_;
};

}  // namespace tracehop::http
