#include "tracehop/http/server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/http/rfc7230.hpp>
#include <boost/url/decode_view.hpp>
#include <atomic>
#include <mutex>
#include <set>
#include <system_error>
#include <span>

#include "router.hpp"
#include "server_response.hpp"
#include "tracehop/task.hpp"
#include "tracehop/log.hpp"

namespace asio = boost::asio;

namespace tracehop::http {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using asio::use_awaitable;
constexpr auto as_tuple_awaitable = asio::as_tuple(asio::use_awaitable);

// --- request and response helpers -------------------------------------------------------------

std::string ServerRequest::param(std::string_view name) const {
  for (const auto& [k, v] : path_params) {
    if (k != name) continue;
    std::string decoded;
    for (char c : boost::urls::decode_view(v)) decoded += c;
    return decoded;
  }
  return {};
}

namespace {

// One open connection, shared with stop() so an idle one can be closed from outside.
struct Connection {
  explicit Connection(tcp::socket s) : stream(std::move(s)) {}
  beast::tcp_stream stream;
  std::atomic<bool> idle{true};
};

bool is_disconnect(const boost::system::error_code& ec) {
  return ec == bhttp::error::end_of_stream || ec == asio::error::eof ||
         ec == asio::error::connection_reset || ec == asio::error::operation_aborted ||
         ec == beast::error::timeout || ec == asio::error::broken_pipe ||
         ec == asio::error::bad_descriptor;
}

std::string describe(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    return ex.what();
  } catch (...) {
    return "an exception not derived from std::exception";
  }
}

// "GET /items/{sku}" (or the path, when no route matched): how the log names a request.
std::string request_name(const ServerRequest& req) {
  return req.method + " " + (req.route.empty() ? req.path : req.route);
}

using Head = bhttp::response<bhttp::string_body>;

// The BodyWriter of a streamed response: the head goes out with the first piece; HTTP/1.1 gets
// chunks, HTTP/1.0 the bytes as they are (its end is the connection's close).
class StreamWriter final : public BodyWriter {
 public:
  StreamWriter(beast::tcp_stream& stream, Head& head, std::chrono::milliseconds timeout)
      : stream_(stream), head_(head), timeout_(timeout), chunked_(head.chunked()) {}

  asio::awaitable<void> write(std::string_view data) override {
    if (data.empty()) co_return;  // an empty chunk would end the body
    co_await send_head();
    stream_.expires_after(timeout_);
    auto [ec, n] = chunked_ ? co_await asio::async_write(stream_, bhttp::make_chunk(asio::buffer(data)), as_tuple_awaitable)
                            : co_await asio::async_write(stream_, asio::buffer(data), as_tuple_awaitable);
    if (ec) fail(ec);
  }
  bool started() const noexcept override { return started_; }
  bool failed() const noexcept { return failed_; }

  // Ends the body: the head if nothing was written, and the last chunk.
  asio::awaitable<void> finish() {
    co_await send_head();
    if (!chunked_) co_return;
    stream_.expires_after(timeout_);
    auto [ec, n] = co_await asio::async_write(stream_, bhttp::make_chunk_last(), as_tuple_awaitable);
    if (ec) fail(ec);
  }

 private:
  asio::awaitable<void> send_head() {
    if (started_) co_return;
    started_ = true;
    bhttp::response_serializer<bhttp::string_body> sr(head_);
    stream_.expires_after(timeout_);
    auto [ec, n] = co_await bhttp::async_write_header(stream_, sr, as_tuple_awaitable);
    if (ec) fail(ec);
  }
  [[noreturn]] void fail(const boost::system::error_code& ec) {
    failed_ = true;
    throw boost::system::system_error(ec, "writing the response body");
  }

  beast::tcp_stream& stream_;
  Head& head_;
  std::chrono::milliseconds timeout_;
  bool chunked_;
  bool started_ = false;
  bool failed_ = false;
};

// `host:port`, an IPv6 host in brackets.
std::string authority(const std::string& host, unsigned short port) {
  return (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

}  // namespace

// --- the server ----------------------------------------------------------------------------------

struct Server::Impl : std::enable_shared_from_this<Server::Impl> {
  Impl(asio::any_io_executor e, ServerOptions o)
      : executor(tracehop::detail::plain_executor(e)), options(std::move(o)), acceptor(executor) {}

  asio::any_io_executor executor;
  ServerOptions options;
  detail::Router router;
  std::vector<Middleware> middleware;
  Handler chain;  // middleware around dispatch, built by start()
  std::vector<std::shared_ptr<RequestObserver>> observers;
  tcp::acceptor acceptor;
  unsigned short bound_port = 0;
  std::atomic<bool> stopping{false};

  std::mutex mu;
  std::set<std::shared_ptr<Connection>> connections;
  std::set<std::string> logged;  // the faults already logged, by route
  std::atomic<std::size_t> accepted{0}, open{0}, peak_open{0}, requests{0}, failures{0};

  // A fault of a handler's answer: the same one every time for a route, so it is logged once.
  void log_once(const ServerRequest& req, const std::string& fault) {
    std::string line = "server: " + request_name(req) + ": " + fault;
    {
      std::lock_guard lk(mu);
      if (logged.size() >= 1000 || !logged.insert(line).second) return;
    }
    log_error(line + " (logged once)");
  }

  asio::awaitable<void> accept_loop() {
    auto self = shared_from_this();
    for (;;) {
      auto [ec, socket] = co_await acceptor.async_accept(as_tuple_awaitable);
      if (ec == asio::error::operation_aborted || stopping) co_return;
      if (ec) {
        // Out of file descriptors, say: wait a little instead of spinning on the error.
        log_warn(std::string("server: accept failed: ") + ec.message());
        asio::steady_timer pause(executor, std::chrono::milliseconds(50));
        co_await pause.async_wait(as_tuple_awaitable);
        continue;
      }
      auto conn = std::make_shared<Connection>(std::move(socket));
      {
        std::lock_guard lk(mu);
        connections.insert(conn);
      }
      ++accepted;
      const auto now_open = ++open;
      for (auto peak = peak_open.load(); now_open > peak && !peak_open.compare_exchange_weak(peak, now_open);) {
      }
      // Each connection is its own task, starting with an empty context.
      trace::Scope clean{trace::Context{}};
      spawn(executor, serve(self, conn));
    }
  }

  // Tells each observer through `call`, in the order added or (`reverse`, a request's end) the
  // reverse; what one throws is logged and goes no further.
  template <class Call>
  void tell(std::span<SignalContext> states, bool reverse, Call&& call) noexcept {
    for (std::size_t k = 0; k < states.size(); ++k) {
      const std::size_t i = reverse ? states.size() - 1 - k : k;
      try {
        call(*observers[i], states[i]);
      } catch (...) {
        log_error("server: a request observer threw: " + describe(std::current_exception()));
      }
    }
  }

  // The handler's answer, or a 500 for whatever it (or a middleware) threw; the observers see
  // the request begin and end around it.
  asio::awaitable<ServerResponse> handle(ServerRequest& req) {
    SignalContext one;  // an observer's state: in this frame for the usual one, else on the heap
    std::unique_ptr<SignalContext[]> many;
    std::span<SignalContext> states;
    if (observers.size() == 1) states = {&one, 1};
    else if (!observers.empty()) {
      many = std::make_unique<SignalContext[]>(observers.size());
      states = {many.get(), observers.size()};
    }
    tell(states, false, [&](RequestObserver& o, SignalContext& state) { o.on_request(req, state); });
    std::exception_ptr failure;
    try {
      ServerResponse resp = co_await chain(req);
      tell(states, true, [&](RequestObserver& o, SignalContext& state) { o.on_response(req, resp, state); });
      co_return std::move(resp);
    } catch (...) {
      failure = std::current_exception();
    }
    tell(states, true, [&](RequestObserver& o, SignalContext& state) { o.on_exception(req, failure, state); });
    ++failures;
    log_error("server: " + request_name(req) + " threw: " + describe(failure) + "; answered 500");
    co_return detail::internal_server_error();
  }

  // Sends `resp` to `req`; returns whether the connection can take another request.
  asio::awaitable<bool> respond(Connection& c, const ServerRequest& req, ServerResponse resp, bool keep_alive) {
    if (auto fault = detail::make_sendable(resp, req.method, req.version % 10); !fault.empty()) {
      ++failures;
      log_once(req, fault);
    }
    Head res;
    res.version(req.version);
    res.result(static_cast<unsigned>(resp.status));
    for (const auto& [k, v] : resp.headers) res.insert(k, v);
    if (!res.count(bhttp::field::server)) res.set(bhttp::field::server, "tracehop");
    const bool content = detail::carries_content(req.method, resp.status);
    // A handler may end the connection with `Connection: close`; HTTP/1.0 has no chunks, so a
    // stream's end is the connection's.
    keep_alive = keep_alive && !bhttp::token_list(res[bhttp::field::connection]).exists("close") &&
                 !(content && resp.stream && req.version == 10);
    res.keep_alive(keep_alive);

    if (content && resp.stream) {
      StreamWriter writer(c.stream, res, options.read_timeout);
      std::exception_ptr failure;
      try {
        co_await resp.stream(writer);
        co_await writer.finish();
      } catch (...) {
        failure = std::current_exception();
      }
      if (!failure) co_return keep_alive;
      if (writer.failed()) co_return false;  // the client went away: nothing to answer
      ++failures;
      if (!writer.started()) {
        log_error("server: " + request_name(req) + ": the body stream threw: " + describe(failure) + "; answered 500");
        co_return co_await respond(c, req, detail::internal_server_error(), keep_alive);
      }
      log_error("server: " + request_name(req) + ": the body stream threw after the response began: " +
                describe(failure) + "; connection closed");
      co_return false;
    }

    c.stream.expires_after(options.read_timeout);
    boost::system::error_code ec;
    if (content) {
      res.body() = std::move(resp.body);
      std::tie(ec, std::ignore) = co_await bhttp::async_write(c.stream, res, as_tuple_awaitable);
    } else {
      bhttp::response_serializer<bhttp::string_body> sr(res);
      std::tie(ec, std::ignore) = co_await bhttp::async_write_header(c.stream, sr, as_tuple_awaitable);
    }
    co_return !ec && keep_alive;
  }

  // Answers a request that cannot be served and closes the connection. The client may still
  // be sending (a body over the limit): closing a socket with unread input makes the kernel
  // send a reset that can destroy our answer in flight, so the rest is read and dropped first,
  // for a bounded time.
  asio::awaitable<void> reject(Connection& c, int status, std::string_view why) {
    ServerRequest req;
    co_await respond(c, req, ServerResponse::text(status, std::string(why) + "\n"), false);
    boost::system::error_code ec;
    c.stream.socket().shutdown(tcp::socket::shutdown_send, ec);
    c.stream.expires_after(std::chrono::seconds(1));
    char sink[4096];
    std::size_t drained = 0;
    while (drained < options.max_body_bytes + options.max_header_bytes) {
      auto [rec, n] = co_await c.stream.async_read_some(asio::buffer(sink), as_tuple_awaitable);
      if (rec) break;
      drained += n;
    }
  }

  // Reads requests and answers them until the connection ends.
  asio::awaitable<void> serve_requests(Connection& c) {
    beast::flat_buffer buffer;
    bool first = true;
    for (;;) {
      bhttp::request_parser<bhttp::string_body> parser;
      parser.header_limit(static_cast<std::uint32_t>(options.max_header_bytes));
      parser.body_limit(options.max_body_bytes);
      c.idle = true;
      if (stopping) co_return;
      c.stream.expires_after(first ? options.read_timeout : options.keepalive_timeout);
      auto [ec, n] = co_await bhttp::async_read_header(c.stream, buffer, parser, as_tuple_awaitable);
      c.idle = false;
      first = false;
      if (ec) {
        if (ec == bhttp::error::header_limit) co_await reject(c, 431, "request header fields too large");
        else if (ec == bhttp::error::body_limit) co_await reject(c, 413, "request body too large");
        else if (!is_disconnect(ec)) co_await reject(c, 400, "bad request: " + ec.message());
        co_return;
      }
      const auto& header = parser.get();
      if (static_cast<std::size_t>(std::distance(header.begin(), header.end())) > options.max_header_count) {
        co_await reject(c, 431, "too many request header fields");
        co_return;
      }
      // RFC 9112 6.3: a request's Transfer-Encoding whose last coding is not chunked (or any in
      // HTTP/1.0) leaves its length unknown: 400 and close, or the bytes after it could be read
      // as a second, smuggled request. (Beast would read such a request as having no body.)
      if (header.find(bhttp::field::transfer_encoding) != header.end() && (!parser.chunked() || header.version() < 11)) {
        co_await reject(c, 400, "bad request: a Transfer-Encoding that does not end in chunked");
        co_return;
      }
      if (!parser.is_done()) {
        c.stream.expires_after(options.read_timeout);
        auto [bec, bn] = co_await bhttp::async_read(c.stream, buffer, parser, as_tuple_awaitable);
        if (bec) {
          if (bec == bhttp::error::body_limit) co_await reject(c, 413, "request body too large");
          else if (!is_disconnect(bec)) co_await reject(c, 400, "bad request body: " + bec.message());
          co_return;
        }
      }
      auto msg = parser.release();
      ServerRequest req;
      req.method = std::string(msg.method_string());
      req.target = std::string(msg.target());
      const auto q = req.target.find('?');
      req.path = req.target.substr(0, q);
      if (q != std::string::npos) req.query = req.target.substr(q + 1);
      for (const auto& f : msg) req.headers.add(f.name_string(), f.value());
      req.body = std::move(msg.body());
      req.version = static_cast<int>(msg.version());
      boost::system::error_code addr_ec;
      if (auto ep = c.stream.socket().remote_endpoint(addr_ec); !addr_ec) {
        req.remote_address = ep.address().to_string();
        req.remote_port = ep.port();
      }
      if (auto ep = c.stream.socket().local_endpoint(addr_ec); !addr_ec) {
        req.local_address = ep.address().to_string();
        req.local_port = ep.port();
      }
      router.match(req);

      ServerResponse resp = co_await handle(req);
      ++requests;
      if (!co_await respond(c, req, std::move(resp), msg.keep_alive() && !stopping)) co_return;
    }
  }

  // `self` keeps the server's state alive for as long as this connection runs. Whatever happens
  // inside, the connection alone ends: nothing escapes to io_context::run().
  asio::awaitable<void> serve([[maybe_unused]] std::shared_ptr<Impl> self, std::shared_ptr<Connection> conn) {
    try {
      co_await serve_requests(*conn);
    } catch (...) {
      log_error("server: a connection ended on an error: " + describe(std::current_exception()));
    }
    boost::system::error_code ignored;
    conn->stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
    conn->stream.close();
    {
      std::lock_guard lk(mu);
      connections.erase(conn);
    }
    --open;
  }
};

Server::Server(asio::any_io_executor executor, ServerOptions options)
    : impl_(std::make_shared<Impl>(std::move(executor), std::move(options))) {}

Server::Server(asio::any_io_executor executor) : Server(std::move(executor), ServerOptions()) {}

Server::~Server() {
  boost::system::error_code ignored;
  impl_->acceptor.close(ignored);
}

void Server::route(std::string_view method, std::string_view pattern, Handler handler) {
  impl_->router.add(method, pattern, std::move(handler));
}

void Server::use(Middleware middleware) { impl_->middleware.push_back(std::move(middleware)); }

void Server::observe(std::shared_ptr<RequestObserver> observer) { impl_->observers.push_back(std::move(observer)); }

void Server::start() {
  auto& impl = *impl_;
  Handler next = [raw = impl_.get()](ServerRequest& r) { return raw->router.dispatch(r); };
  for (auto it = impl.middleware.rbegin(); it != impl.middleware.rend(); ++it)
    next = [mw = *it, inner = std::move(next)](ServerRequest& r) { return mw(r, inner); };
  impl.chain = std::move(next);

  // Errors say what failed in words ("cannot listen on 127.0.0.1:8080: Address already in use"),
  // without Boost's source location.
  const auto where = authority(impl.options.host, impl.options.port);
  boost::system::error_code ec;
  auto address = asio::ip::make_address(impl.options.host, ec);
  if (ec) {  // a name, such as localhost: its first address
    tcp::resolver resolver(impl.executor);
    const auto found = resolver.resolve(impl.options.host, "", asio::ip::resolver_base::address_configured, ec);
    if (ec || found.empty()) throw std::system_error(ec, "cannot listen on " + where + ": cannot resolve '" + impl.options.host + "'");
    address = found.begin()->endpoint().address();
  }
  const tcp::endpoint ep(address, impl.options.port);
  impl.acceptor.open(ep.protocol(), ec);
  if (!ec) impl.acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec && ep.address().is_v6()) impl.acceptor.set_option(asio::ip::v6_only(true), ec);
  if (!ec) impl.acceptor.bind(ep, ec);
  if (!ec) impl.acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    boost::system::error_code ignored;
    impl.acceptor.close(ignored);
    throw std::system_error(ec, "cannot listen on " + where);
  }
  impl.bound_port = impl.acceptor.local_endpoint().port();
  trace::Scope clean{trace::Context{}};
  spawn(impl.executor, impl.accept_loop());
}

asio::awaitable<void> Server::stop() {
  auto impl = impl_;
  impl->stopping = true;
  co_await asio::post(impl->acceptor.get_executor(), use_awaitable);
  boost::system::error_code ignored;
  impl->acceptor.close(ignored);
  asio::steady_timer timer(co_await asio::this_coro::executor);
  while (impl->open.load() > 0) {
    {
      // Idle connections are waiting for a request that must not come: close them.
      std::lock_guard lk(impl->mu);
      for (const auto& c : impl->connections)
        if (c->idle)
          asio::post(c->stream.get_executor(), [c] {
            boost::system::error_code cancel_ec;  // it may have closed meanwhile
            c->stream.socket().cancel(cancel_ec);
          });
    }
    timer.expires_after(std::chrono::milliseconds(5));
    co_await timer.async_wait(use_awaitable);
  }
}

unsigned short Server::port() const noexcept { return impl_->bound_port; }
const std::string& Server::host() const noexcept { return impl_->options.host; }

std::string Server::url() const { return "http://" + authority(impl_->options.host, impl_->bound_port); }

Server::Stats Server::stats() const noexcept {
  return {impl_->accepted.load(), impl_->open.load(), impl_->peak_open.load(), impl_->requests.load(),
          impl_->failures.load()};
}

}  // namespace tracehop::http
