#include "server_response.hpp"

#include <boost/json/serialize.hpp>
#include <algorithm>

#include "rfc9110.hpp"

namespace tracehop::http {

ServerResponse ServerResponse::text(int status, std::string body, std::string_view content_type) {
  ServerResponse r;
  r.status = status;
  r.headers.set("Content-Type", content_type);
  r.body = std::move(body);
  return r;
}

ServerResponse ServerResponse::json(int status, const boost::json::value& value) {
  return text(status, boost::json::serialize(value), "application/json");
}

ServerResponse ServerResponse::streamed(int status, BodyStream stream, std::string_view content_type) {
  ServerResponse r;
  r.status = status;
  r.headers.set("Content-Type", content_type);
  r.stream = std::move(stream);
  return r;
}

namespace detail {

namespace {

// Beast keeps a field's name and value lengths in 16 bits.
constexpr std::size_t kMaxFieldBytes = 65'000;

bool digits_only(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// What is wrong with one header field, or "".
std::string field_fault(const Headers::Field& f) {
  const auto& [name, value] = f;
  if (!is_token(name) || name.size() > kMaxFieldBytes)
    return "a header field name that is not an RFC 9110 token (" + std::to_string(name.size()) + " bytes)";
  if (!is_field_value(value)) return "header field '" + name + "' has CR, LF or NUL in its value";
  if (value.size() > kMaxFieldBytes) return "header field '" + name + "' is longer than 65,000 bytes";
  return {};
}

}  // namespace

bool carries_content(std::string_view method, int status) noexcept {
  return method != "HEAD" && status >= 200 && status != 204 && status != 205 && status != 304;
}

ServerResponse internal_server_error() { return ServerResponse::text(500, "internal server error\n"); }

std::string make_sendable(ServerResponse& resp, std::string_view method, int minor_version) {
  std::string fault;
  if (resp.status < 200 || resp.status > 599) {
    fault = "status " + std::to_string(resp.status) + " is not a final status (200-599); answered 500";
  } else {
    for (const auto& f : resp.headers)
      if (fault = field_fault(f); !fault.empty()) {
        fault += "; answered 500";
        break;
      }
  }
  if (!fault.empty()) resp = internal_server_error();

  const int status = resp.status;
  const bool no_content_status = status == 204 || status == 205 || status == 304;
  if (no_content_status && (!resp.body.empty() || resp.stream)) {
    fault = "a " + std::to_string(status) + " response has no content; the handler's body was dropped";
    resp.body.clear();
    resp.stream = nullptr;
  }

  // The framing is the server's: it alone knows what it will send.
  resp.headers.erase("Transfer-Encoding");
  const auto length = resp.headers.first("Content-Length");
  // A HEAD or 304 answer built without a body may state the length of the representation.
  const bool keep_length = length && digits_only(*length) && resp.body.empty() && !resp.stream &&
                           (method == "HEAD" || status == 304);
  if (!keep_length) resp.headers.erase("Content-Length");
  if (status == 204 || status == 304) return fault;  // neither has framing (RFC 9110 8.6)
  if (resp.stream) {
    if (minor_version >= 1) resp.headers.set("Transfer-Encoding", "chunked");  // HTTP/1.0: until close
  } else if (!keep_length) {
    resp.headers.set("Content-Length", std::to_string(resp.body.size()));  // 205: always 0
  }
  return fault;
}

}  // namespace detail
}  // namespace tracehop::http
