#pragma once
// The metrics SDK: meters and instruments, views, readers and exporters (tracehop::metrics).

#include "tracehop/metrics/data.hpp"
#include "tracehop/metrics/exporter.hpp"
#include "tracehop/metrics/instrument.hpp"
#include "tracehop/metrics/meter.hpp"
#include "tracehop/metrics/reader.hpp"
#include "tracehop/metrics/sdk_metrics.hpp"
#include "tracehop/metrics/view.hpp"
