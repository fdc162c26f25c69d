#pragma once
// Command-line values the commands share, parsed or refused with a UsageError (exit 2).

#include <chrono>
#include <string>
#include <vector>

#include "tracehop/http/headers.hpp"

namespace tracehop::cli {

/// "Name: value" lines (-H), in order.
http::Headers parse_headers(const std::vector<std::string>& lines);
/// A duration as wrk and oha write it: "10s", "500ms", "2m", "1h", or a plain number of seconds.
/// `flag` names the option in the message.
std::chrono::nanoseconds parse_duration(const std::string& text, const char* flag);
/// -X's method, or as curl: GET, or POST when there is a body.
std::string request_method(const std::string& given, bool has_body);
/// Refuses a URL the client would refuse (InvalidURL), before anything runs.
void check_url(const std::string& url);

}  // namespace tracehop::cli
