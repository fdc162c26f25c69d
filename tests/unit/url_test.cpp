#include <gtest/gtest.h>

#include "tracehop/http/errors.hpp"
#include "tracehop/http/url.hpp"

using namespace tracehop::http;

TEST(Url, ParsesAndNormalises) {
  auto u = parse_url("HTTP://Inventory:8080/items/../items/SKU%2d9931?q=a%20b#frag");
  EXPECT_EQ(u.buffer(), "http://inventory:8080/items/SKU-9931?q=a%20b");
  auto o = origin_of(u);
  EXPECT_EQ(o, (Origin{"http", "inventory", 8080}));
  EXPECT_EQ(request_target(u), "/items/SKU-9931?q=a%20b");
  EXPECT_EQ(o.host_header(), "inventory:8080");
}

TEST(Url, DefaultPortsAndEmptyPath) {
  auto u = parse_url("https://example.test");
  EXPECT_EQ(request_target(u), "/");
  auto o = origin_of(u);
  EXPECT_EQ(o.port, 443);
  EXPECT_TRUE(o.tls());
  EXPECT_EQ(o.host_header(), "example.test");
}

TEST(Url, Ipv6Literal) {
  auto o = origin_of(parse_url("http://[::1]:9000/x"));
  EXPECT_EQ(o.host, "::1");
  EXPECT_EQ(o.port, 9000);
  EXPECT_EQ(o.host_header(), "[::1]:9000");
}

TEST(Url, InvalidUrlsThrowBeforeAnyIo) {
  for (const char* bad : {"", "inventory:8080/items", "ftp://host/x", "http://", "http://host:0/",
                          "http://host:99999/", "http://host:port/", "http://ho st/", "/relative",
                          "http://[::1]:9kkk000/kkk", "http://h:80x/y"}) {
    EXPECT_THROW(parse_url(bad), InvalidURL) << bad;
  }
  try {
    parse_url("ftp://host/x");
  } catch (const InvalidURL& e) {
    EXPECT_EQ(e.url(), "ftp://host/x");
    EXPECT_NE(std::string(e.what()).find("scheme 'ftp'"), std::string::npos) << e.what();
    EXPECT_EQ(e.code(), errc::invalid_url);
  }
}

// The reason is one a user can act on, never the parser's own word ("mismatch", "leftover").
TEST(Url, AnInvalidUrlSaysWhyInPlainWords) {
  const std::pair<const char*, const char*> cases[] = {
      {"", "empty"},
      {"example.com/x", "no scheme (expected http:// or https://)"},
      {"localhost:8080/x", "no scheme (expected http:// or https://)"},
      {"http://a b/", "' ' at offset 8 is not allowed in a URL (percent-encode it as %20)"},
      {"http://h/a\"b", "'\"' at offset 10 is not allowed in a URL (percent-encode it as %22)"},
      {"http://h/\xC3\xA9", "byte C3 at offset 9 is not allowed in a URL (percent-encode it as %C3)"},
      {"http://h/%zz", "'%' at offset 9 is not followed by two hex digits"},
      {"http://[::1/", "the host's IP address in [] is not valid"},
      {"http://h:port/", "port 'port' is not a number"},
      {"http://h:99999/", "port '99999' is not in 1-65535"},
      {"http:///x", "no host"},
  };
  for (const auto& [text, why] : cases) {
    try {
      parse_url(text);
      ADD_FAILURE() << text << " parsed";
    } catch (const InvalidURL& e) {
      EXPECT_EQ(std::string(e.what()), "invalid URL '" + std::string(text) + "': " + why);
    }
  }
  try {
    resolve_url(parse_url("http://h/"), "/a b");
    ADD_FAILURE() << "resolved";
  } catch (const InvalidURL& e) {  // a relative reference needs no scheme
    EXPECT_EQ(std::string(e.what()), "invalid URL '/a b': ' ' at offset 2 is not allowed in a URL (percent-encode it as %20)");
  }
}

TEST(Url, QueryParamsArePercentEncoded) {
  auto u = parse_url("http://h/search?x=1");
  append_query(u, {{"q", "a b&c=d"}, {"lang", "日本"}});
  // '=' may stand in a value (a query splits a pair at its first '='); '&' may not.
  EXPECT_EQ(request_target(u), "/search?x=1&q=a%20b%26c=d&lang=%E6%97%A5%E6%9C%AC");
  auto params = u.params();
  EXPECT_EQ((*params.find("q")).value, "a b&c=d");
}

TEST(Url, ResolvesRelativeAndAbsoluteReferences) {
  auto base = parse_url("http://h:8080/a/b/c?x=1");
  EXPECT_EQ(resolve_url(base, "d").buffer(), "http://h:8080/a/b/d");
  EXPECT_EQ(resolve_url(base, "/root").buffer(), "http://h:8080/root");
  EXPECT_EQ(resolve_url(base, "../up?y=2").buffer(), "http://h:8080/a/up?y=2");
  EXPECT_EQ(resolve_url(base, "https://other/z").buffer(), "https://other/z");
  EXPECT_THROW(resolve_url(base, "ftp://x/"), InvalidURL);
}

TEST(Errors, HierarchyAndMessages) {
  ClientSSLError ssl(make_error_code(errc::tls_failed), "::1", 8443, "certificate verify failed");
  const ClientConnectorError& as_connector = ssl;
  EXPECT_EQ(as_connector.port(), 8443);
  EXPECT_NE(std::string(ssl.what()).find("[::1]:8443"), std::string::npos) << ssl.what();
  ConnectionTimeoutError t(TimeoutKind::Connect, "127.0.0.1:9");
  const ServerTimeoutError& as_timeout = t;
  EXPECT_EQ(as_timeout.timeout_kind(), TimeoutKind::Connect);
  EXPECT_NE(std::string(t.what()).find("connect timeout"), std::string::npos);
  TooManyRedirects r(302, "http://h/loop", 10);
  const ClientResponseError& as_response = r;
  EXPECT_EQ(as_response.status(), 302);
  EXPECT_EQ(r.code(), errc::too_many_redirects);
  EXPECT_EQ(std::string(ClientResponseError(503, "Service Unavailable", "http://h/x").what()),
            "503 Service Unavailable, url='http://h/x'");
}
