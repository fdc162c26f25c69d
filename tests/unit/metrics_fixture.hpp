#pragma once
// What the metrics SDK's unit tests share: a provider with one pull reader, and a look at the
// collected points by attribute.

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tracehop/metrics.hpp"

namespace tracehop::metrics::fixture {

// A provider with one pull reader of the given temporality.
struct Fixture {
  explicit Fixture(TemporalitySelector temporality = cumulative_temporality, MeterProviderOptions options = {})
      : reader(std::make_shared<MetricReader>(temporality)) {
    options.readers.push_back(reader);
    if (!options.exemplar_filter) options.exemplar_filter = ExemplarFilter::TraceBased;
    provider = std::make_shared<MeterProvider>(std::move(options));
    meter = provider->get_meter("test.scope", "1.2");
  }
  std::vector<MetricData> collect() {
    auto rm = reader->collect();
    std::vector<MetricData> out;
    if (rm)
      for (auto& s : rm->scopes)
        for (auto& m : s.metrics) out.push_back(m);
    return out;
  }
  MetricData one(std::string_view name) {
    for (auto& m : collect())
      if (m.name == name) return m;
    ADD_FAILURE() << "no metric " << name;
    return {};
  }
  std::shared_ptr<MetricReader> reader;
  std::shared_ptr<MeterProvider> provider;
  Meter meter;
};

inline std::string attr(const trace::Attributes& a, std::string_view key) {
  const auto* v = trace::find_attribute(a, key);
  return v ? v->to_string() : "";
}

inline const NumberPoint* point(const MetricData& m, std::string_view key, std::string_view value) {
  for (const auto& p : m.numbers)
    if (attr(p.attributes, key) == value) return &p;
  return nullptr;
}

}  // namespace tracehop::metrics::fixture
