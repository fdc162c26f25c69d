#include "tracehop/http/errors.hpp"

#include <boost/asio/error.hpp>

namespace tracehop::http {

namespace {

class Category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "tracehop.http"; }
  std::string message(int c) const override {
    switch (static_cast<errc>(c)) {
      case errc::invalid_url: return "invalid URL";
      case errc::connect_failed: return "cannot connect";
      case errc::tls_failed: return "TLS failed";
      case errc::server_disconnected: return "server disconnected";
      case errc::timeout: return "timeout";
      case errc::bad_status: return "error status";
      case errc::too_many_redirects: return "too many redirects";
      case errc::malformed_response: return "malformed response";
      case errc::payload: return "bad payload";
      case errc::session_closed: return "session closed";
      case errc::invalid_header: return "invalid header";
    }
    return "unknown error";
  }
};

std::string endpoint(const std::string& host, unsigned short port) {
  // IPv6 literals are bracketed so the port stays readable.
  return (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

}  // namespace

const std::error_category& http_category() noexcept {
  static const Category c;
  return c;
}

const char* to_string(TimeoutKind k) noexcept {
  switch (k) {
    case TimeoutKind::Total: return "total";
    case TimeoutKind::Connect: return "connect";
    case TimeoutKind::SockConnect: return "sock_connect";
    case TimeoutKind::SockRead: return "sock_read";
  }
  return "total";
}

ClientConnectorError::ClientConnectorError(std::error_code code, std::string host,
                                           unsigned short port, const std::string& cause)
    : ClientConnectorError(code, std::move(host), port, "cannot connect to ", cause) {}

ClientConnectorError::ClientConnectorError(std::error_code code, std::string host,
                                           unsigned short port, const std::string& prefix,
                                           const std::string& cause)
    : ClientConnectionError(code, prefix + endpoint(host, port) + ": " + cause),
      host_(std::move(host)),
      port_(port) {}

ClientSSLError::ClientSSLError(std::error_code code, std::string host, unsigned short port,
                               const std::string& cause)
    : ClientConnectorError(code, std::move(host), port, "TLS with ", cause) {}

ServerDisconnectedError::ServerDisconnectedError(const std::string& where, std::error_code code)
    : ClientConnectionError(code, "server disconnected: " + where) {}

ServerTimeoutError::ServerTimeoutError(TimeoutKind kind, const std::string& where)
    : ClientConnectionError(make_error_code(errc::timeout),
                            std::string(to_string(kind)) + " timeout: " + where),
      kind_(kind) {}

ClientResponseError::ClientResponseError(int status, std::string reason, std::string url,
                                         std::error_code code)
    : ClientError(code, std::to_string(status) + (reason.empty() ? "" : " " + reason) + ", url='" + url + "'"),
      status_(status),
      reason_(std::move(reason)),
      url_(std::move(url)) {}

TooManyRedirects::TooManyRedirects(int status, std::string url, int max_redirects)
    : ClientResponseError(status, "too many redirects (more than " + std::to_string(max_redirects) + ")",
                          std::move(url), make_error_code(errc::too_many_redirects)) {}

InvalidURL::InvalidURL(std::string url, const std::string& why)
    : ClientError(make_error_code(errc::invalid_url), "invalid URL '" + url + "': " + why),
      url_(std::move(url)) {}

RequestCancelled::RequestCancelled(std::string doing)
    : boost::system::system_error(boost::asio::error::operation_aborted),
      doing_(std::move(doing)),
      message_("request cancelled" + (doing_.empty() ? "" : " while " + doing_)) {}

RequestCancelled::RequestCancelled(std::string_view method, std::string_view url, std::string doing)
    : boost::system::system_error(boost::asio::error::operation_aborted),
      doing_(std::move(doing)),
      message_(std::string(method) + " " + std::string(url) + " cancelled" + (doing_.empty() ? "" : " while " + doing_)) {}

bool is_cancellation(const std::exception_ptr& e) noexcept {
  try {
    std::rethrow_exception(e);
  } catch (const boost::system::system_error& se) {
    return se.code() == boost::asio::error::operation_aborted;
  } catch (...) {
    return false;
  }
}

namespace detail {

void rethrow_naming_request(const std::exception_ptr& e, std::string_view method, std::string_view url, std::string doing) {
  try {
    std::rethrow_exception(e);
  } catch (const RequestCancelled& c) {
    throw RequestCancelled(method, url, c.doing());
  } catch (const boost::system::system_error& se) {
    if (se.code() == boost::asio::error::operation_aborted) throw RequestCancelled(method, url, std::move(doing));
    throw;
  }
}

}  // namespace detail

}  // namespace tracehop::http
