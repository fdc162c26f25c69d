#pragma once
// One request() of a session (internal): what goes out, and what its redirect hops and retry
// attempts share (the configs that hear its signals, its timeout, how many physical requests it
// has made: each one's resend count). The per-request state lives here.
//
// request() -> with_retries() -> Exchange::attempt() -> follow() (redirects, cookies)
//           -> send() (one hop on one connection: signals, the wire, the response header)

#include <boost/asio/awaitable.hpp>
#include <memory>
#include <string>
#include <vector>

#include "deadline.hpp"
#include "connector.hpp"
#include "signal_emitter.hpp"
#include "url_cache.hpp"
#include "tracehop/http/session.hpp"

namespace tracehop::http::detail {

/// What goes out for one request(): redirects change it.
struct Outgoing {
  std::string method;
  SharedUrl url;  // shared with the session's URL cache and the responses
  Headers headers;
  std::string body;
};

/// What of a request's RequestOptions its exchange still needs once the bytes are prepared.
struct RequestRules {
  std::optional<RetryPolicy> retry;
  bool allow_redirects = true;
  int max_redirects = 10;
  std::optional<bool> raise_for_status;
  bool trace = true;
};

/// One request() on its way: owns what it sends and its options, and keeps the session's state
/// alive for as long as it runs (the ClientSession may be destroyed meanwhile). Kept small: it
/// lives in the retry loop's coroutine frame, which Asio recycles only up to about 1 KiB.
class Exchange {
 public:
  Exchange(std::shared_ptr<const void> session_state, Connector& connector, const SessionOptions& session,
           RequestRules request, ClientTimeout timeout, ConfigList configs, Outgoing out)
      : session_state_(std::move(session_state)), connector_(connector), session_(session),
        request_(std::move(request)), timeout_(std::move(timeout)), configs_(std::move(configs)),
        out_(std::move(out)) {}

  /// One attempt, with the whole timeout: the request and the redirects it leads to. Redirects
  /// change what is sent: the `last` attempt may change the request itself, others a copy. (Not
  /// a coroutine: the frames of a request are few, each one an allocation.)
  boost::asio::awaitable<Response> attempt(bool last);

  const Outgoing& outgoing() const noexcept { return out_; }
  /// The request's RetryPolicy (its own, else the session's), if it may be retried at all.
  const RetryPolicy* retry_policy() const noexcept;
  /// Whether a status >= 400 raises ClientResponseError.
  bool raises_for_status() const noexcept { return request_.raise_for_status.value_or(session_.raise_for_status); }

 private:
  boost::asio::awaitable<Response> follow(Outgoing& out);
  boost::asio::awaitable<Response> send(const Outgoing& out);

  std::shared_ptr<const void> session_state_;
  Connector& connector_;
  const SessionOptions& session_;
  RequestRules request_;
  ClientTimeout timeout_;
  ConfigList configs_;  // null: nobody listens
  Outgoing out_;
  std::unique_ptr<Outgoing> attempted_;  // an attempt's copy of out_, when a later attempt may follow
  Deadline deadline_;    // the current attempt's total
  int sent_ = 0;         // physical requests so far
};

/// request()'s retry loop (retry.cpp): attempts the exchange as its RetryPolicy allows (none:
/// once), waiting between attempts, and raises for a status >= 400 if asked to.
boost::asio::awaitable<Response> with_retries(Exchange exchange);

}  // namespace tracehop::http::detail
