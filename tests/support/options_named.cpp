// Compiled by the build.request_options_named test only: options built in a named object and
// passed by name (copied) or to request_consuming (moved out) compile with every compiler.
#include <chrono>

#include "tracehop/http/session.hpp"

using namespace tracehop::http;

boost::asio::awaitable<void> named(ClientSession& session) {
  RequestOptions o{.headers = {{"X-Tenant", "acme"}}, .timeout = ClientTimeout{.total = std::chrono::seconds(2)}};
  auto a = co_await session.get("http://127.0.0.1:8080/", o);
  auto b = co_await session.request("PUT", "http://127.0.0.1:8080/", o);
  auto c = co_await session.request_consuming("POST", "http://127.0.0.1:8080/", o);
}
