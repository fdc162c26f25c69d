#pragma once
// The connector's pool (internal): open connections per origin, the limits, and a FIFO queue of
// requests waiting for a connection. Thread-safe: every decision is taken under one mutex and
// no I/O happens while it is held.

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <chrono>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "tracehop/http/session.hpp"
#include "tracehop/http/url.hpp"

namespace tracehop::http::detail {

namespace beast = boost::beast;
using tcp = boost::asio::ip::tcp;
using Clock = std::chrono::steady_clock;

/// `scheme://host:port`: connections are pooled per origin.
std::string origin_key(const Origin& o);

struct Connection {
  using TlsStream = beast::ssl_stream<beast::tcp_stream>;
  Connection(boost::asio::any_io_executor ex, Origin o) : stream(std::move(ex)), origin(std::move(o)), key(origin_key(origin)) {}
  /// The TCP stream (under TLS, the layer below it: timeouts and the socket live here).
  beast::tcp_stream& tcp() noexcept { return tls ? tls->next_layer() : stream; }
  /// Runs `f` with the stream to read and write: TLS or plain.
  template <class F>
  decltype(auto) with_stream(F&& f) {
    if (tls) return f(*tls);
    return f(stream);
  }
  beast::tcp_stream stream;           // plain connections; moved into `tls` for https
  std::unique_ptr<TlsStream> tls;
  beast::flat_buffer buffer;
  Origin origin;
  std::string key;
  Clock::time_point idle_since{};
};

class Pool;

/// Told what acquire() does, for the lifecycle signals (ClientSession implements it).
class PoolObserver {
 public:
  virtual ~PoolObserver() = default;
  virtual void queued_start() noexcept = 0;
  virtual void queued_end(Clock::duration waited) noexcept = 0;
  virtual void create_start() noexcept = 0;
  virtual void create_end(Clock::duration took) noexcept = 0;
  virtual void reused() noexcept = 0;
  virtual void dns_start(std::string_view host) noexcept = 0;
  virtual void dns_end(std::string_view host, Clock::duration took) noexcept = 0;
  virtual void tls_done() noexcept = 0;
};

/// A connection, or the right to open one, held by one request. Destroying it without
/// release(true) closes the connection: nothing half-read ever goes back to the pool.
class Lease {
 public:
  Lease() = default;
  Lease(std::shared_ptr<Pool> pool, std::unique_ptr<Connection> conn, bool reused)
      : pool_(std::move(pool)), conn_(std::move(conn)), reused_(reused) {}
  Lease(Lease&&) noexcept = default;
  Lease& operator=(Lease&& o) noexcept {
    if (this != &o) {
      release(false);
      pool_ = std::move(o.pool_);
      conn_ = std::move(o.conn_);
      reused_ = o.reused_;
    }
    return *this;
  }
  ~Lease() { release(false); }

  Connection& connection() noexcept { return *conn_; }
  bool reused() const noexcept { return reused_; }
  explicit operator bool() const noexcept { return conn_ != nullptr; }
  /// Gives the connection back: to the idle pool if `reusable`, else closed.
  void release(bool reusable) noexcept;

 private:
  std::shared_ptr<Pool> pool_;
  std::unique_ptr<Connection> conn_;
  bool reused_ = false;
};

class Pool : public std::enable_shared_from_this<Pool> {
 public:
  Pool(boost::asio::any_io_executor executor, ConnectorOptions options);
  ~Pool();

  /// A connection to `origin`: a pooled idle one, or a new one (resolved and connected here),
  /// waiting in FIFO order while the limits are reached. `deadline`/`connect_deadline` bound
  /// the wait and the connect; `sock_connect` bounds the TCP connect alone.
  boost::asio::awaitable<Lease> acquire(const Origin& origin, Clock::time_point deadline,
                                        bool deadline_is_total, std::optional<Millis> sock_connect,
                                        PoolObserver* observer = nullptr);

  /// Returns a connection (called by Lease).
  void give_back(std::unique_ptr<Connection> conn, bool reusable) noexcept;
  /// Frees a slot reserved for a connection that could not be made.
  void release_slot(const std::string& key) noexcept;

  void close_all() noexcept;
  bool closed() const noexcept;
  ClientSession::PoolStats stats() const noexcept;
  const ConnectorOptions& options() const noexcept { return options_; }

 private:
  struct Waiter {
    std::string key;
    boost::asio::steady_timer* timer;
    bool granted = false;
    std::unique_ptr<Connection> conn;  // granted with a connection, or (null) a slot to open one
  };

  // All under mu_.
  bool host_full(const std::string& key) const;
  bool has_capacity(const std::string& key) const;
  bool make_room(const std::string& key);  // may evict an idle connection of another origin
  void reserve(const std::string& key);
  void unreserve(const std::string& key);
  void purge_expired(Clock::time_point now);
  std::unique_ptr<Connection> take_idle(const std::string& key, Clock::time_point now);
  void grant_waiters();
  void close_connection(std::unique_ptr<Connection> conn);

  boost::asio::awaitable<std::unique_ptr<Connection>> connect(const Origin& origin,
                                                               Clock::time_point deadline,
                                                               bool deadline_is_total,
                                                               std::optional<Millis> sock_connect,
                                                               PoolObserver* observer);
  boost::asio::awaitable<tcp::resolver::results_type> resolve(const Origin& origin, PoolObserver* observer);
  boost::asio::awaitable<void> handshake(Connection& conn, Clock::time_point deadline, bool deadline_is_total,
                                         PoolObserver* observer);

  boost::asio::any_io_executor executor_;
  ConnectorOptions options_;
  std::unique_ptr<boost::asio::ssl::context> tls_context_;  // made on the first https request
  std::mutex tls_mu_;
  boost::asio::ssl::context& tls_context();

  mutable std::mutex mu_;
  bool closed_ = false;
  std::size_t open_ = 0;  // includes slots reserved for connections being opened
  std::map<std::string, std::size_t, std::less<>> open_per_key_;
  std::map<std::string, std::vector<std::unique_ptr<Connection>>, std::less<>> idle_;
  std::list<Waiter*> waiters_;
  std::size_t peak_open_ = 0, created_ = 0, reused_ = 0;

  struct DnsEntry {
    tcp::resolver::results_type results;
    Clock::time_point expires;
  };
  std::mutex dns_mu_;
  std::map<std::string, DnsEntry, std::less<>> dns_;
};

}  // namespace tracehop::http::detail
