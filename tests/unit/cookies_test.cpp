#include <gtest/gtest.h>

#include "tracehop/http/cookies.hpp"

using namespace tracehop::http;

namespace {
Headers set_cookie(std::initializer_list<const char*> values) {
  Headers h;
  for (const char* v : values) h.add("Set-Cookie", v);
  return h;
}
}  // namespace

TEST(CookieJar, HostOnlyCookiesGoBackToTheSameHostOnly) {
  CookieJar jar;
  jar.update(parse_url("http://shop.example/cart/add"), set_cookie({"session=abc; HttpOnly", "theme=\"dark\""}));
  EXPECT_EQ(jar.size(), 2u);
  EXPECT_EQ(jar.header_for(parse_url("http://shop.example/cart/view")), "session=abc; theme=dark");
  EXPECT_EQ(jar.header_for(parse_url("http://other.example/cart/view")), "");
  EXPECT_EQ(jar.header_for(parse_url("http://sub.shop.example/cart/view")), "");  // host-only
}

TEST(CookieJar, DomainCookiesReachSubdomainsAndForeignDomainsAreRefused) {
  CookieJar jar;
  jar.update(parse_url("http://www.example.test/"), set_cookie({"a=1; Domain=.example.test; Path=/", "evil=1; Domain=attacker.test"}));
  EXPECT_EQ(jar.size(), 1u);
  EXPECT_EQ(jar.header_for(parse_url("http://api.example.test/x")), "a=1");
  EXPECT_EQ(jar.header_for(parse_url("http://example.test/x")), "a=1");
  EXPECT_EQ(jar.header_for(parse_url("http://notexample.test/x")), "");
}

TEST(CookieJar, PathSecureAndOrdering) {
  CookieJar jar;
  jar.update(parse_url("https://h.test/account/login"),
             set_cookie({"short=1; Path=/", "long=2; Path=/account", "dflt=3", "sec=4; Secure"}));
  // dflt and sec have the default path, /account: longer paths come first.
  EXPECT_EQ(jar.header_for(parse_url("https://h.test/account/settings")), "long=2; dflt=3; sec=4; short=1");
  EXPECT_EQ(jar.header_for(parse_url("http://h.test/account/settings")), "long=2; dflt=3; short=1");  // no Secure over http
  EXPECT_EQ(jar.header_for(parse_url("https://h.test/accountant")), "short=1");  // /account is not a prefix segment
}

TEST(CookieJar, MaxAgeZeroAndPastExpiresDelete) {
  CookieJar jar;
  const auto url = parse_url("http://h.test/");
  jar.update(url, set_cookie({"a=1", "b=2", "c=3; Max-Age=3600"}));
  jar.update(url, set_cookie({"a=gone; Max-Age=0", "b=gone; Expires=Wed, 21 Oct 2015 07:28:00 GMT"}));
  EXPECT_EQ(jar.header_for(url), "c=3");
  jar.update(url, set_cookie({"c=new"}));  // same name, domain and path: replaced
  EXPECT_EQ(jar.header_for(url), "c=new");
}

TEST(CookieJar, MalformedCookiesAreIgnored) {
  CookieJar jar;
  jar.update(parse_url("http://h.test/"), set_cookie({"novalue", "=nameless", "ok=1; Max-Age=abc"}));
  EXPECT_EQ(jar.header_for(parse_url("http://h.test/")), "ok=1");
}

TEST(CookieJar, LifetimesAreCappedAt400Days) {
  CookieJar jar;
  const auto url = parse_url("http://h.test/");
  jar.update(url, set_cookie({"a=1; Max-Age=99999999999999", "b=2; Expires=Fri, 01 Jan 9999 00:00:00 GMT",
                              "c=3; Expires=Thu, 01 Jan 1000 00:00:00 GMT"}));
  EXPECT_EQ(jar.header_for(url), "a=1; b=2");  // c was already expired: not kept
  const auto limit = std::chrono::system_clock::now() + std::chrono::hours(24 * 401);
  for (const auto& c : jar.cookies()) {
    ASSERT_TRUE(c.expires);
    EXPECT_LT(*c.expires, limit) << c.name;
  }
}
