#include "dialer.hpp"

#include <charconv>
#include <cstring>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "tracehop/http/errors.hpp"
#include "tracehop/log.hpp"

namespace tracehop::http::detail {

namespace asio = boost::asio;
constexpr auto as_tuple_awaitable = asio::as_tuple(asio::use_awaitable);

OriginKey::OriginKey(const Origin& o) {
  const bool v6 = o.host.find(':') != std::string::npos;
  char port[8];
  const std::string_view port_text(port, static_cast<std::size_t>(std::to_chars(port, port + sizeof port, o.port).ptr - port));
  const std::string_view parts[] = {o.scheme, v6 ? "://[" : "://", o.host, v6 ? "]:" : ":", port_text};
  std::size_t size = 0;
  for (const auto part : parts) size += part.size();
  if (size > sizeof buffer_) {
    for (const auto part : parts) long_.append(part);
    return;
  }
  for (const auto part : parts) {
    std::memcpy(buffer_ + size_, part.data(), part.size());
    size_ += part.size();
  }
}

std::string origin_key(const Origin& o) { return std::string(OriginKey(o).view()); }

asio::ssl::context& Dialer::tls_context() {
  std::lock_guard lk(tls_mu_);
  if (!tls_context_) {
    auto ctx = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_client);
    ctx->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                     asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                     asio::ssl::context::no_tlsv1_1);
    if (options_.verify_ssl) {
      ctx->set_verify_mode(asio::ssl::verify_peer);
      if (!options_.ca_file.empty()) ctx->load_verify_file(options_.ca_file);
      else ctx->set_default_verify_paths();
    } else {
      ctx->set_verify_mode(asio::ssl::verify_none);
      log_warn("TLS certificate verification is disabled for this session (verify_ssl=false): "
               "any server can impersonate any host");
    }
    tls_context_ = std::move(ctx);
  }
  return *tls_context_;
}

asio::awaitable<tcp::resolver::results_type> Dialer::resolve(const Origin& origin, ConnectObserver* observer) {
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(origin.host, ec);
  if (!ec)
    co_return tcp::resolver::results_type::create(tcp::endpoint(address, origin.port), origin.host,
                                                  std::to_string(origin.port));
  const std::string key = origin.host + ":" + std::to_string(origin.port);
  {
    std::lock_guard lk(dns_mu_);
    if (auto it = dns_.find(key); it != dns_.end() && it->second.expires > Clock::now())
      co_return it->second.results;
  }
  tcp::resolver resolver(executor_);
  const auto started = Clock::now();
  if (observer) observer->dns_start(origin.host);
  auto [rec, results] = co_await resolver.async_resolve(origin.host, std::to_string(origin.port), as_tuple_awaitable);
  if (observer) observer->dns_end(origin.host, Clock::now() - started);
  if (rec == asio::error::operation_aborted) throw RequestCancelled("resolving " + origin.host);
  if (rec) throw ClientConnectorError(rec, origin.host, origin.port, "cannot resolve host: " + rec.message());
  std::lock_guard lk(dns_mu_);
  dns_[key] = DnsEntry{results, Clock::now() + options_.dns_ttl};
  co_return results;
}

asio::awaitable<std::unique_ptr<Connection>> Dialer::dial(const Origin& origin, const Deadline& deadline,
                                                          std::optional<std::chrono::milliseconds> sock_connect,
                                                          ConnectObserver* observer) {
  auto endpoints = co_await resolve(origin, observer);
  auto conn = std::make_unique<Connection>(executor_, origin);
  const Deadline limit = deadline.sooner(sock_connect, TimeoutKind::SockConnect);
  auto connecting = [&] { return "connecting to " + origin.host_header(); };
  limit.arm(conn->stream, connecting);
  auto [ec, ep] = co_await conn->stream.async_connect(endpoints, as_tuple_awaitable);
  conn->stream.expires_never();
  if (ec == beast::error::timeout) limit.raise(connecting());
  if (ec == asio::error::operation_aborted) throw RequestCancelled(connecting());
  if (ec) throw ClientConnectorError(ec, origin.host, origin.port, ec.message());
  boost::system::error_code ignored;
  conn->stream.socket().set_option(tcp::no_delay(true), ignored);
  if (origin.tls()) co_await handshake(*conn, deadline, observer);
  co_return conn;
}

asio::awaitable<void> Dialer::handshake(Connection& conn, const Deadline& deadline, ConnectObserver* observer) {
  asio::ssl::context* ctx = nullptr;
  try {
    ctx = &tls_context();
  } catch (const boost::system::system_error& e) {
    throw ClientSSLError(e.code(), conn.origin.host, conn.origin.port,
                         "cannot load the CA certificates '" + options_.ca_file + "': " + e.code().message());
  }
  conn.tls = std::make_unique<Connection::TlsStream>(std::move(conn.stream), *ctx);
  auto& tls = *conn.tls;
  boost::system::error_code ec;
  const auto host = conn.origin.host;
  asio::ip::make_address(host, ec);
  if (ec) {
    // A name, not an address: send it (SNI) so the server can pick its certificate. (The
    // SSL_set_tlsext_host_name macro, spelled out without its C cast.)
    if (!SSL_ctrl(tls.native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                  const_cast<char*>(host.c_str())))
      throw ClientSSLError(boost::system::error_code(static_cast<int>(::ERR_get_error()), asio::error::get_ssl_category()),
                           host, conn.origin.port, "cannot set the SNI host name");
  }
  if (options_.verify_ssl) tls.set_verify_callback(asio::ssl::host_name_verification(host));
  auto handshaking = [&] { return "TLS handshake with " + conn.origin.host_header(); };
  deadline.arm(conn.tcp(), handshaking);
  auto [hec] = co_await tls.async_handshake(asio::ssl::stream_base::client, as_tuple_awaitable);
  conn.tcp().expires_never();
  if (hec == beast::error::timeout) deadline.raise(handshaking());
  if (hec == asio::error::operation_aborted) throw RequestCancelled("doing the " + handshaking());
  if (hec) {
    std::string cause = hec.message();
    const long verify = SSL_get_verify_result(tls.native_handle());
    if (verify != X509_V_OK) cause += std::string(" (") + X509_verify_cert_error_string(verify) + ")";
    throw ClientSSLError(hec, host, conn.origin.port, cause);
  }
  if (observer) observer->tls_done();
}

}  // namespace tracehop::http::detail
