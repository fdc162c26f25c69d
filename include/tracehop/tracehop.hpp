#pragma once
// Everything tracehop offers, in one include.

#include "tracehop/trace.hpp"
#include "tracehop/metrics.hpp"
#include "tracehop/configure.hpp"
#include "tracehop/http/errors.hpp"
#include "tracehop/http/server.hpp"
#include "tracehop/http/session.hpp"
#include "tracehop/http/signals.hpp"
#include "tracehop/task.hpp"
#include "tracehop/instrument/carrier.hpp"
#include "tracehop/instrument/client.hpp"
#include "tracehop/instrument/semconv.hpp"
#include "tracehop/instrument/server.hpp"
