#include "flags.hpp"

#include <cmath>
#include <cstdlib>

#include "commands.hpp"
#include "common/text.hpp"
#include "tracehop/http/errors.hpp"
#include "tracehop/http/url.hpp"

namespace tracehop::cli {

http::Headers parse_headers(const std::vector<std::string>& lines) {
  http::Headers headers;
  for (const auto& line : lines) {
    const auto colon = line.find(':');
    if (colon == std::string::npos || colon == 0) throw UsageError("-H '" + line + "': expected 'Name: value'");
    headers.add(line.substr(0, colon), tracehop::detail::trim_ows(std::string_view(line).substr(colon + 1)));
  }
  return headers;
}

std::chrono::nanoseconds parse_duration(const std::string& text, const char* flag) {
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  const std::string unit(end);
  double seconds_per_unit = 0;
  if (unit.empty() || unit == "s") seconds_per_unit = 1;
  else if (unit == "ms") seconds_per_unit = 1e-3;
  else if (unit == "m") seconds_per_unit = 60;
  else if (unit == "h") seconds_per_unit = 3600;
  const double seconds = value * seconds_per_unit;
  if (end == text.c_str() || seconds_per_unit == 0 || !std::isfinite(seconds) || seconds <= 0 || seconds > 86400)
    throw UsageError(std::string(flag) + " '" + text + "': expected a duration up to 24h, such as 10s, 500ms, 2m or 30");
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::duration<double>(seconds));
}

std::string request_method(const std::string& given, bool has_body) {
  return !given.empty() ? given : has_body ? "POST" : "GET";
}

void check_url(const std::string& url) {
  try {
    http::parse_url(url);
  } catch (const http::InvalidURL& e) {
    throw UsageError(e.what());
  }
}

}  // namespace tracehop::cli
