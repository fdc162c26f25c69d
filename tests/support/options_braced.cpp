// Compiled by the build.request_options_braced test only: options braced inside the co_await
// expression. g++ 12 destroys such temporaries twice at run time, so with it this must not
// compile (the deleted overload's parameter says why); other compilers take it.
#include <chrono>

#include "tracehop/http/session.hpp"

using namespace tracehop::http;

boost::asio::awaitable<void> braced(ClientSession& session) {
  auto resp = co_await session.get("http://127.0.0.1:8080/", {.timeout = ClientTimeout{.total = std::chrono::seconds(2)}});
}
