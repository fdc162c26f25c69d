#include "router.hpp"

#include <algorithm>

namespace tracehop::http::detail {

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

}  // namespace

bool Router::Route::matches(std::string_view path, std::vector<std::pair<std::string, std::string>>* params) const {
  const auto parts = split_path(path);
  if (parts.size() != segments.size()) return false;
  if (params) params->clear();
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const auto& s = segments[i];
    if (s.size() >= 2 && s.front() == '{' && s.back() == '}') {
      if (parts[i].empty()) return false;
      if (params) params->emplace_back(s.substr(1, s.size() - 2), std::string(parts[i]));
    } else if (s != parts[i]) {
      return false;
    }
  }
  return true;
}

void Router::add(std::string_view method, std::string_view pattern, Handler handler) {
  Route r{std::string(method), std::string(pattern), {}, std::move(handler)};
  for (auto seg : split_path(pattern)) r.segments.emplace_back(seg);
  routes_.push_back(std::move(r));
}

void Router::match(ServerRequest& req) const {
  std::vector<std::pair<std::string, std::string>> params;
  if (const Route* r = find(req.method, [&](const Route& c) { return c.matches(req.path, &params); })) {
    req.route = r->pattern;
    req.path_params = std::move(params);
  }
}

boost::asio::awaitable<ServerResponse> Router::dispatch(ServerRequest& req) const {
  if (!req.route.empty()) {
    if (const Route* r = find(req.method, [&](const Route& c) { return c.pattern == req.route; }))
      co_return co_await r->handler(req);
  }
  // No route for this path at all, or none for this method.
  std::vector<std::string_view> allowed;
  auto allow = [&](std::string_view m) {
    if (std::find(allowed.begin(), allowed.end(), m) == allowed.end()) allowed.push_back(m);
  };
  for (const auto& r : routes_) {
    if (!r.matches(req.path, nullptr)) continue;
    allow(r.method);
    if (r.method == "GET") allow("HEAD");
  }
  if (allowed.empty()) co_return ServerResponse::text(404, "not found\n");
  std::string list;
  for (auto m : allowed) list.append(list.empty() ? "" : ", ").append(m);
  auto resp = ServerResponse::text(405, "method not allowed\n");
  resp.headers.set("Allow", list);
  co_return resp;
}

}  // namespace tracehop::http::detail
