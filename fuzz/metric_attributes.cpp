// The metrics SDK's series are attribute *sets*: whatever the order, literal or run-time keys,
// repeated keys (the last value wins), a view keeping some keys, every measurement counts once,
// in the series of its set. The input is a list of measurements, each a few attributes drawn
// from a small alphabet, so that sets repeat in other orders and forms.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "fuzz_check.hpp"
#include "tracehop/metrics.hpp"

using namespace tracehop;

namespace {

// A value as a comparable string: its type and its value (-0.0 is 0.0).
std::string typed(const trace::AttributeValue& v) {
  if (const auto* b = v.get_if<bool>()) return std::string("b:") + (*b ? "1" : "0");
  if (const auto* i = v.get_if<std::int64_t>()) return "i:" + std::to_string(*i);
  if (const auto* d = v.get_if<double>()) return "d:" + std::to_string(*d == 0 ? 0.0 : *d);
  if (const auto* s = v.get_if<std::string>()) return "s:" + *s;
  return "?";
}

using Set = std::map<std::string, std::string>;

std::map<Set, std::int64_t> counts(const metrics::ResourceMetrics& collected, std::string_view name) {
  std::map<Set, std::int64_t> out;
  for (const auto& scope : collected.scopes)
    for (const auto& m : scope.metrics)
      if (m.name == name)
        for (const auto& p : m.numbers) {
          Set set;
          for (const auto& kv : p.attributes) {
            FUZZ_CHECK(!set.count(std::string(kv.key.view())));  // a series' keys are unique
            set[std::string(kv.key.view())] = typed(kv.value);
          }
          FUZZ_CHECK(!out.count(set));  // one series a set
          out[set] = std::get<std::int64_t>(p.value);
        }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto reader = std::make_shared<metrics::MetricReader>();
  metrics::MeterProvider provider(metrics::MeterProviderOptions{
      .readers = {reader},
      .views = {metrics::View{.selector = {.name = "all"}},
                metrics::View{.selector = {.name = "all"}, .name = "kept", .attribute_keys = std::vector<std::string>{"a", "b"}}},
      .exemplar_filter = metrics::ExemplarFilter::AlwaysOff});
  const auto counter = provider.get_meter("fuzz").create_counter("all");

  static const char* const kStrings[] = {"", "x", "GET", "example.com", "a-value-longer-than-sixteen-bytes"};
  static const double kDoubles[] = {0.0, -0.0, 1.5};
  std::map<Set, std::int64_t> expected, expected_kept;
  std::size_t i = 0;
  auto next = [&]() -> std::uint8_t { return i < size ? data[i++] : 0; };
  while (i < size) {
    const std::size_t n = next() % 6;
    std::vector<std::string> runtime_keys(n);  // run-time keys, alive for the call
    std::vector<metrics::Attribute> attrs;
    Set set;
    for (std::size_t k = 0; k < n; ++k) {
      const std::uint8_t b = next(), v = next();
      const int key = b % 4;
      static const char* const kLiteralKeys[] = {"a", "b", "c", "a.long.key.name.over.sixteen"};
      metrics::AttrKey attr_key = "a";
      if (b & 0x80) {
        runtime_keys[k] = kLiteralKeys[key];
        attr_key = metrics::AttrKey(std::string_view(runtime_keys[k]));
      } else {
        switch (key) {  // (literals: their address is what a series remembers)
          case 0: attr_key = "a"; break;
          case 1: attr_key = "b"; break;
          case 2: attr_key = "c"; break;
          default: attr_key = "a.long.key.name.over.sixteen";
        }
      }
      metrics::AttrValue value = false;
      switch ((b >> 2) % 4) {
        case 0: value = (v & 1) != 0; break;
        case 1: value = static_cast<std::int64_t>(v % 3); break;
        case 2: value = kDoubles[v % 3]; break;
        default: value = std::string_view(kStrings[v % 5]);
      }
      attrs.push_back({attr_key, value});
      trace::AttributeValue as_stored = false;
      switch (value.type()) {
        case metrics::AttrValue::Type::Bool: as_stored = value.as_bool(); break;
        case metrics::AttrValue::Type::Int: as_stored = value.as_int(); break;
        case metrics::AttrValue::Type::Double: as_stored = value.as_double(); break;
        case metrics::AttrValue::Type::String: as_stored = std::string(value.as_string()); break;
      }
      set[std::string(kLiteralKeys[key])] = typed(as_stored);  // a repeated key: the last value wins
    }
    counter.add(1, metrics::AttributeList(attrs));
    ++expected[set];
    Set kept;
    for (const auto& [k, v] : set)
      if (k == "a" || k == "b") kept[k] = v;
    ++expected_kept[kept];
  }
  const auto collected = reader->collect();
  FUZZ_CHECK(collected.has_value());
  FUZZ_CHECK(counts(*collected, "all") == expected);
  FUZZ_CHECK(counts(*collected, "kept") == expected_kept);
  return 0;
}
