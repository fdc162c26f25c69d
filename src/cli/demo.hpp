#pragma once

#include <string>

namespace tracehop::cli {

struct DemoOptions {
  std::string exporter = "none";  // console | none
  std::string spans_out;          // OTLP/JSON lines file, "-" for stdout, empty for none
};

/// `tracehop demo`: returns the process exit code.
int run_demo(const DemoOptions& options);

}  // namespace tracehop::cli
