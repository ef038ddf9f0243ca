#include "core/common/option_checks.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

namespace xb::option_checks {

using nlohmann::json;

Error bad(const std::string &key, const std::string &what, const std::string &hint) {
  return Error(ErrorKind::InvalidParameter, "option \"" + key + "\" " + what, hint);
}

json parse_options_json(const std::string &text) {
  if (text.empty()) return json::object();
  std::string option;  // the top-level key being read, to name in the error
  const auto bounded = [&option](int depth, json::parse_event_t event, json &parsed) {
    if (event == json::parse_event_t::key && depth == 1) option = parsed.get<std::string>();
    if ((event == json::parse_event_t::object_start || event == json::parse_event_t::array_start) &&
        depth >= kMaxOptionsDepth)
      throw bad(option, "nests more than " + std::to_string(kMaxOptionsDepth) + " levels deep",
                "Options are a flat object of settings, e.g. '{\"epochs\": 50}'.");
    return true;
  };
  try {
    return json::parse(text, bounded);
  } catch (const json::exception &e) {  // also numbers beyond double range
    throw Error(ErrorKind::InvalidParameter, std::string("options are not valid JSON: ") + e.what());
  }
}

double number(const json &v, const std::string &key) {
  if (!v.is_number()) throw bad(key, "must be a number, not " + v.dump());
  double d = v.get<double>();
  if (!std::isfinite(d)) throw bad(key, "must be finite");
  return d;
}

long integer(const json &v, const std::string &key, long min, long max) {
  double d = number(v, key);
  if (d != std::floor(d)) throw bad(key, "must be a whole number, not " + v.dump());
  if (d < min || d > max)
    throw bad(key, "is out of range: " + v.dump(),
              "Use a value from " + std::to_string(min) + " to " + std::to_string(max) + ".");
  return static_cast<long>(d);
}

double in_range(const json &v, const std::string &key, double lo, bool lo_open, double hi, bool hi_open) {
  double d = number(v, key);
  bool ok = (lo_open ? d > lo : d >= lo) && (hi_open ? d < hi : d <= hi);
  if (!ok) {
    char range[128];
    std::snprintf(range, sizeof range, "%s%g, %g%s", lo_open ? "(" : "[", lo, hi, hi_open ? ")" : "]");
    throw bad(key, "is out of range: " + v.dump(), std::string("Use a value in ") + range + ".");
  }
  return d;
}

std::string one_of(const json &v, const std::string &key, const std::vector<std::string> &allowed) {
  std::string list;
  for (const auto &a : allowed) list += (list.empty() ? "" : ", ") + a;
  if (!v.is_string()) throw bad(key, "must be a string", "Use one of: " + list + ".");
  std::string s = v.get<std::string>();
  if (std::find(allowed.begin(), allowed.end(), s) == allowed.end())
    throw bad(key, "has unknown value \"" + s + "\"", "Use one of: " + list + ".");
  return s;
}

}  // namespace xb::option_checks
