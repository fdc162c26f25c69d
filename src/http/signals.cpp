// The process-wide TraceConfig registry, and which configs one request signals to.
#include <algorithm>
#include <atomic>
#include <mutex>

#include "signal_emitter.hpp"

namespace tracehop::http {

namespace {

struct GlobalConfigs {
  std::mutex mu;  // serialises changes; requests only load `list`
  std::atomic<bool> any{false};
  std::atomic<detail::ConfigList> list;
};
GlobalConfigs& global_configs() {
  static GlobalConfigs* g = new GlobalConfigs;  // never destroyed: requests may run during exit
  return *g;
}

// Replaces the list (under g.mu).
void publish(GlobalConfigs& g, std::vector<TraceConfigPtr> configs) {
  g.any = !configs.empty();
  g.list.store(configs.empty() ? nullptr : std::make_shared<const std::vector<TraceConfigPtr>>(std::move(configs)),
               std::memory_order_release);
}

}  // namespace

void add_global_trace_config(TraceConfigPtr config) {
  auto& g = global_configs();
  std::lock_guard lk(g.mu);
  auto configs = global_trace_configs();
  configs.push_back(std::move(config));
  publish(g, std::move(configs));
}

void remove_global_trace_config(const TraceConfigPtr& config) {
  auto& g = global_configs();
  std::lock_guard lk(g.mu);
  auto configs = global_trace_configs();
  std::erase(configs, config);
  publish(g, std::move(configs));
}

std::vector<TraceConfigPtr> global_trace_configs() {
  const auto list = detail::global_config_list();
  return list ? *list : std::vector<TraceConfigPtr>{};
}

detail::ConfigList detail::global_config_list() noexcept {
  auto& g = global_configs();
  if (!g.any.load(std::memory_order_acquire)) return nullptr;
  return g.list.load(std::memory_order_acquire);
}

detail::ConfigList detail::merge_configs(const std::vector<TraceConfigPtr>& own, const ConfigList& global) {
  if (own.empty()) return global;
  auto configs = own;
  if (global)
    for (const auto& c : *global) {
      const bool replaced = !c->group.empty() &&
                            std::any_of(own.begin(), own.end(), [&](const auto& mine) { return mine->group == c->group; });
      if (!replaced) configs.push_back(c);
    }
  return std::make_shared<const std::vector<TraceConfigPtr>>(std::move(configs));
}

}  // namespace tracehop::http
