#pragma once
// The tracing core in one include: no Asio, no Beast (tracehop/tracehop.hpp has everything).

#include "tracehop/trace/attributes.hpp"
#include "tracehop/trace/baggage.hpp"
#include "tracehop/trace/context.hpp"
#include "tracehop/trace/exporter.hpp"
#include "tracehop/trace/ids.hpp"
#include "tracehop/log.hpp"
#include "tracehop/trace/propagation.hpp"
#include "tracehop/trace/resource.hpp"
#include "tracehop/trace/sampler.hpp"
#include "tracehop/trace/span.hpp"
#include "tracehop/trace/span_context.hpp"
#include "tracehop/trace/span_limits.hpp"
#include "tracehop/trace/span_processor.hpp"
#include "tracehop/trace/trace_state.hpp"
#include "tracehop/trace/tracer.hpp"
