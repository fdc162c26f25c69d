#include "tracehop/http/cookies.hpp"

#include "rfc9110.hpp"

#include <boost/asio/ip/address.hpp>
#include <algorithm>
#include <ctime>

namespace tracehop::http {

namespace {

using detail::ascii_lower;
using detail::trim_ows;

using SysClock = std::chrono::system_clock;

bool is_ip(std::string_view host) {
  boost::system::error_code ec;
  boost::asio::ip::make_address(std::string(host), ec);
  return !ec;
}

// RFC 6265 §5.1.3.
bool domain_match(std::string_view host, std::string_view domain) {
  if (host == domain) return true;
  return host.size() > domain.size() && host.ends_with(domain) && host[host.size() - domain.size() - 1] == '.' &&
         !is_ip(host);
}

// RFC 6265 §5.1.4.
bool path_match(std::string_view request_path, std::string_view cookie_path) {
  if (request_path == cookie_path) return true;
  if (!request_path.starts_with(cookie_path)) return false;
  return cookie_path.back() == '/' || request_path[cookie_path.size()] == '/';
}

std::string default_path(std::string_view request_path) {
  if (request_path.empty() || request_path.front() != '/') return "/";
  const auto slash = request_path.rfind('/');
  return slash == 0 ? "/" : std::string(request_path.substr(0, slash));
}

// RFC 6265bis: no cookie lives longer than 400 days (which also keeps the arithmetic below in
// range whatever a server sends).
constexpr std::chrono::seconds kMaxLifetime{400LL * 24 * 3600};

// Expires in the IMF-fixdate form servers send ("Wed, 21 Oct 2015 07:28:00 GMT"), capped.
std::optional<SysClock::time_point> parse_http_date(std::string_view text, SysClock::time_point now) {
  const auto when = detail::parse_imf_fixdate(text);
  if (!when) return std::nullopt;
  const std::time_t t = *when;
  const std::time_t now_s = SysClock::to_time_t(now);
  if (t <= now_s) return SysClock::time_point::min();  // in the past: a deletion
  return SysClock::from_time_t(now_s) + std::min<std::chrono::seconds>(std::chrono::seconds(t - now_s), kMaxLifetime);
}

}  // namespace

void CookieJar::update(const Url& url, const Headers& response_headers) {
  const auto origin = origin_of(url);
  const std::string host = ascii_lower(origin.host);
  const auto now = SysClock::now();
  for (const auto value : response_headers.all("Set-Cookie")) {
    std::string_view rest = value;
    const auto semi = rest.find(';');
    const auto pair = trim_ows(rest.substr(0, semi));
    rest = semi == std::string_view::npos ? std::string_view{} : rest.substr(semi + 1);
    const auto eq = pair.find('=');
    if (eq == std::string_view::npos) continue;
    Cookie c;
    c.name = std::string(trim_ows(pair.substr(0, eq)));
    std::string_view v = trim_ows(pair.substr(eq + 1));
    if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
    c.value = std::string(v);
    if (c.name.empty()) continue;
    c.domain = host;
    c.path = default_path(url.encoded_path());
    std::optional<SysClock::time_point> max_age_expiry, expires;
    bool reject = false;
    while (!rest.empty()) {
      const auto next = rest.find(';');
      const auto attr = trim_ows(rest.substr(0, next));
      rest = next == std::string_view::npos ? std::string_view{} : rest.substr(next + 1);
      const auto aeq = attr.find('=');
      const std::string name = ascii_lower(trim_ows(attr.substr(0, aeq)));
      const std::string_view val = aeq == std::string_view::npos ? std::string_view{} : trim_ows(attr.substr(aeq + 1));
      if (name == "domain" && !val.empty()) {
        std::string d = ascii_lower(val);
        if (d.front() == '.') d.erase(0, 1);
        if (!domain_match(host, d)) reject = true;  // a cookie for someone else's domain
        c.domain = d;
        c.host_only = false;
      } else if (name == "path" && !val.empty() && val.front() == '/') {
        c.path = std::string(val);
      } else if (name == "secure") {
        c.secure = true;
      } else if (name == "max-age") {
        try {
          const long long secs = std::stoll(std::string(val));
          max_age_expiry = secs <= 0 ? SysClock::time_point::min()
                                     : now + std::min(std::chrono::seconds(secs), kMaxLifetime);
        } catch (...) {
        }
      } else if (name == "expires") {
        expires = parse_http_date(val, now);
      }
    }
    if (reject) continue;
    c.expires = max_age_expiry ? max_age_expiry : expires;  // Max-Age wins over Expires
    set(std::move(c), now);
  }
}

void CookieJar::set(Cookie c, SysClock::time_point now) {
  std::lock_guard lk(mu_);
  std::erase_if(cookies_, [&](const Cookie& o) {
    return o.name == c.name && o.domain == c.domain && o.path == c.path;
  });
  if (c.expires && *c.expires <= now) return;  // expired: that was a deletion
  cookies_.push_back(std::move(c));
}

std::string CookieJar::header_for(const Url& url) const {
  const auto origin = origin_of(url);
  const std::string host = ascii_lower(origin.host);
  std::string path(url.encoded_path());
  if (path.empty()) path.push_back('/');  // (not = "/": a false g++ 12 -Wrestrict at -O3)
  const auto now = SysClock::now();
  std::vector<const Cookie*> matching;
  std::lock_guard lk(mu_);
  for (const auto& c : cookies_) {
    if (c.expires && *c.expires <= now) continue;
    if (c.host_only ? host != c.domain : !domain_match(host, c.domain)) continue;
    if (!path_match(path, c.path)) continue;
    if (c.secure && !origin.tls()) continue;
    matching.push_back(&c);
  }
  std::stable_sort(matching.begin(), matching.end(),
                   [](const Cookie* a, const Cookie* b) { return a->path.size() > b->path.size(); });
  std::string out;
  for (const auto* c : matching) {
    if (!out.empty()) out += "; ";
    out += c->name + "=" + c->value;
  }
  return out;
}

std::vector<CookieJar::Cookie> CookieJar::cookies() const {
  std::lock_guard lk(mu_);
  return cookies_;
}

std::size_t CookieJar::size() const {
  std::lock_guard lk(mu_);
  return cookies_.size();
}

void CookieJar::clear() {
  std::lock_guard lk(mu_);
  cookies_.clear();
}

}  // namespace tracehop::http
