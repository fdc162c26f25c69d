#include "tracehop/http/server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/json/serialize.hpp>
#include <boost/url/decode_view.hpp>
#include <atomic>
#include <mutex>
#include <set>

#include "tracehop/http/task.hpp"
#include "tracehop/trace/log.hpp"

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

ServerResponse ServerResponse::text(int status, std::string body, std::string_view content_type) {
  ServerResponse r;
  r.status = status;
  r.headers.set("Content-Type", content_type);
  r.body = std::move(body);
  return r;
}

ServerResponse ServerResponse::json(int status, const boost::json::value& value) {
  return text(status, boost::json::serialize(value), "application/json");
}

namespace {

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> out;
  if (!path.empty() && path.front() == '/') path.remove_prefix(1);
  while (true) {
    const auto slash = path.find('/');
    out.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return out;
}

struct Route {
  std::string method;
  std::string pattern;
  std::vector<std::string> segments;  // "{name}" for placeholders
  Handler handler;

  bool matches_path(std::string_view path, std::vector<std::pair<std::string, std::string>>& params) const {
    const auto parts = split_path(path);
    if (parts.size() != segments.size()) return false;
    params.clear();
    for (std::size_t i = 0; i < parts.size(); ++i) {
      const auto& s = segments[i];
      if (s.size() >= 2 && s.front() == '{' && s.back() == '}') {
        if (parts[i].empty()) return false;
        params.emplace_back(s.substr(1, s.size() - 2), std::string(parts[i]));
      } else if (s != parts[i]) {
        return false;
      }
    }
    return true;
  }
};

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

}  // namespace

// --- the server ----------------------------------------------------------------------------------

struct Server::Impl : std::enable_shared_from_this<Server::Impl> {
  Impl(asio::any_io_executor e, ServerOptions o)
      : executor(detail::plain_executor(e)), options(std::move(o)), acceptor(executor) {}

  asio::any_io_executor executor;
  ServerOptions options;
  std::vector<Route> routes;
  std::vector<Middleware> middleware;
  Handler chain;  // middleware around dispatch, built by start()
  tcp::acceptor acceptor;
  unsigned short bound_port = 0;
  std::atomic<bool> stopping{false};

  std::mutex mu;
  std::set<std::shared_ptr<Connection>> connections;
  std::atomic<std::size_t> accepted{0}, open{0}, peak_open{0}, requests{0};

  asio::awaitable<ServerResponse> dispatch(ServerRequest& req) {
    if (req.route.empty()) {
      // No route for this path at all, or none for this method.
      std::string allow;
      std::vector<std::pair<std::string, std::string>> ignored;
      for (const auto& r : routes)
        if (r.matches_path(req.path, ignored)) allow += (allow.empty() ? "" : ", ") + r.method;
      if (allow.empty()) co_return ServerResponse::text(404, "not found\n");
      auto resp = ServerResponse::text(405, "method not allowed\n");
      resp.headers.set("Allow", allow);
      co_return resp;
    }
    for (const auto& r : routes) {
      if (r.pattern == req.route && (r.method == "*" || r.method == req.method)) co_return co_await r.handler(req);
    }
    co_return ServerResponse::text(500, "route vanished\n");
  }

  void match(ServerRequest& req) const {
    std::vector<std::pair<std::string, std::string>> params;
    for (const auto& r : routes) {
      if ((r.method == "*" || r.method == req.method) && r.matches_path(req.path, params)) {
        req.route = r.pattern;
        req.path_params = std::move(params);
        return;
      }
    }
  }

  asio::awaitable<void> accept_loop() {
    auto self = shared_from_this();
    for (;;) {
      auto [ec, socket] = co_await acceptor.async_accept(as_tuple_awaitable);
      if (ec == asio::error::operation_aborted || stopping) co_return;
      if (ec) {
        log_warn(std::string("server: accept failed: ") + ec.message());
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

  asio::awaitable<void> write(Connection& c, const ServerRequest& req, ServerResponse resp, bool keep_alive) {
    bhttp::response<bhttp::string_body> res;
    res.version(req.version);
    res.result(static_cast<unsigned>(resp.status));
    for (const auto& [k, v] : resp.headers) res.insert(k, v);
    if (!res.count(bhttp::field::server)) res.set(bhttp::field::server, "tracehop");
    res.keep_alive(keep_alive);
    res.body() = std::move(resp.body);
    res.prepare_payload();
    c.stream.expires_after(options.read_timeout);
    if (req.method == "HEAD") {
      bhttp::response_serializer<bhttp::string_body> sr(res);
      co_await bhttp::async_write_header(c.stream, sr, as_tuple_awaitable);
    } else {
      co_await bhttp::async_write(c.stream, res, as_tuple_awaitable);
    }
  }

  // Answers a request that cannot be served and closes the connection. The client may still
  // be sending (a body over the limit): closing a socket with unread input makes the kernel
  // send a reset that can destroy our answer in flight, so the rest is read and dropped first,
  // for a bounded time.
  asio::awaitable<void> reject(Connection& c, int status, std::string_view why) {
    ServerRequest req;
    co_await write(c, req, ServerResponse::text(status, std::string(why) + "\n"), false);
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

  // `self` keeps the server's state alive for as long as this connection runs.
  asio::awaitable<void> serve([[maybe_unused]] std::shared_ptr<Impl> self, std::shared_ptr<Connection> conn) {
    beast::flat_buffer buffer;
    bool first = true;
    for (;;) {
      bhttp::request_parser<bhttp::string_body> parser;
      parser.header_limit(static_cast<std::uint32_t>(options.max_header_bytes));
      parser.body_limit(options.max_body_bytes);
      conn->idle = true;
      if (stopping) break;
      conn->stream.expires_after(first ? options.read_timeout : options.keepalive_timeout);
      auto [ec, n] = co_await bhttp::async_read_header(conn->stream, buffer, parser, as_tuple_awaitable);
      conn->idle = false;
      first = false;
      if (ec) {
        if (ec == bhttp::error::header_limit) co_await reject(*conn, 431, "request header fields too large");
        else if (ec == bhttp::error::body_limit) co_await reject(*conn, 413, "request body too large");
        else if (!is_disconnect(ec)) co_await reject(*conn, 400, "bad request: " + ec.message());
        break;
      }
      const auto& header = parser.get();
      if (static_cast<std::size_t>(std::distance(header.begin(), header.end())) > options.max_header_count) {
        co_await reject(*conn, 431, "too many request header fields");
        break;
      }
      if (!parser.is_done()) {
        conn->stream.expires_after(options.read_timeout);
        auto [bec, bn] = co_await bhttp::async_read(conn->stream, buffer, parser, as_tuple_awaitable);
        if (bec) {
          if (bec == bhttp::error::body_limit) co_await reject(*conn, 413, "request body too large");
          else if (!is_disconnect(bec)) co_await reject(*conn, 400, "bad request body: " + bec.message());
          break;
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
      if (auto ep = conn->stream.socket().remote_endpoint(addr_ec); !addr_ec) {
        req.remote_address = ep.address().to_string();
        req.remote_port = ep.port();
      }
      if (auto ep = conn->stream.socket().local_endpoint(addr_ec); !addr_ec) {
        req.local_address = ep.address().to_string();
        req.local_port = ep.port();
      }
      match(req);

      ServerResponse resp;
      try {
        resp = co_await chain(req);
      } catch (const std::exception& e) {
        log_error("server: handler for " + req.method + " " + req.path + " threw: " + e.what());
        resp = ServerResponse::text(500, "internal server error\n");
      }
      const bool keep_alive = msg.keep_alive() && !stopping;
      ++requests;
      co_await write(*conn, req, std::move(resp), keep_alive);
      if (!keep_alive) break;
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
  Route r{std::string(method), std::string(pattern), {}, std::move(handler)};
  for (auto seg : split_path(pattern)) r.segments.emplace_back(seg);
  impl_->routes.push_back(std::move(r));
}

void Server::use(Middleware middleware) { impl_->middleware.push_back(std::move(middleware)); }

void Server::start() {
  auto& impl = *impl_;
  Handler next = [raw = impl_.get()](ServerRequest& r) { return raw->dispatch(r); };
  for (auto it = impl.middleware.rbegin(); it != impl.middleware.rend(); ++it)
    next = [mw = *it, inner = std::move(next)](ServerRequest& r) { return mw(r, inner); };
  impl.chain = std::move(next);

  const tcp::endpoint ep(asio::ip::make_address(impl.options.host), impl.options.port);
  impl.acceptor.open(ep.protocol());
  impl.acceptor.set_option(tcp::acceptor::reuse_address(true));
  if (ep.address().is_v6()) impl.acceptor.set_option(asio::ip::v6_only(true));
  impl.acceptor.bind(ep);
  impl.acceptor.listen(asio::socket_base::max_listen_connections);
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

std::string Server::url() const {
  const auto& h = impl_->options.host;
  return "http://" + (h.find(':') != std::string::npos ? "[" + h + "]" : h) + ":" +
         std::to_string(impl_->bound_port);
}

Server::Stats Server::stats() const noexcept {
  return {impl_->accepted.load(), impl_->open.load(), impl_->peak_open.load(), impl_->requests.load()};
}

}  // namespace tracehop::http
