#include "pool.hpp"

#include <sys/socket.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cerrno>

#include "tracehop/http/errors.hpp"
#include "tracehop/trace/log.hpp"

namespace tracehop::http::detail {

namespace asio = boost::asio;
constexpr auto as_tuple_awaitable = asio::as_tuple(asio::use_awaitable);

std::string origin_key(const Origin& o) {
  const bool v6 = o.host.find(':') != std::string::npos;
  std::string key;
  key.reserve(o.scheme.size() + o.host.size() + 11);
  key.append(o.scheme).append(v6 ? "://[" : "://").append(o.host).append(v6 ? "]:" : ":");
  return key.append(std::to_string(o.port));
}

namespace {

// A pooled connection the server has closed (or that holds unexpected bytes) cannot carry a
// request: look without blocking and without consuming anything.
bool is_stale(tcp::socket& s, bool tls) {
  char c;
  const auto n = ::recv(s.native_handle(), &c, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n < 0) return !(errno == EAGAIN || errno == EWOULDBLOCK);
  if (n == 0) return true;  // closed by the peer
  // Bytes nobody asked for: over TLS they may be a session ticket (TLS 1.3 sends those after
  // the handshake), so only a plain connection is judged stale by them.
  return !tls;
}

// Frees the slot reserved for a connection that was never made (failure or cancellation).
struct SlotGuard {
  Pool* pool;
  const std::unique_ptr<Connection>* made;
  const std::string& key;
  ~SlotGuard() {
    if (!*made) pool->release_slot(key);
  }
};

}  // namespace

void Lease::release(bool reusable) noexcept {
  if (conn_ && pool_) pool_->give_back(std::move(conn_), reusable);
  conn_.reset();
  pool_.reset();
}

Pool::Pool(asio::any_io_executor executor, ConnectorOptions options)
    : executor_(std::move(executor)), options_(std::move(options)) {}

Pool::~Pool() = default;

asio::ssl::context& Pool::tls_context() {
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

bool Pool::host_full(const std::string& key) const {
  if (options_.limit_per_host == 0) return false;
  auto it = open_per_key_.find(key);
  return it != open_per_key_.end() && it->second >= options_.limit_per_host;
}

bool Pool::has_capacity(const std::string& key) const {
  return (options_.limit == 0 || open_ < options_.limit) && !host_full(key);
}

bool Pool::make_room(const std::string& key) {
  if (has_capacity(key)) return true;
  if (host_full(key)) return false;  // evicting another origin's connection would not help
  // Globally full: an idle connection to another origin makes way (the oldest first).
  std::vector<std::unique_ptr<Connection>>* oldest_list = nullptr;
  std::size_t oldest_index = 0;
  for (auto& [k, list] : idle_) {
    for (std::size_t i = 0; i < list.size(); ++i) {
      if (!oldest_list || list[i]->idle_since < (*oldest_list)[oldest_index]->idle_since) {
        oldest_list = &list;
        oldest_index = i;
      }
    }
  }
  if (!oldest_list) return false;
  auto victim = std::move((*oldest_list)[oldest_index]);
  oldest_list->erase(oldest_list->begin() + static_cast<std::ptrdiff_t>(oldest_index));
  close_connection(std::move(victim));
  return has_capacity(key);
}

void Pool::reserve(const std::string& key) {
  ++open_;
  ++open_per_key_[key];
  peak_open_ = std::max(peak_open_, open_);
}

void Pool::unreserve(const std::string& key) {
  --open_;
  if (auto it = open_per_key_.find(key); it != open_per_key_.end() && --it->second == 0) open_per_key_.erase(it);
}

void Pool::close_connection(std::unique_ptr<Connection> conn) {
  boost::system::error_code ignored;
  conn->tcp().socket().shutdown(tcp::socket::shutdown_both, ignored);
  conn->tcp().socket().close(ignored);
  unreserve(conn->key);
}

void Pool::purge_expired(Clock::time_point now) {
  for (auto it = idle_.begin(); it != idle_.end();) {
    auto& list = it->second;
    for (std::size_t i = 0; i < list.size();) {
      if (now - list[i]->idle_since >= options_.keepalive_timeout) {
        auto conn = std::move(list[i]);
        list.erase(list.begin() + static_cast<std::ptrdiff_t>(i));
        close_connection(std::move(conn));
      } else {
        ++i;
      }
    }
    it = list.empty() ? idle_.erase(it) : std::next(it);
  }
}

std::unique_ptr<Connection> Pool::take_idle(const std::string& key, Clock::time_point) {
  auto it = idle_.find(key);
  while (it != idle_.end() && !it->second.empty()) {
    auto conn = std::move(it->second.back());  // the most recently used: least likely stale
    it->second.pop_back();
    if (!is_stale(conn->tcp().socket(), conn->tls != nullptr)) return conn;
    close_connection(std::move(conn));
  }
  if (it != idle_.end() && it->second.empty()) idle_.erase(it);
  return nullptr;
}

void Pool::grant_waiters() {
  for (auto it = waiters_.begin(); it != waiters_.end();) {
    Waiter& w = **it;
    if (make_room(w.key)) {
      reserve(w.key);
      w.granted = true;
      w.timer->cancel();
      it = waiters_.erase(it);
    } else {
      ++it;
    }
  }
}

void Pool::release_slot(const std::string& key) noexcept {
  std::lock_guard lk(mu_);
  unreserve(key);
  grant_waiters();
}

void Pool::give_back(std::unique_ptr<Connection> conn, bool reusable) noexcept {
  std::lock_guard lk(mu_);
  if (closed_ || !reusable || options_.force_close) {
    close_connection(std::move(conn));
    grant_waiters();
    return;
  }
  for (auto it = waiters_.begin(); it != waiters_.end(); ++it) {
    Waiter& w = **it;
    if (w.key == conn->key) {  // the oldest waiter for this origin takes it over directly
      w.granted = true;
      w.conn = std::move(conn);
      ++reused_;
      w.timer->cancel();
      waiters_.erase(it);
      return;
    }
  }
  conn->idle_since = Clock::now();
  idle_[conn->key].push_back(std::move(conn));
  grant_waiters();  // a waiter for another origin may now evict it
}

asio::awaitable<Lease> Pool::acquire(const Origin& origin, Clock::time_point deadline,
                                     bool deadline_is_total, std::optional<Millis> sock_connect,
                                     PoolObserver* observer) {
  auto self = shared_from_this();
  const std::string key = origin_key(origin);
  auto timeout_error = [&]() -> std::exception_ptr {
    const auto where = "waiting for a connection to " + origin.host_header();
    if (deadline_is_total) return std::make_exception_ptr(ServerTimeoutError(TimeoutKind::Total, where));
    return std::make_exception_ptr(ConnectionTimeoutError(TimeoutKind::Connect, where));
  };

  bool open_new = false;
  {
    std::lock_guard lk(mu_);
    if (closed_) throw ClientError(make_error_code(errc::session_closed), "the session is closed");
    purge_expired(Clock::now());
    if (auto conn = take_idle(key, Clock::now())) {
      ++reused_;
      if (observer) observer->reused();
      co_return Lease(self, std::move(conn), true);
    }
    if (make_room(key)) {
      reserve(key);
      open_new = true;
    }
  }

  if (!open_new) {
    const auto queued_at = Clock::now();
    if (observer) observer->queued_start();
    asio::steady_timer timer(executor_);
    timer.expires_at(deadline);
    Waiter w{key, &timer};
    {
      std::lock_guard lk(mu_);
      waiters_.push_back(&w);
    }
    // The wait begins under the lock, so a grant cannot slip between the check and the wait:
    // a grant made before sees `granted`, one made after cancels the pending wait.
    auto [ec] = co_await asio::async_initiate<decltype(as_tuple_awaitable), void(boost::system::error_code)>(
        [&](auto handler) {
          std::lock_guard lk(mu_);
          if (w.granted || closed_) timer.expires_at(Clock::time_point::min());
          timer.async_wait(std::move(handler));
        },
        as_tuple_awaitable);
    std::unique_ptr<Connection> conn;
    {
      std::lock_guard lk(mu_);
      waiters_.remove(&w);
      if (!w.granted) {
        if (closed_) throw ClientError(make_error_code(errc::session_closed), "the session is closed");
        if (ec == asio::error::operation_aborted) throw boost::system::system_error(ec, "waiting for a connection");
        std::rethrow_exception(timeout_error());
      }
      conn = std::move(w.conn);
    }
    if (observer) observer->queued_end(Clock::now() - queued_at);
    if (conn) {
      if (observer) observer->reused();
      co_return Lease(self, std::move(conn), true);
    }
    // Granted a slot: open a connection in it.
  }

  std::unique_ptr<Connection> made;
  {
    SlotGuard guard{this, &made, key};
    const auto started = Clock::now();
    if (observer) observer->create_start();
    made = co_await connect(origin, deadline, deadline_is_total, sock_connect, observer);
    if (observer) observer->create_end(Clock::now() - started);
  }
  {
    std::lock_guard lk(mu_);
    ++created_;
  }
  co_return Lease(self, std::move(made), false);
}

asio::awaitable<tcp::resolver::results_type> Pool::resolve(const Origin& origin, PoolObserver* observer) {
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
  if (rec) throw ClientConnectorError(rec, origin.host, origin.port, "cannot resolve host: " + rec.message());
  std::lock_guard lk(dns_mu_);
  dns_[key] = DnsEntry{results, Clock::now() + options_.dns_ttl};
  co_return results;
}

asio::awaitable<std::unique_ptr<Connection>> Pool::connect(const Origin& origin, Clock::time_point deadline,
                                                            bool deadline_is_total,
                                                            std::optional<Millis> sock_connect,
                                                            PoolObserver* observer) {
  auto endpoints = co_await resolve(origin, observer);
  auto conn = std::make_unique<Connection>(executor_, origin);
  const auto now = Clock::now();
  auto limit = deadline == Clock::time_point::max() ? Clock::duration::max() : deadline - now;
  bool sock_connect_binds = false;
  if (sock_connect && *sock_connect < limit) {
    limit = *sock_connect;
    sock_connect_binds = true;
  }
  if (limit <= Clock::duration::zero())
    throw ConnectionTimeoutError(deadline_is_total ? TimeoutKind::Total : TimeoutKind::Connect,
                                 "connecting to " + origin.host_header());
  if (limit != Clock::duration::max()) conn->stream.expires_after(limit);
  auto [ec, ep] = co_await conn->stream.async_connect(endpoints, as_tuple_awaitable);
  conn->stream.expires_never();
  if (ec == beast::error::timeout) {
    const auto kind = sock_connect_binds ? TimeoutKind::SockConnect
                                         : (deadline_is_total ? TimeoutKind::Total : TimeoutKind::Connect);
    const auto where = "connecting to " + origin.host_header();
    if (kind == TimeoutKind::Total) throw ServerTimeoutError(kind, where);
    throw ConnectionTimeoutError(kind, where);
  }
  if (ec) throw ClientConnectorError(ec, origin.host, origin.port, ec.message());
  boost::system::error_code ignored;
  conn->stream.socket().set_option(tcp::no_delay(true), ignored);
  if (origin.tls()) co_await handshake(*conn, deadline, deadline_is_total, observer);
  co_return conn;
}

asio::awaitable<void> Pool::handshake(Connection& conn, Clock::time_point deadline, bool deadline_is_total,
                                      PoolObserver* observer) {
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
  const auto limit = deadline == Clock::time_point::max() ? Clock::duration::max() : deadline - Clock::now();
  if (limit != Clock::duration::max()) conn.tcp().expires_after(limit);
  auto [hec] = co_await tls.async_handshake(asio::ssl::stream_base::client, as_tuple_awaitable);
  conn.tcp().expires_never();
  if (hec == beast::error::timeout) {
    const auto where = "TLS handshake with " + conn.origin.host_header();
    if (deadline_is_total) throw ServerTimeoutError(TimeoutKind::Total, where);
    throw ConnectionTimeoutError(TimeoutKind::Connect, where);
  }
  if (hec) {
    std::string cause = hec.message();
    const long verify = SSL_get_verify_result(tls.native_handle());
    if (verify != X509_V_OK) cause += std::string(" (") + X509_verify_cert_error_string(verify) + ")";
    throw ClientSSLError(hec, host, conn.origin.port, cause);
  }
  if (observer) observer->tls_done();
}

void Pool::close_all() noexcept {
  std::lock_guard lk(mu_);
  closed_ = true;
  for (auto& [k, list] : idle_)
    for (auto& c : list) close_connection(std::move(c));
  idle_.clear();
  for (auto* w : waiters_) w->timer->cancel();
}

bool Pool::closed() const noexcept {
  std::lock_guard lk(mu_);
  return closed_;
}

ClientSession::PoolStats Pool::stats() const noexcept {
  std::lock_guard lk(mu_);
  ClientSession::PoolStats s;
  s.open = open_;
  for (const auto& [k, list] : idle_) s.idle += list.size();
  s.peak_open = peak_open_;
  s.created = created_;
  s.reused = reused_;
  s.waiting = waiters_.size();
  return s;
}

}  // namespace tracehop::http::detail
