#pragma once
// Reading the process environment, the same way in every layer (internal, not installed): a
// value is trimmed of ASCII white space, and set-but-empty counts as unset, as the OpenTelemetry
// specification asks; a malformed value is logged and ignored.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tracehop::detail {

/// The variable's trimmed value; nullopt if unset or empty.
std::optional<std::string> env(const char* name);
/// A non-negative integer variable; nullopt (and a logged warning) when set but malformed.
std::optional<std::uint64_t> env_uint(const char* name);
/// true/false (case-insensitive); anything else is logged and treated as false.
bool env_bool(const char* name);
/// A comma-separated list variable: its items trimmed, empty ones left out.
std::vector<std::string> env_list(const char* name);

}  // namespace tracehop::detail
