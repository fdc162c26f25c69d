#include "model.hpp"

#include <algorithm>

namespace tracehop::otlp::detail {

std::vector<ResourceGroup> group_by_resource_and_scope(std::span<const trace::SpanDataPtr> spans) {
  // A batch holds few resources and scopes: linear searches beat any map here.
  std::vector<ResourceGroup> groups;
  for (const auto& sp : spans) {
    auto r = std::find_if(groups.begin(), groups.end(), [&](const auto& g) { return g.resource == sp->resource.get(); });
    if (r == groups.end()) r = groups.insert(groups.end(), ResourceGroup{sp->resource.get(), {}});
    auto s = std::find_if(r->scopes.begin(), r->scopes.end(), [&](const auto& g) { return g.scope == sp->scope.get(); });
    if (s == r->scopes.end()) s = r->scopes.insert(r->scopes.end(), ScopeGroup{sp->scope.get(), {}});
    s->spans.push_back(sp.get());
  }
  return groups;
}

}  // namespace tracehop::otlp::detail
