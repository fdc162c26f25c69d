// The protobuf encoding of a metrics collection, with the generated messages: a collection is
// exported once a minute, not once a span, so clarity wins over the spans' hand-written wire
// format (proto.cpp).

#include "opentelemetry/proto/collector/metrics/v1/metrics_service.pb.h"
#include "model.hpp"
#include "tracehop/otlp/encoding.hpp"

namespace tracehop::otlp {

namespace {

namespace pb = opentelemetry::proto;

void any_value(pb::common::v1::AnyValue& out, const trace::AttributeValue& value) {
  std::visit(
      [&](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, bool>) {
          out.set_bool_value(x);
        } else if constexpr (std::is_same_v<T, std::int64_t>) {
          out.set_int_value(x);
        } else if constexpr (std::is_same_v<T, double>) {
          out.set_double_value(x);
        } else if constexpr (std::is_same_v<T, std::string>) {
          out.set_string_value(x);
        } else {
          for (const auto& e : x) any_value(*out.mutable_array_value()->add_values(), trace::AttributeValue(e));
        }
      },
      value.variant());
}

template <class Repeated>
void key_values(Repeated& out, const trace::Attributes& attributes) {
  for (const auto& kv : attributes) {
    auto* p = out.Add();
    p->set_key(std::string(kv.key.view()));
    any_value(*p->mutable_value(), kv.value);
  }
}

template <class Id>
std::string bytes_of(const Id& id) {
  return {reinterpret_cast<const char*>(id.bytes().data()), id.bytes().size()};
}

template <class Point>
void exemplars(Point& out, const std::vector<metrics::Exemplar>& list) {
  for (const auto& e : list) {
    auto* x = out.add_exemplars();
    key_values(*x->mutable_filtered_attributes(), e.filtered_attributes);
    x->set_time_unix_nano(detail::unix_nanos(e.time));
    if (const auto* i = std::get_if<std::int64_t>(&e.value))
      x->set_as_int(*i);
    else
      x->set_as_double(std::get<double>(e.value));
    if (e.span_id.valid()) x->set_span_id(bytes_of(e.span_id));
    if (e.trace_id.valid()) x->set_trace_id(bytes_of(e.trace_id));
  }
}

void numbers(google::protobuf::RepeatedPtrField<pb::metrics::v1::NumberDataPoint>& out,
             const std::vector<metrics::NumberPoint>& points) {
  for (const auto& p : points) {
    auto* n = out.Add();
    key_values(*n->mutable_attributes(), p.attributes);
    n->set_start_time_unix_nano(detail::unix_nanos(p.start_time));
    n->set_time_unix_nano(detail::unix_nanos(p.time));
    if (const auto* i = std::get_if<std::int64_t>(&p.value))
      n->set_as_int(*i);
    else
      n->set_as_double(std::get<double>(p.value));
    exemplars(*n, p.exemplars);
  }
}

void metric(pb::metrics::v1::Metric& out, const metrics::MetricData& m) {
  out.set_name(m.name);
  out.set_description(m.description);
  out.set_unit(m.unit);
  const auto temporality = static_cast<pb::metrics::v1::AggregationTemporality>(m.temporality);
  switch (m.type) {
    case metrics::MetricType::Sum: {
      auto* sum = out.mutable_sum();
      numbers(*sum->mutable_data_points(), m.numbers);
      sum->set_aggregation_temporality(temporality);
      sum->set_is_monotonic(m.monotonic);
      break;
    }
    case metrics::MetricType::Gauge: numbers(*out.mutable_gauge()->mutable_data_points(), m.numbers); break;
    case metrics::MetricType::Histogram: {
      auto* histogram = out.mutable_histogram();
      histogram->set_aggregation_temporality(temporality);
      for (const auto& p : m.histograms) {
        auto* h = histogram->add_data_points();
        key_values(*h->mutable_attributes(), p.attributes);
        h->set_start_time_unix_nano(detail::unix_nanos(p.start_time));
        h->set_time_unix_nano(detail::unix_nanos(p.time));
        h->set_count(p.count);
        h->set_sum(p.sum);
        for (auto c : p.bucket_counts) h->add_bucket_counts(c);
        for (auto b : p.boundaries) h->add_explicit_bounds(b);
        exemplars(*h, p.exemplars);
        if (p.min) h->set_min(*p.min);
        if (p.max) h->set_max(*p.max);
      }
      break;
    }
  }
}

}  // namespace

std::string to_otlp_protobuf(const metrics::ResourceMetrics& collection) {
  pb::collector::metrics::v1::ExportMetricsServiceRequest request;
  auto* rm = request.add_resource_metrics();
  key_values(*rm->mutable_resource()->mutable_attributes(), collection.resource.attributes());
  rm->set_schema_url(collection.resource.schema_url());
  for (const auto& s : collection.scopes) {
    auto* sm = rm->add_scope_metrics();
    auto* scope = sm->mutable_scope();
    scope->set_name(s.scope.name);
    scope->set_version(s.scope.version);
    key_values(*scope->mutable_attributes(), s.scope.attributes);
    sm->set_schema_url(s.scope.schema_url);
    for (const auto& m : s.metrics) metric(*sm->add_metrics(), m);
  }
  return request.SerializeAsString();
}

}  // namespace tracehop::otlp
