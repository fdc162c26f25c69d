#pragma once
// The connector (internal): the open connections per origin, the limits (`limit`,
// `limit_per_host`), the idle pool, and a FIFO queue of requests waiting for a connection; new
// connections come from its Dialer. Thread-safe: every decision is taken under one mutex and no
// I/O happens while it is held.

#include <boost/asio/steady_timer.hpp>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "connection.hpp"
#include "deadline.hpp"
#include "dialer.hpp"
#include "tracehop/http/connector.hpp"

namespace tracehop::http::detail {

class Connector;

/// A connection, or the right to open one, held by one request. Destroying it without
/// release(true) closes the connection: nothing half-read ever goes back to the pool.
class Lease {
 public:
  Lease() = default;
  Lease(std::shared_ptr<Connector> connector, std::unique_ptr<Connection> conn, bool reused)
      : connector_(std::move(connector)), conn_(std::move(conn)), reused_(reused) {}
  Lease(Lease&&) noexcept = default;
  Lease& operator=(Lease&& o) noexcept {
    if (this != &o) {
      release(false);
      connector_ = std::move(o.connector_);
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
  std::shared_ptr<Connector> connector_;
  std::unique_ptr<Connection> conn_;
  bool reused_ = false;
};

class Connector : public std::enable_shared_from_this<Connector> {
 public:
  Connector(boost::asio::any_io_executor executor, ConnectorOptions options);
  ~Connector();

  /// A pooled idle connection to `origin` if there is one (not a coroutine: the common case of a
  /// keep-alive request costs no coroutine frame); else an empty lease. Throws if closed.
  Lease try_idle(const Origin& origin, ConnectObserver* observer = nullptr);
  /// A connection to `origin`: a pooled idle one, or a new one from the dialer, waiting in FIFO
  /// order while the limits are reached. `deadline` bounds the wait and the connect (and says
  /// which timeout it is); `sock_connect` bounds the TCP connect alone.
  /// A new connection tells its state changes to `configs` (the request's) for all its life.
  boost::asio::awaitable<Lease> acquire(const Origin& origin, const Deadline& deadline,
                                        std::optional<std::chrono::milliseconds> sock_connect,
                                        ConnectObserver* observer = nullptr,
                                        std::shared_ptr<const ConfigSet> configs = nullptr);

  /// Returns a connection (called by Lease).
  void give_back(std::unique_ptr<Connection> conn, bool reusable) noexcept;
  /// Frees a slot reserved for a connection that could not be made.
  void release_slot(const std::string& key) noexcept;

  void close_all() noexcept;
  bool closed() const noexcept;
  ConnectorStats stats() const noexcept;
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
  std::unique_ptr<Connection> take_idle(std::string_view key, Clock::time_point now);
  /// An idle connection for `key` as a lease (counted and observed), else an empty one; throws
  /// once closed. What try_idle() and acquire() both begin with.
  Lease reuse_idle(std::string_view key, ConnectObserver* observer);
  void grant_waiters();
  void close_connection(std::unique_ptr<Connection> conn);
  /// Moves `conn` to state `to`, telling its configs.
  static void change_state(Connection& conn, ConnectionState to) noexcept;
  [[gnu::noinline]] static void tell_state(Connection& conn, ConnectionState from, ConnectionState to) noexcept;

  boost::asio::any_io_executor executor_;
  ConnectorOptions options_;
  Dialer dialer_;

  mutable std::mutex mu_;
  bool closed_ = false;
  std::size_t open_ = 0;  // includes slots reserved for connections being opened
  std::map<std::string, std::size_t, std::less<>> open_per_key_;
  std::map<std::string, std::vector<std::unique_ptr<Connection>>, std::less<>> idle_;
  std::list<Waiter*> waiters_;
  std::size_t peak_open_ = 0, created_ = 0, reused_ = 0;
};

}  // namespace tracehop::http::detail
