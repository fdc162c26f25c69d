// The process-wide TraceConfig registry, and which configs one request signals to.
#include <algorithm>
#include <atomic>
#include <mutex>

#include "signal_emitter.hpp"

namespace tracehop::http {

namespace {

struct GlobalConfigs {
  std::mutex mu;
  std::vector<TraceConfigPtr> configs;
  std::atomic<bool> any{false};  // read by every request without the lock
};
GlobalConfigs& global_configs() {
  static GlobalConfigs* g = new GlobalConfigs;  // never destroyed: requests may run during exit
  return *g;
}

}  // namespace

void add_global_trace_config(TraceConfigPtr config) {
  auto& g = global_configs();
  std::lock_guard lk(g.mu);
  g.configs.push_back(std::move(config));
  g.any = true;
}

void remove_global_trace_config(const TraceConfigPtr& config) {
  auto& g = global_configs();
  std::lock_guard lk(g.mu);
  std::erase(g.configs, config);
  g.any = !g.configs.empty();
}

std::vector<TraceConfigPtr> global_trace_configs() {
  auto& g = global_configs();
  std::lock_guard lk(g.mu);
  return g.configs;
}

std::vector<TraceConfigPtr> detail::request_configs(std::vector<TraceConfigPtr> configs) {
  if (!global_configs().any.load(std::memory_order_acquire)) return configs;
  const auto own = configs.size();
  for (auto& c : global_trace_configs()) {
    const bool replaced = !c->group.empty() && std::any_of(configs.begin(), configs.begin() + own, [&](const auto& mine) {
      return mine->group == c->group;
    });
    if (!replaced) configs.push_back(std::move(c));
  }
  return configs;
}

}  // namespace tracehop::http
