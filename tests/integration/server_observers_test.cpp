// tracehop::http::Server's request observers (Server::observe) on loopback: when they are told,
// in which order, and what a throwing one does.
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "server_fixture.hpp"
#include "server_routes.hpp"
#include "test_util.hpp"

namespace asio = boost::asio;

using namespace tracehop;
using namespace tracehop::http;
using test::add_routes;
using test::RawClient;
using test::ServerThread;

namespace {

// Writes down what it sees, in order (each line after its tag); its state carries the request's
// route from start to end.
struct Recorder final : RequestObserver {
  explicit Recorder(std::vector<std::string>& into, bool fail = false, std::string name = "")
      : log(into), throws(fail), tag(std::move(name)) {}
  void on_request(ServerRequest& r, SignalContext& state) override {
    log.push_back(tag + "request " + r.route);
    state.emplace<std::string>(r.route);
    if (throws) throw std::runtime_error("observer failed");
  }
  void on_response(const ServerRequest&, ServerResponse& resp, SignalContext& state) override {
    log.push_back(tag + "response " + std::to_string(resp.status) + " " + *state.get<std::string>());
    resp.headers.set("X-Observed", "yes");
  }
  void on_exception(const ServerRequest&, const std::exception_ptr&, SignalContext& state) override {
    log.push_back(tag + "exception " + *state.get<std::string>());
  }
  std::vector<std::string>& log;
  bool throws;
  std::string tag;
};

}  // namespace

TEST(Server, ObserversSeeEachRequestAroundItsMiddlewareAndHandler) {
  ServerThread st;
  add_routes(st.server());
  std::vector<std::string> log;  // written on the server's thread, read after its requests
  st.server().use([&](ServerRequest& r, const Handler& next) -> asio::awaitable<ServerResponse> {
    log.push_back("middleware " + r.route);
    co_return co_await next(r);
  });
  st.server().observe(std::make_shared<Recorder>(log));
  st.start();
  RawClient c(st.port());
  c.send("GET /items/z HTTP/1.1\r\nHost: x\r\n\r\n");
  const auto ok = c.read_response();
  EXPECT_NE(ok.find("X-Observed: yes"), std::string::npos) << ok;  // the answer can still change
  c.send("GET /boom HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(c.read_response().rfind("HTTP/1.1 500", 0), 0u);
  c.send("GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(c.read_response().rfind("HTTP/1.1 404", 0), 0u);
  EXPECT_EQ(log, (std::vector<std::string>{"request /items/{sku}", "middleware /items/{sku}", "response 200 /items/{sku}",
                                           "request /boom", "middleware /boom", "exception /boom", "request ",
                                           "middleware ", "response 404 "}));
}

TEST(Server, ObserversSeeTheEndInTheReverseOrderOfTheBeginning) {
  ServerThread st;
  add_routes(st.server());
  std::vector<std::string> log;
  st.server().observe(std::make_shared<Recorder>(log, false, "A "));
  st.server().observe(std::make_shared<Recorder>(log, false, "B "));
  st.start();
  RawClient c(st.port());
  c.send("GET /items/z HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(c.read_response().rfind("HTTP/1.1 200", 0), 0u);
  c.send("GET /boom HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(c.read_response().rfind("HTTP/1.1 500", 0), 0u);
  EXPECT_EQ(log, (std::vector<std::string>{"A request /items/{sku}", "B request /items/{sku}",
                                           "B response 200 /items/{sku}", "A response 200 /items/{sku}",
                                           "A request /boom", "B request /boom", "B exception /boom",
                                           "A exception /boom"}));
}

TEST(Server, AnObserverThatThrowsIsLoggedAndTheRequestGoesOn) {
  ServerThread st;
  add_routes(st.server());
  std::vector<std::string> log, second;
  st.server().observe(std::make_shared<Recorder>(log, true));
  st.server().observe(std::make_shared<Recorder>(second));
  st.start();
  test::LogCapture captured;
  RawClient c(st.port());
  c.send("GET /items/z HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(c.read_response().rfind("HTTP/1.1 200", 0), 0u);
  EXPECT_EQ(log.size(), 2u);  // its on_response still runs, with the state it kept
  EXPECT_EQ(second, (std::vector<std::string>{"request /items/{sku}", "response 200 /items/{sku}"}));
  EXPECT_TRUE(captured.contains("a request observer threw: observer failed"));
}
