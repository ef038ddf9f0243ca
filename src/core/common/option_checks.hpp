// Checks shared by the options parsers (forecaster, tabular, aggregate): each
// takes one JSON value of the option named key and returns it converted, or
// throws an InvalidParameter Error naming the option, with a hint.
#pragma once
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "core/common/error.hpp"

namespace xb::option_checks {

// The options document as JSON: the empty text is {}; text that is not JSON,
// or that nests deeper than kMaxOptionsDepth, is InvalidParameter. The bound
// keeps recursive code (dump, the error messages that quote a value) from
// overflowing the stack on a document of thousands of nested arrays.
constexpr int kMaxOptionsDepth = 64;
nlohmann::json parse_options_json(const std::string &text);

// The error for option key: "option \"key\" <what>".
Error bad(const std::string &key, const std::string &what, const std::string &hint = {});

// A finite number.
double number(const nlohmann::json &v, const std::string &key);

// A whole number from min to max.
long integer(const nlohmann::json &v, const std::string &key, long min, long max);

// A number between lo and hi, each bound open or closed.
double in_range(const nlohmann::json &v, const std::string &key, double lo, bool lo_open, double hi, bool hi_open);

// A string, one of allowed.
std::string one_of(const nlohmann::json &v, const std::string &key, const std::vector<std::string> &allowed);

}  // namespace xb::option_checks
