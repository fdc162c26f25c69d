#include "routes.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <algorithm>
#include <charconv>
#include <cstdint>
#include <functional>

namespace tracehop::cli {

namespace {

namespace asio = boost::asio;
namespace json = boost::json;
using http::ServerRequest;
using http::ServerResponse;

std::optional<long> number(std::string_view text) {
  long n = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return n;
}

ServerResponse bad_request(std::string why) { return ServerResponse::json(400, {{"error", std::move(why)}}); }

asio::awaitable<ServerResponse> item(ServerRequest& r) {
  const std::string sku = r.param("sku");
  // A stable made-up price per SKU.
  const auto cents = static_cast<std::int64_t>(std::hash<std::string>{}(sku) % 9000 + 999);
  co_return ServerResponse::json(200, {{"sku", sku}, {"name", "Item " + sku}, {"price_cents", cents}, {"in_stock", true}});
}

asio::awaitable<ServerResponse> status(ServerRequest& r) {
  const auto code = number(r.param("code"));
  if (code && *code >= 100 && *code < 200)
    co_return bad_request("status " + std::to_string(*code) + " is informational (1xx), not a final status: use 200-599");
  if (!code || *code < 200 || *code > 599) co_return bad_request("status code must be 200-599");
  // 204, 205 and 304 carry no content (RFC 9110).
  const bool empty = *code == 204 || *code == 205 || *code == 304;
  co_return ServerResponse::text(static_cast<int>(*code), empty ? "" : "status " + std::to_string(*code) + "\n");
}

asio::awaitable<ServerResponse> delay(ServerRequest& r) {
  const auto ms = number(r.param("ms"));
  if (!ms || *ms < 0 || *ms > 60'000) co_return bad_request("delay must be 0-60000 ms");
  asio::steady_timer timer(co_await asio::this_coro::executor, std::chrono::milliseconds(*ms));
  co_await timer.async_wait(asio::use_awaitable);
  co_return ServerResponse::json(200, {{"delayed_ms", *ms}});
}

// Whether `s` is well-formed UTF-8 (RFC 3629: no overlong forms, surrogates or values above
// U+10FFFF): JSON strings must be.
bool is_utf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = 0;
    unsigned lo = 0x80, hi = 0xBF;  // the allowed range of the second byte
    if (c < 0x80) n = 0;
    else if (c >= 0xC2 && c <= 0xDF) n = 1;
    else if (c >= 0xE0 && c <= 0xEF) n = 2, lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
    else if (c >= 0xF0 && c <= 0xF4) n = 3, lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
    else return false;
    if (i + n >= s.size()) return false;  // cut short
    for (std::size_t k = 1; k <= n; ++k) {
      const auto b = static_cast<unsigned char>(s[i + k]);
      if (b < (k == 1 ? lo : 0x80) || b > (k == 1 ? hi : 0xBF)) return false;
    }
    i += n + 1;
  }
  return true;
}

std::string base64(std::string_view bytes) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  for (std::size_t i = 0; i < bytes.size(); i += 3) {
    const std::size_t n = std::min<std::size_t>(3, bytes.size() - i);
    std::uint32_t v = 0;
    for (std::size_t k = 0; k < 3; ++k) v = v << 8 | (k < n ? static_cast<unsigned char>(bytes[i + k]) : 0u);
    for (std::size_t k = 0; k < 4; ++k) out += k <= n ? kAlphabet[v >> (18 - 6 * k) & 63] : '=';
  }
  return out;
}

// A header value as a JSON string: bytes above 0x7F that are not UTF-8 are obs-text, read as
// ISO-8859-1 as HTTP historically did (RFC 9110, 5.5).
json::string header_text(std::string_view value) {
  if (is_utf8(value)) return json::string(value);
  json::string out;
  for (const char ch : value) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x80) {
      out.push_back(ch);
    } else {
      out.push_back(static_cast<char>(0xC0 | c >> 6));
      out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    }
  }
  return out;
}

// The request as JSON, whatever its bytes: a body that is not UTF-8 comes as "body_base64".
asio::awaitable<ServerResponse> echo(ServerRequest& r) {
  json::array headers;
  for (const auto& [name, value] : r.headers) headers.push_back(json::array{json::string(name), header_text(value)});
  json::object answer{{"method", r.method}, {"path", r.path}, {"headers", std::move(headers)}};
  if (is_utf8(r.body))
    answer["body"] = r.body;
  else
    answer["body_base64"] = base64(r.body);
  co_return ServerResponse::json(200, answer);
}

// The W3C trace-context test service: POST each element's `arguments` to its `url`, in order,
// from inside this request's SERVER span, then answer.
asio::awaitable<ServerResponse> test_service(ServerRequest& r, http::ClientSession& session) {
  boost::system::error_code ec;
  const json::value body = json::parse(r.body, ec);
  if (ec || !body.is_array()) co_return bad_request("expected a JSON array of {\"url\", \"arguments\"}");
  for (const auto& step : body.get_array()) {
    const auto* object = step.if_object();
    const auto* url = object ? object->if_contains("url") : nullptr;
    if (!url || !url->is_string()) co_return bad_request("each element needs a string \"url\"");
  }
  json::array failures;
  for (const auto& step : body.get_array()) {
    const auto& object = step.get_object();
    const std::string url(object.at("url").get_string());
    http::RequestOptions o;
    const auto* arguments = object.if_contains("arguments");
    o.json = arguments ? *arguments : json::value(json::array{});
    try {
      auto resp = co_await session.post(url, o);
      co_await resp.read();
    } catch (const http::ClientError& e) {
      failures.push_back(json::object{{"url", url}, {"error", e.what()}});
    }
  }
  if (!failures.empty()) co_return ServerResponse::json(502, {{"failures", std::move(failures)}});
  co_return ServerResponse::json(200, {{"calls", body.get_array().size()}});
}

}  // namespace

void add_serve_routes(http::Server& server, http::ClientSession& session) {
  server.route("GET", "/items/{sku}", item);
  server.route("GET", "/status/{code}", status);
  server.route("GET", "/delay/{ms}", delay);
  server.route("GET", "/echo", echo);
  server.route("POST", "/echo", echo);
  server.route("POST", "/test", [&session](ServerRequest& r) { return test_service(r, session); });
}

}  // namespace tracehop::cli
