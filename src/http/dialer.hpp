#pragma once
// Making a new connection (internal): DNS (answers cached for ConnectorOptions::dns_ttl), the
// TCP connect within sock_connect and the connect deadline, and the TLS handshake for https
// (SNI, certificate and host name verification).

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>
#include <map>
#include <memory>
#include <mutex>
#include <optional>

#include "connection.hpp"
#include "deadline.hpp"
#include "tracehop/http/connector.hpp"

namespace tracehop::http::detail {

class Dialer {
 public:
  Dialer(boost::asio::any_io_executor executor, const ConnectorOptions& options)
      : executor_(std::move(executor)), options_(options) {}

  /// A new connection to `origin`, by `deadline` (which raises its own kind of timeout);
  /// `sock_connect` bounds the TCP connect alone. Throws ClientConnectorError (DNS, refused),
  /// ClientSSLError, or the timeout.
  boost::asio::awaitable<std::unique_ptr<Connection>> dial(const Origin& origin, const Deadline& deadline,
                                                           std::optional<std::chrono::milliseconds> sock_connect,
                                                           ConnectObserver* observer);

 private:
  boost::asio::awaitable<tcp::resolver::results_type> resolve(const Origin& origin, ConnectObserver* observer);
  boost::asio::awaitable<void> handshake(Connection& conn, const Deadline& deadline, ConnectObserver* observer);
  boost::asio::ssl::context& tls_context();

  boost::asio::any_io_executor executor_;
  const ConnectorOptions& options_;  // the connector's, which owns this dialer

  std::mutex tls_mu_;
  std::unique_ptr<boost::asio::ssl::context> tls_context_;  // made on the first https request

  struct DnsEntry {
    tcp::resolver::results_type results;
    Clock::time_point expires;
  };
  std::mutex dns_mu_;
  std::map<std::string, DnsEntry, std::less<>> dns_;
};

}  // namespace tracehop::http::detail
