#pragma once
// Where the interop tests' Node programs and npm packages are, and the check that scripts/setup
// installed them.

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

namespace tracehop::test {

inline const std::string kInteropDir = TRACEHOP_INTEROP_DIR;

/// Fails the test unless the OpenTelemetry JS packages of package-lock.json are installed.
inline void require_js_packages() {
  for (const char* package : {"@opentelemetry/sdk-trace-node", "@opentelemetry/otlp-transformer", "@grpc/grpc-js"})
    ASSERT_TRUE(std::filesystem::exists(kInteropDir + "/node_modules/" + package))
        << package << " is not installed in " << kInteropDir << ": run scripts/setup";
}

}  // namespace tracehop::test
