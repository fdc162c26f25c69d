// Options built in the co_await expression itself, braces and all: what g++ 12 cannot compile
// correctly (this test it rejects, "array used as initializer"; simpler ones it compiles to
// destroy the braced temporaries twice: the README's g++ 12 note) and clang 16 can. Built by
// clang only (the `clang` preset, scripts/test-clang).
#include <gtest/gtest.h>

#if defined(__clang__)

#include "run.hpp"
#include "server_fixture.hpp"
#include "server_routes.hpp"
#include "tracehop/http/session.hpp"

namespace asio = boost::asio;

using namespace tracehop::http;
using namespace std::chrono_literals;

TEST(BracedOptions, InsideTheCoAwaitExpression) {
  tracehop::test::ServerThread st;
  tracehop::test::add_routes(st.server());
  st.start();
  const std::string url = st.server().url() + "/echo";
  const std::string long_value(200, 'v');  // on the heap: a second destruction would be a double free
  tracehop::test::run([&]() -> asio::awaitable<void> {
    ClientSession session(co_await asio::this_coro::executor, SessionOptions{.headers = {{"X-Session", long_value}}});
    for (int i = 0; i < 50; ++i) {
      auto resp = co_await session.post(url, {.headers = {{"X-Request", long_value}},
                                              .data = std::string(300, 'd'),
                                              .timeout = ClientTimeout{.total = 5s}});
      EXPECT_EQ(co_await resp.text(), "POST " + std::string(300, 'd'));
    }
    co_await session.close();
  });
}

#endif
