#include "exchange.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/error.hpp>

#include "response_state.hpp"
#include "rfc9110.hpp"
#include "signal_emitter.hpp"
#include "wire.hpp"

namespace tracehop::http::detail {

namespace asio = boost::asio;
namespace bhttp = boost::beast::http;
constexpr auto as_tuple_awaitable = asio::as_tuple(asio::use_awaitable);

namespace {

bool is_redirect(int s) { return s == 301 || s == 302 || s == 303 || s == 307 || s == 308; }

}  // namespace

asio::awaitable<Response> Exchange::attempt(bool last) {
  deadline_ = Deadline::after(timeout_.total, TimeoutKind::Total);
  if (last) return follow(out_);
  if (attempted_)
    *attempted_ = out_;
  else
    attempted_ = std::make_unique<Outgoing>(out_);
  return follow(*attempted_);
}

const RetryPolicy* Exchange::retry_policy() const noexcept {
  const RetryPolicy* retry = request_.retry ? &*request_.retry : session_.retry ? &*session_.retry : nullptr;
  return retry && retry->allows(out_.method) ? retry : nullptr;
}

asio::awaitable<Response> Exchange::follow(Outgoing& out) {
  auto& [method, shared_url, headers, body] = out;
  const auto& jar = session_.cookie_jar;
  const bool caller_cookie = headers.contains("Cookie");
  for (int redirects = 0;; ++redirects) {
    const Url& url = *shared_url;
    if (jar && !caller_cookie) {
      headers.erase("Cookie");
      if (auto cookie = jar->header_for(url); !cookie.empty()) headers.add("Cookie", cookie);
    }
    Response resp = co_await send(out);
    auto& st = ResponseAccess::state(resp);
    st.redirects = redirects;
    if (jar && resp.headers().contains("Set-Cookie")) jar->update(url, resp.headers());
    const bool redirect = request_.allow_redirects && is_redirect(resp.status());
    const auto location = redirect ? resp.headers().first("Location") : std::nullopt;
    if (!redirect || !location) co_return resp;
    if (redirects >= request_.max_redirects) {
      resp.release();
      throw TooManyRedirects(resp.status(), std::string(url.buffer()), request_.max_redirects);
    }
    co_await resp.read();  // drain it, so the connection can carry the next hop
    const Url next = resolve_url(url, *location);
    if (st.signals)
      st.signals->emit(kRequestRedirect,
                [&](SignalContext& c) { return RedirectParams{c, st.method, url, resp, next}; });
    // 303, and 301/302 after a POST, become a GET without a body (as browsers and aiohttp do).
    if (resp.status() == 303 || ((resp.status() == 301 || resp.status() == 302) && method == "POST")) {
      if (method != "HEAD") method = "GET";
      body.clear();
      headers.erase("Content-Type");
      headers.erase("Content-Length");
    }
    if (origin_of(next) != origin_of(url)) headers.erase("Authorization");  // no credentials to another origin
    shared_url = std::make_shared<const Url>(next);
  }
}

asio::awaitable<Response> Exchange::send(const Outgoing& out) {
  const Deadline& deadline = deadline_;
  const auto& [method, shared_url, headers, body] = out;
  const Url& url = *shared_url;
  const Origin origin = origin_of(url);
  const Deadline connect_deadline = deadline.sooner(timeout_.connect, TimeoutKind::Connect);
  auto reading = [&] { return "reading from " + origin.host_header(); };
  auto writing = [&] { return "writing to " + origin.host_header(); };

  for (int attempt = 0;; ++attempt) {
    const int resend_count = sent_++;
    auto st = std::make_unique<ResponseState>();
    st->url = shared_url;
    st->method = std::string(method);
    Signals* const sig = configs_ ? &st->signals.emplace(configs_) : nullptr;
    RequestHeaders hop_headers(headers);  // what subscribers add goes out on this hop only
    if (sig) {
      sig->set_origin(&origin);
      sig->emit(kRequestStart, [&](SignalContext& c) {
        return RequestStartParams{c, method, url, hop_headers, resend_count, request_.trace, origin};
      });
    }
    // This physical request ends here (and no end signal follows from ~ResponseState).
    auto signal_exception = [&](std::exception_ptr e) {
      if (sig) st->signal_exception(e, is_cancellation(e));
    };

    Lease lease;
    auto& parser = st->parser.emplace();
    parser.body_limit(session_.max_body_bytes);
    if (method == "HEAD") parser.skip_body();
    bool retry = false;
    try {
      // The request goes out as its head and its body, written here: Beast's serializer costs a
      // third of a keep-alive request's client CPU (bench/http-vs-wrk); the body is not copied.
      // (A header a subscriber made invalid is this request's exception, signalled as such.)
      const std::string_view head = request_head(st->head, method, request_target(url), origin.host_header(),
                                                 hop_headers, body.size(), session_.connector.force_close);
      const RequestBytes wire{asio::buffer(head), asio::buffer(body)};
      lease = connector_.try_idle(origin, sig);  // most keep-alive requests: no frame, no wait
      if (!lease) lease = co_await connector_.acquire(origin, connect_deadline, timeout_.sock_connect, sig, configs_);
      auto& conn = lease.connection();
      Deadline limit = deadline;
      limit.check(writing);
      boost::system::error_code ec;
      const std::size_t written = write_now(conn, wire, ec);
      if (!ec && written < head.size() + body.size()) {
        limit.arm(conn.tcp(), writing);
        auto [wec, wn] = co_await conn.with_stream(
            [&](auto& stream) { return asio::async_write(stream, unwritten(wire, written), as_tuple_awaitable); });
        ec = wec;
        if (ec == boost::beast::error::timeout) {  // the server stopped reading what we send
          lease.release(false);
          limit.raise(writing());
        }
      }
      if (!ec) {
        if (sig)
          sig->emit(kRequestHeadersSent,
                    [&](SignalContext& c) { return RequestHeadersSentParams{c, method, url, hop_headers}; });
        limit = deadline.sooner(timeout_.sock_read, TimeoutKind::SockRead);
        limit.arm(conn.tcp(), reading);
        ec = co_await read_response(conn, parser, Until::Header);
      }
      if (ec) {
        // A pooled connection the server closed meanwhile: an idempotent request is retried
        // once, on a new connection, if nothing of a response arrived (as aiohttp does).
        const bool closed = ec == bhttp::error::end_of_stream || ec == asio::error::eof ||
                            ec == asio::error::connection_reset || ec == asio::error::broken_pipe;
        retry = lease.reused() && attempt == 0 && !parser.got_some() && closed && idempotent(method);
        lease.release(false);
        if (!retry) throw_io_error(ec, limit, origin, url, false);
      } else {
        conn.tcp().expires_never();
      }
    } catch (...) {
      signal_exception(std::current_exception());
      throw;
    }
    if (retry) {
      signal_exception(std::make_exception_ptr(
          ServerDisconnectedError(origin.host_header() + " had closed the pooled connection; retrying on a new one")));
      continue;
    }

    st->status = parser.status();
    st->reason = std::string(parser.reason());
    st->version = parser.version();
    st->deadline = deadline;
    st->sock_read = timeout_.sock_read;
    st->force_close = session_.connector.force_close;
    st->max_body_bytes = session_.max_body_bytes;
    st->lease = std::move(lease);
    // HEAD, 204, 304, an empty body. (A body that came whole with the header waits for read().)
    const bool no_body = st->parser->is_done() && st->parser->body().empty();
    if (no_body) {
      st->body_done = true;
      st->lease.release(st->parser->keep_alive() && !st->force_close);
    }
    ResponseState* raw = st.get();
    Response resp = ResponseAccess::make(std::move(st));
    if (sig)
      sig->emit(kResponseHeaders,
                [&](SignalContext& c) { return ResponseHeadersParams{c, method, url, resp}; });
    if (no_body) raw->signal_end(0);
    co_return resp;
  }
}

}  // namespace tracehop::http::detail
