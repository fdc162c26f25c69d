#include "connector.hpp"

#include <sys/socket.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cerrno>
#include <utility>

#include "signal_emitter.hpp"
#include "tracehop/http/errors.hpp"
#include "tracehop/log.hpp"

namespace tracehop::http::detail {

namespace asio = boost::asio;
constexpr auto as_tuple_awaitable = asio::as_tuple(asio::use_awaitable);

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
  Connector* connector;
  const std::unique_ptr<Connection>* made;
  const std::string& key;
  ~SlotGuard() {
    if (!*made) connector->release_slot(key);
  }
};

}  // namespace

void Lease::release(bool reusable) noexcept {
  if (conn_ && connector_) connector_->give_back(std::move(conn_), reusable);
  conn_.reset();
  connector_.reset();
}

Connector::Connector(asio::any_io_executor executor, ConnectorOptions options)
    : executor_(std::move(executor)), options_(std::move(options)), dialer_(executor_, options_) {}

Connector::~Connector() = default;

bool Connector::host_full(const std::string& key) const {
  if (options_.limit_per_host == 0) return false;
  auto it = open_per_key_.find(key);
  return it != open_per_key_.end() && it->second >= options_.limit_per_host;
}

bool Connector::has_capacity(const std::string& key) const {
  return (options_.limit == 0 || open_ < options_.limit) && !host_full(key);
}

bool Connector::make_room(const std::string& key) {
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

void Connector::reserve(const std::string& key) {
  ++open_;
  ++open_per_key_[key];
  peak_open_ = std::max(peak_open_, open_);
}

void Connector::unreserve(const std::string& key) {
  --open_;
  if (auto it = open_per_key_.find(key); it != open_per_key_.end() && --it->second == 0) open_per_key_.erase(it);
}

static_assert(static_cast<int>(ConnectionState::Active) == 1 && static_cast<int>(ConnectionState::Idle) == 2,
              "Connection::Listener::counts is indexed by ConnectionState");

// Moves `conn` from one count to the other in each of the counts observers gave for it.
static void move_counts(Connection& conn, ConnectionState from, ConnectionState to) noexcept {
  for (std::size_t i = 0; i < conn.configs->configs.size(); ++i) {
    const auto& counts = conn.listeners[i].counts;
    if (auto* n = counts[static_cast<std::size_t>(from)]) n->fetch_sub(1, std::memory_order_relaxed);
    if (auto* n = counts[static_cast<std::size_t>(to)]) n->fetch_add(1, std::memory_order_relaxed);
  }
}

void Connector::change_state(Connection& conn, ConnectionState to) noexcept {
  const ConnectionState from = std::exchange(conn.state, to);
  if (!conn.configs || from == to) return;
  if (from != ConnectionState::Closed && to != ConnectionState::Closed) [[likely]] {
    // The usual change, on every request (taken from the pool, given back to it): counted by
    // the connector for observers that count, else told straight to a sole observer.
    if (conn.counted) move_counts(conn, from, to);
    if (!conn.moves_told) return;
    if (SignalObserver* const sole = conn.configs->sole_observer) {
      try {
        sole->on_connection_state({conn.listeners[0].ctx, conn.origin, from, to, {}});
      } catch (...) {
        report_subscriber_exception();
      }
      return;
    }
  }
  tell_state(conn, from, to);
}

void Connector::tell_state(Connection& conn, ConnectionState from, ConnectionState to) noexcept {
  const auto age = to == ConnectionState::Closed ? Clock::now() - conn.made : Clock::duration{};
  const bool made = from == ConnectionState::Closed, move = !made && to != ConnectionState::Closed;
  const auto& configs = conn.configs->configs;
  bool listened = false;  // made: whether anyone hears or counts the rest of its life
  if (made) conn.moves_told = conn.counted = false;
  for (std::size_t i = 0; i < configs.size(); ++i) {
    SignalObserver* const observer = conn.configs->state_observers[i];
    auto& l = conn.listeners[i];
    // An observer hears the making; after it, only what it kept state for (with
    // only_with_state), and not the moves it counts.
    const auto hears = [&] { return observer && (!observer->only_with_state() || l.ctx.has_value()); };
    const bool told = observer && (made || (hears() && !(move && l.counts_it())));
    try {
      ConnectionCounts given;
      const ConnectionStateParams params{l.ctx, conn.origin, from, to, age, made && observer ? &given : nullptr};
      if (told) observer->on_connection_state(params);
      if (made) l.counts = {nullptr, given.active, given.idle};  // (by ConnectionState)
      for (const auto& f : configs[i]->on_connection_state) f(params);
    } catch (...) {
      report_subscriber_exception();
    }
    if (!made) continue;
    // Who hears the rest of its life (the moves to and from the pool: change_state asks).
    const bool functions = !configs[i]->on_connection_state.empty(), counts = l.counts_it();
    conn.counted = conn.counted || counts;
    conn.moves_told = conn.moves_told || functions || (hears() && !counts);
    listened = listened || functions || hears() || counts;
  }
  if (!made) {
    if (!move) move_counts(conn, from, to);  // (a move's are moved by change_state)
    return;
  }
  if (!listened) {  // made for observers that kept nothing of it: its later changes cost nothing
    conn.configs.reset();
    conn.listeners.reset();
    return;
  }
  if (conn.counted) move_counts(conn, from, to);
}

void Connector::close_connection(std::unique_ptr<Connection> conn) {
  change_state(*conn, ConnectionState::Closed);
  boost::system::error_code ignored;
  conn->tcp().socket().shutdown(tcp::socket::shutdown_both, ignored);
  conn->tcp().socket().close(ignored);
  unreserve(conn->key);
}

void Connector::purge_expired(Clock::time_point now) {
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

std::unique_ptr<Connection> Connector::take_idle(std::string_view key, Clock::time_point) {
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

void Connector::grant_waiters() {
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

void Connector::release_slot(const std::string& key) noexcept {
  std::lock_guard lk(mu_);
  unreserve(key);
  grant_waiters();
}

void Connector::give_back(std::unique_ptr<Connection> conn, bool reusable) noexcept {
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
  change_state(*conn, ConnectionState::Idle);
  idle_[conn->key].push_back(std::move(conn));
  grant_waiters();  // a waiter for another origin may now evict it
}

Lease Connector::reuse_idle(std::string_view key, ConnectObserver* observer) {
  if (closed_) throw ClientError(make_error_code(errc::session_closed), "the session is closed");
  purge_expired(Clock::now());
  auto conn = take_idle(key, Clock::now());
  if (!conn) return {};
  change_state(*conn, ConnectionState::Active);
  ++reused_;
  if (observer) observer->reused();
  return Lease(shared_from_this(), std::move(conn), true);
}

Lease Connector::try_idle(const Origin& origin, ConnectObserver* observer) {
  const OriginKey key(origin);
  std::lock_guard lk(mu_);
  return reuse_idle(key.view(), observer);
}

asio::awaitable<Lease> Connector::acquire(const Origin& origin, const Deadline& deadline,
                                          std::optional<std::chrono::milliseconds> sock_connect,
                                          ConnectObserver* observer, std::shared_ptr<const ConfigSet> configs) {
  auto self = shared_from_this();
  const std::string key = origin_key(origin);

  bool open_new = false;
  {
    std::lock_guard lk(mu_);
    if (auto lease = reuse_idle(key, observer)) co_return lease;
    if (make_room(key)) {
      reserve(key);
      open_new = true;
    }
  }

  if (!open_new) {
    const auto queued_at = Clock::now();
    if (observer) observer->queued_start();
    asio::steady_timer timer(executor_);
    timer.expires_at(deadline.at);
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
        if (ec == asio::error::operation_aborted) throw RequestCancelled("waiting for a connection to " + origin.host_header());
        deadline.raise("waiting for a connection to " + origin.host_header());
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
    made = co_await dialer_.dial(origin, deadline, sock_connect, observer);
    if (observer) observer->create_end(Clock::now() - started);
  }
  made->made = Clock::now();
  if (configs && configs->connection_states) {
    made->listeners = std::make_unique<Connection::Listener[]>(configs->configs.size());
    made->configs = std::move(configs);
  }
  {
    std::lock_guard lk(mu_);
    ++created_;
    change_state(*made, ConnectionState::Active);
  }
  co_return Lease(self, std::move(made), false);
}

void Connector::close_all() noexcept {
  std::lock_guard lk(mu_);
  closed_ = true;
  for (auto& [k, list] : idle_)
    for (auto& c : list) close_connection(std::move(c));
  idle_.clear();
  for (auto* w : waiters_) w->timer->cancel();
}

bool Connector::closed() const noexcept {
  std::lock_guard lk(mu_);
  return closed_;
}

ConnectorStats Connector::stats() const noexcept {
  std::lock_guard lk(mu_);
  ConnectorStats s;
  s.open = open_;
  for (const auto& [k, list] : idle_) s.idle += list.size();
  s.peak_open = peak_open_;
  s.created = created_;
  s.reused = reused_;
  s.waiting = waiters_.size();
  return s;
}

}  // namespace tracehop::http::detail
