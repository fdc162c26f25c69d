#pragma once
// One request() of a session (internal): what goes out, and what its redirect hops and retry
// attempts share (the configs that hear its signals, its timeout, how many physical requests it
// has made: each one's resend count). The per-request state lives here.
//
// request() -> with_retries() -> Exchange::attempt() -> follow() (redirects, cookies)
//           -> send() (one hop on one connection: signals, the wire, the response header)

#include <boost/asio/awaitable.hpp>
#include <string>
#include <vector>

#include "deadline.hpp"
#include "connector.hpp"
#include "tracehop/http/session.hpp"

namespace tracehop::http::detail {

/// What goes out for one request(): redirects change it.
struct Outgoing {
  std::string method;
  Url url;
  Headers headers;
  std::string body;
};

class Exchange {
 public:
  Exchange(Connector& connector, const SessionOptions& session, const RequestOptions& request, ClientTimeout timeout,
           std::vector<TraceConfigPtr> configs, Outgoing out)
      : connector_(connector), session_(session), request_(request), timeout_(std::move(timeout)),
        configs_(std::move(configs)), out_(std::move(out)) {}

  /// One attempt, with the whole timeout: the request and the redirects it leads to. Redirects
  /// change what is sent: the `last` attempt may change the request itself, others a copy.
  boost::asio::awaitable<Response> attempt(bool last);

  const Outgoing& outgoing() const noexcept { return out_; }

 private:
  boost::asio::awaitable<Response> follow(Outgoing& out, const Deadline& deadline);
  boost::asio::awaitable<Response> send(const Outgoing& out, const Deadline& deadline);

  Connector& connector_;
  const SessionOptions& session_;
  const RequestOptions& request_;
  ClientTimeout timeout_;
  std::vector<TraceConfigPtr> configs_;
  Outgoing out_;
  int sent_ = 0;  // physical requests so far
};

/// request()'s retry loop (retry.cpp): attempts `exchange` as `retry` allows (none: once), waits
/// between attempts, and raises for a status >= 400 if `raise`.
boost::asio::awaitable<Response> with_retries(Exchange& exchange, const RetryPolicy* retry, bool raise,
                                              std::string_view url_text);

}  // namespace tracehop::http::detail
