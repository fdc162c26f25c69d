#pragma once
// Views: how an instrument's measurements become a metric stream. A view selects instruments
// (by name, with `*` and `?` wildcards, and optionally by kind, unit or meter), then renames the
// stream, changes its histogram boundaries, keeps only some attribute keys, changes its
// cardinality limit, or drops it. An instrument no view selects gets its default stream; one
// several views select gets a stream for each.

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "tracehop/metrics/instrument.hpp"

namespace tracehop::metrics {

struct InstrumentSelector {
  /// The instrument's name, case-insensitive; `*` matches any run of characters, `?` one.
  std::string name = "*";
  std::optional<InstrumentKind> kind;
  /// Exact, when set.
  std::optional<std::string> unit;
  std::optional<std::string> meter_name;
};

struct View {
  InstrumentSelector selector;
  /// The stream's name (default: the instrument's). A view that renames must select at most
  /// one instrument: a selector with a wildcard and a name is refused (logged, ignored).
  std::string name;
  std::string description;
  /// A histogram's bucket boundaries, strictly increasing (default: the instrument's advice,
  /// else the specification's 0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500,
  /// 10000).
  std::optional<std::vector<double>> boundaries;
  /// Only these attribute keys make the stream's series; the others go to exemplars.
  std::optional<std::vector<std::string>> attribute_keys;
  /// Series per stream, the overflow series included (default: the provider's, 2000).
  std::optional<std::size_t> cardinality_limit;
  /// Drops the stream: its measurements cost a lookup of this flag and nothing else.
  bool drop = false;
};

}  // namespace tracehop::metrics
