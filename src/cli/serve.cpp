// `tracehop serve`: an instrumented server with the routes of routes.hpp.
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <csignal>
#include <iostream>
#include <optional>

#include "commands.hpp"
#include "routes.hpp"
#include "telemetry.hpp"
#include "tracehop/task.hpp"
#include "tracehop/instrument/client.hpp"
#include "tracehop/instrument/server.hpp"

namespace tracehop::cli {

int run_serve(const ServeOptions& o) {
  namespace asio = boost::asio;
  std::optional<Telemetry> telemetry;
  if (!o.no_trace) {
    TelemetryOptions t;
    t.service_name = o.name;
    t.spans_out = o.spans_out;
    telemetry.emplace(t);
    instrument::HttpClientInstrumentor{}.instrument();
  }

  asio::io_context io;
  http::ServerOptions so;
  so.host = o.host;
  so.port = o.port;
  http::Server server(io.get_executor(), so);
  http::ClientSession session(io.get_executor());
  if (!o.no_trace) instrument::HttpServerInstrumentor::instrument(server);
  add_serve_routes(server, session);
  // SIGTERM or SIGINT: stop accepting, let in-flight requests finish, then flush. (Handled
  // from before the first line, so whoever reads it may signal at once.)
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int) {
    if (ec) return;
    spawn(io, [&]() -> asio::awaitable<void> {
      co_await server.stop();
      co_await session.close();
    });
  });
  server.start();  // std::system_error if the address is taken: exit 1 from main
  std::cout << "listening on " << server.url() << std::endl;
  io.run();
  if (telemetry) {
    instrument::HttpClientInstrumentor{}.uninstrument();
    telemetry->shutdown();
  }
  return 0;
}

}  // namespace tracehop::cli
