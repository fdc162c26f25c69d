#pragma once
// The server's routes: path templates matched in the order they were added (internal).

#include <string>
#include <string_view>
#include <vector>

#include "tracehop/http/server.hpp"

namespace tracehop::http::detail {

class Router {
 public:
  void add(std::string_view method, std::string_view pattern, Handler handler);

  /// Sets `req.route` and `req.path_params` from the first route for its method and path (a GET
  /// route for HEAD when no route takes HEAD itself); leaves them empty if none matches.
  void match(ServerRequest& req) const;

  /// Runs the handler of the matched route, or answers 404 (no route has the path) or 405 with
  /// the methods that do (Allow).
  boost::asio::awaitable<ServerResponse> dispatch(ServerRequest& req) const;

 private:
  struct Route {
    std::string method;  // or "*"
    std::string pattern;
    std::vector<std::string> segments;  // "{name}" for placeholders
    Handler handler;

    bool takes(std::string_view m) const noexcept { return method == "*" || method == m; }
    bool matches(std::string_view path, std::vector<std::pair<std::string, std::string>>* params) const;
  };

  // The first route that takes `method` and satisfies `fits`, falling back to GET for HEAD.
  template <class Fits>
  const Route* find(std::string_view method, Fits fits) const {
    for (const auto& r : routes_)
      if (r.takes(method) && fits(r)) return &r;
    if (method == "HEAD") return find("GET", fits);
    return nullptr;
  }

  std::vector<Route> routes_;
};

}  // namespace tracehop::http::detail
