#include "tracehop/http/session.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <algorithm>
#include <array>
#include <charconv>
#include <atomic>
#include <mutex>

#include "codec.hpp"
#include "rfc9110.hpp"
#include "pool.hpp"
#include "response_parser.hpp"
#include "url_cache.hpp"
#include "tracehop/http/task.hpp"
#include "tracehop/trace/log.hpp"

namespace tracehop::http {

namespace bhttp = boost::beast::http;
using detail::Clock;
constexpr auto as_tuple_awaitable = asio::as_tuple(asio::use_awaitable);

namespace detail {

// The lifecycle signals of one physical request: one SignalContext per subscribed config.
class Signals final : public PoolObserver {
 public:
  explicit Signals(const std::vector<TraceConfigPtr>& configs) : configs_(configs), ctx_(configs.size()) {}

  template <class Member, class MakeParams>
  void emit(Member member, MakeParams&& make) noexcept {
    for (std::size_t i = 0; i < configs_.size(); ++i) {
      const auto& subscribers = (*configs_[i]).*member;
      if (subscribers.empty()) continue;
      try {
        const auto params = make(ctx_[i]);
        for (const auto& f : subscribers) f(params);
      } catch (const std::exception& e) {
        log_error(std::string("a lifecycle signal subscriber threw: ") + e.what());
      } catch (...) {
        log_error("a lifecycle signal subscriber threw");
      }
    }
  }

  void set_origin(const Origin* o) noexcept { origin_ = o; }
  void queued_start() noexcept override { connection(&TraceConfig::on_connection_queued_start, {}); }
  void queued_end(Clock::duration d) noexcept override { connection(&TraceConfig::on_connection_queued_end, d); }
  void create_start() noexcept override { connection(&TraceConfig::on_connection_create_start, {}); }
  void create_end(Clock::duration d) noexcept override { connection(&TraceConfig::on_connection_create_end, d); }
  void reused() noexcept override { connection(&TraceConfig::on_connection_reuseconn, {}); }
  void dns_start(std::string_view host) noexcept override {
    emit(&TraceConfig::on_dns_resolvehost_start, [&](SignalContext& c) { return DnsParams{c, host, {}}; });
  }
  void dns_end(std::string_view host, Clock::duration d) noexcept override {
    emit(&TraceConfig::on_dns_resolvehost_end, [&](SignalContext& c) { return DnsParams{c, host, d}; });
  }
  void tls_done() noexcept override { connection(&TraceConfig::on_tls_handshake_end, {}); }

 private:
  void connection(std::vector<std::function<void(const ConnectionParams&)>> TraceConfig::*member,
                  Clock::duration d) noexcept {
    emit(member, [&](SignalContext& c) { return ConnectionParams{c, *origin_, d}; });
  }
  std::vector<TraceConfigPtr> configs_;
  std::vector<SignalContext> ctx_;
  const Origin* origin_ = nullptr;
};

struct ResponseState {
  Lease lease;
  std::optional<ResponseParser> parser;  // in place: one allocation less
  Url url;
  int status = 0;
  std::string reason;
  mutable Headers headers;  // filled from the parser on first use (Response::headers)
  mutable bool headers_built = false;
  int version = 11;
  int redirects = 0;
  bool body_done = false;
  std::string body;
  Clock::time_point deadline = Clock::time_point::max();
  std::optional<Millis> sock_read;
  bool force_close = false;
  std::size_t max_body_bytes = 0;
  std::string method;
  bool streaming = false;
  std::unique_ptr<Inflater> inflater;
  std::size_t streamed_bytes = 0;
  std::shared_ptr<Signals> signals;  // null when nobody listens
  bool end_signalled = false;

  void signal_end(std::size_t body_bytes) noexcept {
    if (!signals || end_signalled) return;
    end_signalled = true;
    signals->emit(&TraceConfig::on_request_end,
                  [&](SignalContext& c) { return RequestEndParams{c, method, url, body_bytes}; });
  }
  void signal_exception(std::exception_ptr e) noexcept {
    if (!signals || end_signalled) return;
    end_signalled = true;
    signals->emit(&TraceConfig::on_request_exception,
                  [&](SignalContext& c) { return RequestExceptionParams{c, method, url, e, false}; });
  }
  ~ResponseState() { signal_end(body.size()); }
};

namespace {

std::string where(const Origin& o) { return o.host_header(); }

// The time an operation may take: the total deadline, or sock_read if that is sooner. Throws
// the total timeout when the deadline has passed already.
struct OpLimit {
  Clock::duration limit;
  bool sock_read_binds;
};
OpLimit op_limit(Clock::time_point deadline, std::optional<Millis> sock_read, const Origin& origin) {
  const auto now = Clock::now();
  auto limit = deadline == Clock::time_point::max() ? Clock::duration::max() : deadline - now;
  if (limit <= Clock::duration::zero()) throw ServerTimeoutError(TimeoutKind::Total, where(origin));
  if (sock_read && *sock_read < limit) return {*sock_read, true};
  return {limit, false};
}

void expire(boost::beast::tcp_stream& s, Clock::duration limit) {
  if (limit == Clock::duration::max()) s.expires_never();
  else s.expires_after(limit);
}

// Writes what the socket takes at once, without waiting: most requests fit its send buffer,
// and then no asynchronous operation (nor its timer) is needed. TLS connections write
// through the TLS stream only. Returns the bytes written; a socket error is left in `ec`.
std::size_t write_now(Connection& conn, std::string_view wire, boost::system::error_code& ec) {
  if (conn.tls) return 0;
  auto& socket = conn.tcp().socket();
  if (!socket.non_blocking()) socket.non_blocking(true, ec);
  if (ec) return 0;
  const std::size_t n = socket.write_some(asio::buffer(wire), ec);
  if (ec == asio::error::would_block || ec == asio::error::try_again) ec.clear();
  return n;
}

[[noreturn]] void throw_read_error(const boost::system::error_code& ec, const OpLimit& lim,
                                   const Origin& origin, const Url& url, bool in_body) {
  if (ec == boost::beast::error::timeout) {
    if (lim.sock_read_binds) throw SocketTimeoutError(TimeoutKind::SockRead, "reading from " + where(origin));
    throw ServerTimeoutError(TimeoutKind::Total, "reading from " + where(origin));
  }
  if (ec == bhttp::error::body_limit) throw ClientPayloadError("response body from " + std::string(url.buffer()) + " exceeds the size limit");
  if (in_body) {
    throw ClientPayloadError("response payload from " + std::string(url.buffer()) +
                             " is not complete: " + ec.message());
  }
  if (ec == bhttp::error::end_of_stream || ec == asio::error::eof || ec == asio::error::connection_reset ||
      ec == bhttp::error::partial_message || ec == asio::error::broken_pipe)
    throw ServerDisconnectedError(where(origin) + " closed the connection before the response (" + ec.message() + ")", ec);
  if (ec == asio::error::operation_aborted) throw boost::system::system_error(ec, "request cancelled");
  if (ec.category() == make_error_code(bhttp::error::bad_version).category())
    throw ClientResponseError(0, "malformed response: " + ec.message(), std::string(url.buffer()),
                              make_error_code(errc::malformed_response));
  throw ServerDisconnectedError(where(origin) + ": " + ec.message(), ec);
}

}  // namespace

// Request line, Host (from the URL unless the caller set one), the headers in order, Content-Length when there is a body (or the method
// expects one), Connection: close when asked, the blank line, the body. A name that is not a
// token or a value with CR, LF or NUL would let a caller smuggle headers: refused.
std::string serialize_request(std::string_view method, std::string_view target, std::string_view host,
                              const Headers& headers, const std::string& body, bool close) {
  if (!is_token(method)) throw ClientError(make_error_code(errc::invalid_header), "invalid method '" + std::string(method) + "'");
  std::size_t size = method.size() + target.size() + host.size() + body.size() + 64;
  for (const auto& [n, v] : headers) size += n.size() + v.size() + 4;
  std::string out;
  out.reserve(size);
  out.append(method).append(" ").append(target).append(" HTTP/1.1\r\n");
  if (!headers.contains("Host")) out.append("Host: ").append(host).append("\r\n");  // a caller's Host wins
  bool has_length = false;
  for (const auto& [n, v] : headers) {
    if (!is_token(n) || !is_field_value(v))
      throw ClientError(make_error_code(errc::invalid_header), "invalid header field '" + n + "'");
    if (n.size() == 14 && field_name_equal(n, "Content-Length")) has_length = true;
    out.append(n).append(": ").append(v).append("\r\n");
  }
  if (!has_length && (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH"))
    out.append("Content-Length: ").append(std::to_string(body.size())).append("\r\n");
  if (close) out.append("Connection: close\r\n");
  out.append("\r\n").append(body);
  return out;
}

namespace {

bool is_redirect(int s) { return s == 301 || s == 302 || s == 303 || s == 307 || s == 308; }

std::string form_encode(const QueryParams& form) {
  Url u("http://x/");
  append_query(u, form);
  return std::string(u.encoded_query());
}

}  // namespace
}  // namespace detail

// --- global trace configs -------------------------------------------------------------------------

namespace {
struct GlobalConfigs {
  std::mutex mu;
  std::vector<TraceConfigPtr> configs;
  std::atomic<bool> any{false};
};
GlobalConfigs& global_configs() {
  static GlobalConfigs* g = new GlobalConfigs;  // never destroyed: requests may run during exit
  return *g;
}
}  // namespace

namespace detail {
bool has_global_trace_configs() noexcept { return global_configs().any.load(std::memory_order_acquire); }
}  // namespace detail

void add_global_trace_config(TraceConfigPtr config) {
  auto& g = global_configs();
  std::lock_guard lk(g.mu);
  g.configs.push_back(std::move(config));
  g.any = true;
}

void remove_global_trace_config(const TraceConfigPtr& config) {
  auto& g = global_configs();
  std::lock_guard lk(g.mu);
  std::erase(g.configs, config);
  g.any = !g.configs.empty();
}

std::vector<TraceConfigPtr> global_trace_configs() {
  auto& g = global_configs();
  std::lock_guard lk(g.mu);
  return g.configs;
}

// --- Response ---------------------------------------------------------------------------------

Response::Response() noexcept = default;
Response::Response(std::unique_ptr<detail::ResponseState> state) noexcept : state_(std::move(state)) {}

const detail::ResponseState& Response::state() const noexcept {
  static const detail::ResponseState empty;
  return state_ ? *state_ : empty;
}
Response::Response(Response&&) noexcept = default;
Response& Response::operator=(Response&&) noexcept = default;
Response::~Response() = default;  // an unread body: the Lease closes the connection

int Response::status() const noexcept { return state().status; }
const std::string& Response::reason() const noexcept { return state().reason; }
const Headers& Response::headers() const noexcept {
  const auto& st = state();
  // Built on first use from the parsed message: most callers never look at every field.
  if (!st.headers_built && st.parser) {
    st.parser->each_field([&](std::string_view n, std::string_view v) { st.headers.add(n, v); });
    st.headers_built = true;
  }
  return st.headers;
}
const Url& Response::url() const noexcept { return state().url; }
int Response::version() const noexcept { return state().version; }
int Response::redirects() const noexcept { return state().redirects; }

namespace detail {
namespace {

// Reads more of the body into the parser, within sock_read and the total deadline; throws the
// typed error for what went wrong.
asio::awaitable<void> read_some(ResponseState& st) {
  auto& conn = st.lease.connection();
  const auto lim = op_limit(st.deadline, st.sock_read, conn.origin);
  expire(conn.tcp(), lim.limit);
  auto [ec, n] = co_await conn.with_stream(
      [&](auto& stream) { return bhttp::async_read_some(stream, conn.buffer, *st.parser, as_tuple_awaitable); });
  if (ec) throw_read_error(ec, lim, conn.origin, st.url, true);
}

// The body is in: the connection goes back to the pool if the server keeps it open.
void give_back_connection(ResponseState& st) {
  st.lease.connection().tcp().expires_never();
  st.lease.release(st.parser->keep_alive() && !st.force_close);
}

}  // namespace
}  // namespace detail

asio::awaitable<std::string> Response::read() {
  if (!state_) throw ClientPayloadError("an empty response has no body");
  auto& st = *state_;
  if (st.streaming) {  // read_chunk() began: the rest of the stream
    std::string rest;
    for (std::string piece; !(piece = co_await read_chunk()).empty();) rest += piece;
    co_return rest;
  }
  if (!st.body_done) {
    if (!st.lease) throw ClientPayloadError("the response was released before its body was read");
    auto& parser = *st.parser;
    std::string body;
    try {
      while (!parser.is_done()) co_await detail::read_some(st);
      body = std::move(parser.body());
      detail::give_back_connection(st);  // the connection is done with, whatever decoding finds
      if (const auto encoding = parser.field("Content-Encoding"); encoding && !encoding->empty())
        body = detail::decode_content(std::move(body), *encoding, st.max_body_bytes);
    } catch (...) {
      st.lease.release(false);  // (nothing left to release if decoding failed)
      st.signal_exception(std::current_exception());
      throw;
    }
    st.body = std::move(body);
    st.body_done = true;
    st.signal_end(st.body.size());
  }
  co_return st.body;
}

asio::awaitable<std::string> Response::read_chunk() {
  if (!state_) throw ClientPayloadError("an empty response has no body");
  auto& st = *state_;
  if (st.body_done) co_return std::string{};
  if (!st.lease) throw ClientPayloadError("the response was released before its body was read");
  auto& parser = *st.parser;
  try {
    if (!st.streaming) {
      st.streaming = true;
      st.inflater = detail::Inflater::for_encoding(parser.field("Content-Encoding").value_or(""));
    }
    for (;;) {
      // What the parser holds already (the header read may have brought body bytes along).
      std::string raw = std::move(parser.body());
      parser.body().clear();
      std::string out = st.inflater ? st.inflater->feed(raw) : std::move(raw);
      st.streamed_bytes += out.size();
      if (st.streamed_bytes > st.max_body_bytes)
        throw ClientPayloadError("response body from " + std::string(st.url.buffer()) + " exceeds " +
                                 std::to_string(st.max_body_bytes) + " bytes");
      if (!out.empty()) co_return out;
      if (parser.is_done()) {
        if (st.inflater) st.inflater->finish();
        detail::give_back_connection(st);
        st.body_done = true;
        st.signal_end(st.streamed_bytes);
        co_return std::string{};
      }
      co_await detail::read_some(st);
    }
  } catch (...) {
    st.lease.release(false);
    st.signal_exception(std::current_exception());
    throw;
  }
}

asio::awaitable<boost::json::value> Response::json() {
  const std::string body = co_await read();
  boost::system::error_code ec;
  auto v = boost::json::parse(body, ec);
  if (ec) throw ClientPayloadError("response body from " + std::string(state_->url.buffer()) + " is not JSON: " + ec.message());
  co_return v;
}

void Response::raise_for_status() const {
  if (status() >= 400) throw ClientResponseError(status(), reason(), std::string(url().buffer()));
}

void Response::release() noexcept {
  if (state_ && state_->lease) state_->lease.release(state_->body_done);
}

namespace detail {
namespace {

// A response that is answered by a retry: its body read if it is small, so the connection
// can be reused; otherwise the connection is closed.
asio::awaitable<void> discard_small_body(Response& resp) {
  constexpr std::size_t kDrainable = 64 * 1024;
  std::size_t length = kDrainable + 1;
  if (const auto cl = resp.headers().first("Content-Length")) {
    const auto [end, ec] = std::from_chars(cl->data(), cl->data() + cl->size(), length);
    if (ec != std::errc{} || end != cl->data() + cl->size()) length = kDrainable + 1;
  }
  if (length > kDrainable) {
    resp.release();
    co_return;
  }
  try {
    co_await resp.read();
  } catch (const ClientError&) {
    // nothing of it is used: the connection is closed, the retry goes on
  }
}

}  // namespace
}  // namespace detail

// --- ClientSession ---

namespace {

// What goes out for one request(): redirects change it.
struct Outgoing {
  std::string method;
  Url url;
  Headers headers;
  std::string body;
};

}  // namespace

struct ClientSession::Impl {
  Impl(asio::any_io_executor ex, SessionOptions o)
      : options(std::move(o)),
        pool(std::make_shared<detail::Pool>(tracehop::detail::plain_executor(ex), options.connector)) {
    if (!options.base_url.empty()) base = parse_url(options.base_url);
  }
  SessionOptions options;
  std::optional<Url> base;
  std::shared_ptr<detail::Pool> pool;
  detail::UrlCache urls;
  std::mutex configs_mu;  // serialises add_trace_config; requests only load
  std::atomic<std::shared_ptr<const std::vector<TraceConfigPtr>>> added_configs;

  Url url_of(std::string_view text) {
    return urls.get(text, [&](std::string_view t) { return base ? resolve_url(*base, t) : parse_url(t); });
  }

  // One exchange on one connection: the request out, the response header in. Each attempt is
  // a physical request of its own for the lifecycle signals; `sent` counts them across the
  // redirect hops and retries of one request() (its resend count).
  asio::awaitable<Response> send(std::string_view method, const Url& url, const Headers& headers,
                                 const std::string& body, const ClientTimeout& timeout,
                                 Clock::time_point deadline, const std::vector<TraceConfigPtr>& configs,
                                 int& sent, bool trace) {
    const Origin origin = origin_of(url);
    const auto now = Clock::now();
    auto connect_deadline = deadline;
    bool connect_is_total = true;
    if (timeout.connect && now + *timeout.connect < deadline) {
      connect_deadline = now + *timeout.connect;
      connect_is_total = false;
    }

    for (int attempt = 0;; ++attempt) {
      const int resend_count = sent++;
      std::shared_ptr<detail::Signals> sig;
      std::optional<Headers> signalled_headers;  // a copy for subscribers to change (inject into)
      if (!configs.empty()) {
        sig = std::make_shared<detail::Signals>(configs);
        sig->set_origin(&origin);
        signalled_headers = headers;
        sig->emit(&TraceConfig::on_request_start, [&](SignalContext& c) {
          return RequestStartParams{c, method, url, *signalled_headers, resend_count, trace, origin};
        });
      }
      const Headers& hop_headers = signalled_headers ? *signalled_headers : headers;
      auto signal_exception = [&](std::exception_ptr e) {
        if (!sig) return;
        bool cancelled = false;
        try {
          std::rethrow_exception(e);
        } catch (const boost::system::system_error& se) {
          cancelled = se.code() == asio::error::operation_aborted;
        } catch (...) {
        }
        sig->emit(&TraceConfig::on_request_exception, [&](SignalContext& c) {
          return RequestExceptionParams{c, method, url, e, cancelled};
        });
      };

      // The request goes out as one buffer, written here: Beast's serializer costs a third of
      // a keep-alive request's client CPU (bench/http-vs-wrk).
      const std::string wire = detail::serialize_request(method, request_target(url), origin.host_header(),
                                                         hop_headers, body, options.connector.force_close);

      detail::Lease lease;
      auto st = std::make_unique<detail::ResponseState>();
      auto& parser = st->parser.emplace();
      parser.body_limit(options.max_body_bytes);
      if (method == "HEAD") parser.skip(true);
      bool retry = false;
      try {
        lease = co_await pool->acquire(origin, connect_deadline, connect_is_total, timeout.sock_connect, sig.get());
        auto& conn = lease.connection();
        auto lim = detail::op_limit(deadline, std::nullopt, origin);
        boost::system::error_code ec;
        const std::size_t written = detail::write_now(conn, wire, ec);
        if (!ec && written < wire.size()) {
          detail::expire(conn.tcp(), lim.limit);
          auto [wec, wn] = co_await conn.with_stream([&](auto& stream) {
            return asio::async_write(stream, asio::buffer(wire) + written, as_tuple_awaitable);
          });
          ec = wec;
        }
        if (!ec) {
          if (sig)
            sig->emit(&TraceConfig::on_request_headers_sent, [&](SignalContext& c) {
              return RequestHeadersSentParams{c, method, url, hop_headers};
            });
          lim = detail::op_limit(deadline, timeout.sock_read, origin);
          detail::expire(conn.tcp(), lim.limit);
          auto [rec, rn] = co_await conn.with_stream(
              [&](auto& stream) { return bhttp::async_read_header(stream, conn.buffer, parser, as_tuple_awaitable); });
          ec = rec;
        }
        if (ec) {
          // A pooled connection the server closed meanwhile: an idempotent request is retried
          // once, on a new connection, if nothing of a response arrived (as aiohttp does).
          const bool closed = ec == bhttp::error::end_of_stream || ec == asio::error::eof ||
                              ec == asio::error::connection_reset || ec == asio::error::broken_pipe;
          retry = lease.reused() && attempt == 0 && !parser.got_some() && closed && detail::idempotent(method);
          lease.release(false);
          if (!retry) detail::throw_read_error(ec, lim, origin, url, false);
        } else {
          conn.tcp().expires_never();
        }
      } catch (...) {
        signal_exception(std::current_exception());
        throw;
      }
      if (retry) {
        signal_exception(std::make_exception_ptr(ServerDisconnectedError(
            origin.host_header() + " had closed the pooled connection; retrying on a new one")));
        continue;
      }

      st->status = parser.status();
      st->reason = std::string(parser.reason());
      st->version = parser.version();
      st->url = url;
      st->method = std::string(method);
      st->deadline = deadline;
      st->sock_read = timeout.sock_read;
      st->force_close = options.connector.force_close;
      st->max_body_bytes = options.max_body_bytes;
      st->lease = std::move(lease);
      st->signals = sig;
      const bool no_body = st->parser->is_done();  // HEAD, 204, 304, Content-Length: 0
      if (no_body) {
        st->body_done = true;
        st->lease.release(st->parser->keep_alive() && !st->force_close);
      }
      detail::ResponseState* raw = st.get();
      Response resp(std::move(st));
      if (sig)
        sig->emit(&TraceConfig::on_response_headers, [&](SignalContext& c) {
          return ResponseHeadersParams{c, method, url, resp};
        });
      if (no_body) raw->signal_end(0);
      co_return resp;
    }
  }

  // One attempt of a request(): the request and the redirects it leads to, each hop a
  // physical request of its own.
  asio::awaitable<Response> follow(Outgoing& out, const RequestOptions& o, const ClientTimeout& timeout,
                                   Clock::time_point deadline, const std::vector<TraceConfigPtr>& configs,
                                   int& sent) {
    auto& [method, url, headers, body] = out;
    const auto& jar = options.cookie_jar;
    const bool caller_cookie = headers.contains("Cookie");
    for (int redirects = 0;; ++redirects) {
      if (jar && !caller_cookie) {
        headers.erase("Cookie");
        if (auto cookie = jar->header_for(url); !cookie.empty()) headers.add("Cookie", cookie);
      }
      Response resp = co_await send(method, url, headers, body, timeout, deadline, configs, sent, o.trace);
      resp.state_->redirects = redirects;
      if (jar && resp.headers().contains("Set-Cookie")) jar->update(url, resp.headers());
      const bool redirect = o.allow_redirects && detail::is_redirect(resp.status());
      const auto location = redirect ? resp.headers().first("Location") : std::nullopt;
      if (!redirect || !location) co_return resp;
      if (redirects >= o.max_redirects) {
        resp.release();
        throw TooManyRedirects(resp.status(), std::string(url.buffer()), o.max_redirects);
      }
      co_await resp.read();  // drain it, so the connection can carry the next hop
      const Url next = resolve_url(url, *location);
      if (const auto& sig = resp.state_->signals)
        sig->emit(&TraceConfig::on_request_redirect, [&](SignalContext& c) {
          return RedirectParams{c, resp.state_->method, url, resp, next};
        });
      // 303, and 301/302 after a POST, become a GET without a body (as browsers and aiohttp do).
      if (resp.status() == 303 || ((resp.status() == 301 || resp.status() == 302) && method == "POST")) {
        if (method != "HEAD") method = "GET";
        body.clear();
        headers.erase("Content-Type");
        headers.erase("Content-Length");
      }
      if (origin_of(next) != origin_of(url)) headers.erase("Authorization");  // no credentials to another origin
      url = next;
    }
  }
};

ClientSession::ClientSession(asio::any_io_executor executor, SessionOptions options)
    : impl_(std::make_shared<Impl>(std::move(executor), std::move(options))) {}

ClientSession::ClientSession(asio::any_io_executor executor) : ClientSession(std::move(executor), SessionOptions()) {}

ClientSession::~ClientSession() {
  if (!impl_->pool->closed()) {
    const auto open = impl_->pool->stats().open;
    if (open > 0) {
      static std::atomic<bool> warned{false};
      if (!warned.exchange(true))
        log_warn("ClientSession destroyed without close() while " + std::to_string(open) +
                 " connections were open: call co_await session.close() when done");
    }
  }
  impl_->pool->close_all();
}

bool ClientSession::closed() const noexcept { return impl_->pool->closed(); }

ClientSession::PoolStats ClientSession::pool_stats() const noexcept { return impl_->pool->stats(); }

void ClientSession::add_trace_config(TraceConfigPtr config) {
  std::lock_guard lk(impl_->configs_mu);
  auto configs = std::make_shared<std::vector<TraceConfigPtr>>();
  if (auto old = impl_->added_configs.load()) *configs = *old;
  configs->push_back(std::move(config));
  impl_->added_configs.store(std::move(configs), std::memory_order_release);
}

asio::awaitable<void> ClientSession::close() {
  impl_->pool->close_all();
  co_return;
}

asio::awaitable<Response> ClientSession::request(std::string_view method_in, std::string_view url_text,
                                                 RequestOptions o) {
  auto impl = impl_;  // the session may be destroyed while this request runs
  const auto& opts = impl->options;
  if (impl->pool->closed()) throw ClientError(make_error_code(errc::session_closed), "the session is closed");

  Url url = impl->url_of(url_text);
  append_query(url, o.params);
  const ClientTimeout timeout = o.timeout ? *o.timeout : opts.timeout;

  std::string method(method_in);
  std::string body;
  std::string content_type;
  if (o.json) {
    body = boost::json::serialize(*o.json);
    content_type = "application/json";
  } else if (o.form) {
    body = detail::form_encode(*o.form);
    content_type = "application/x-www-form-urlencoded";
  } else if (o.data) {
    body = std::move(*o.data);
  }

  if (o.compress) {
    if (*o.compress != "gzip")
      throw ClientError(make_error_code(errc::invalid_header), "compress: '" + *o.compress + "' is not supported (gzip is)");
    body = detail::gzip_compress(body);
  }

  // Headers: the session's defaults unless the request names them, then the request's own in
  // the caller's order.
  Headers headers;
  headers.reserve(4 + opts.headers.size() + o.headers.size());
  if (!o.headers.contains("User-Agent") && !opts.headers.contains("User-Agent")) headers.add("User-Agent", "tracehop/0.1");
  if (!o.headers.contains("Accept") && !opts.headers.contains("Accept")) headers.add("Accept", "*/*");
  if (!o.headers.contains("Accept-Encoding") && !opts.headers.contains("Accept-Encoding"))
    headers.add("Accept-Encoding", "gzip, deflate");
  for (const auto& [n, v] : opts.headers)
    if (!o.headers.contains(n)) headers.add(n, v);
  for (const auto& [n, v] : o.headers) headers.add(n, v);
  if (!content_type.empty() && !headers.contains("Content-Type")) headers.add("Content-Type", content_type);
  if (o.compress) headers.set("Content-Encoding", *o.compress);

  std::vector<TraceConfigPtr> configs = opts.trace_configs;
  if (auto added = impl->added_configs.load(std::memory_order_acquire))
    configs.insert(configs.end(), added->begin(), added->end());
  if (detail::has_global_trace_configs()) {
    const auto own = configs.size();
    for (auto& c : global_trace_configs()) {
      const bool replaced = !c->group.empty() && std::any_of(configs.begin(), configs.begin() + own, [&](const auto& mine) {
        return mine->group == c->group;
      });
      if (!replaced) configs.push_back(std::move(c));
    }
  }

  Outgoing out{std::move(method), std::move(url), std::move(headers), std::move(body)};
  const RetryPolicy* retry = o.retry ? &*o.retry : opts.retry ? &*opts.retry : nullptr;
  if (retry && !retry->allows(out.method)) retry = nullptr;
  const bool raise = o.raise_for_status.value_or(opts.raise_for_status);
  int sent = 0;  // physical requests so far: each one's http.request.resend_count
  for (int attempt = 1;; ++attempt) {
    const bool last = !retry || attempt >= retry->attempts;
    const auto deadline = timeout.total ? Clock::now() + *timeout.total : Clock::time_point::max();
    std::optional<Millis> wait;
    std::string why;
    const auto backoff = [&] { return retry->backoff(attempt); };
    try {
      // Redirects change what is sent: the last attempt may change the request itself, earlier
      // ones change a copy.
      Outgoing copy;
      if (!last) copy = out;
      Response resp = co_await impl->follow(last ? out : copy, o, timeout, deadline, configs, sent);
      if (last || !retry->retries_status(resp.status())) {
        if (raise && resp.status() >= 400) {
          resp.release();
          resp.raise_for_status();
        }
        co_return resp;
      }
      wait = backoff();
      if (retry->respect_retry_after) {
        if (const auto asked = RetryPolicy::retry_after(resp.headers())) {
          if (*asked > retry->max_retry_after) {  // too long to wait: the answer stands
            if (raise) {
              resp.release();
              resp.raise_for_status();
            }
            co_return resp;
          }
          wait = *asked;
        }
      }
      why = "status " + std::to_string(resp.status());
      co_await detail::discard_small_body(resp);
    } catch (const ClientSSLError&) {
      throw;  // a certificate problem does not go away by asking again
    } catch (const ClientConnectionError& e) {
      if (last || !retry->on_connection_errors) throw;
      wait = backoff();
      why = e.what();
    }
    log_debug("retrying " + out.method + " " + std::string(url_text) + " after " + why + " in " +
              std::to_string(wait->count()) + " ms (attempt " + std::to_string(attempt + 1) + " of " +
              std::to_string(retry->attempts) + ")");
    if (wait->count() > 0) {
      asio::steady_timer timer(co_await asio::this_coro::executor, *wait);
      co_await timer.async_wait(asio::use_awaitable);
    }
  }
}

}  // namespace tracehop::http
