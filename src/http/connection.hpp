#pragma once
// One client connection (internal): the TCP stream, TLS over it for https, the read buffer it
// keeps between responses, and its origin; and what the connector tells while it finds one.

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <array>
#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "tracehop/http/signals.hpp"
#include "tracehop/http/url.hpp"

namespace tracehop::http::detail {

struct ConfigSet;

namespace beast = boost::beast;
using tcp = boost::asio::ip::tcp;
using Clock = std::chrono::steady_clock;

/// `scheme://host:port`: connections are pooled per origin.
std::string origin_key(const Origin& o);

/// The same key, built on the stack: looking a pooled connection up allocates nothing. (A host
/// too long for the buffer, longer than any DNS name, takes the heap.)
class OriginKey {
 public:
  explicit OriginKey(const Origin& o);
  std::string_view view() const noexcept { return long_.empty() ? std::string_view(buffer_, size_) : long_; }

 private:
  char buffer_[300];
  std::size_t size_ = 0;
  std::string long_;
};

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
  // Its life, as the connector tells it (connection state signals) to `configs`: those of the
  // request that made it (null: nobody listens).
  struct Listener {
    SignalContext ctx;
    // What its observer counts it in, if it does, by ConnectionState (Closed's: nullptr).
    std::array<std::atomic<std::int64_t>*, 3> counts{};
    bool counts_it() const noexcept { return counts[1] != nullptr || counts[2] != nullptr; }
  };
  ConnectionState state = ConnectionState::Closed;
  bool moves_told = false;  // whether a config is told of its moves to and from the pool
  bool counted = false;     // whether an observer counts it
  Clock::time_point made{};
  std::shared_ptr<const ConfigSet> configs;
  std::unique_ptr<Listener[]> listeners;  // one per config
};

/// Told what finding a connection involves, for the lifecycle signals (the request's Signals).
class ConnectObserver {
 public:
  virtual ~ConnectObserver() = default;
  virtual void queued_start() noexcept = 0;
  virtual void queued_end(Clock::duration waited) noexcept = 0;
  virtual void create_start() noexcept = 0;
  virtual void create_end(Clock::duration took) noexcept = 0;
  virtual void reused() noexcept = 0;
  virtual void dns_start(std::string_view host) noexcept = 0;
  virtual void dns_end(std::string_view host, Clock::duration took) noexcept = 0;
  virtual void tls_done() noexcept = 0;
};

}  // namespace tracehop::http::detail
