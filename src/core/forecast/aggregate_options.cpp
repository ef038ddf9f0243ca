#include "core/forecast/aggregate_options.hpp"

#include <cmath>
#include <nlohmann/json.hpp>

#include "core/common/error.hpp"
#include "core/common/option_checks.hpp"

namespace xb {
namespace {

using nlohmann::json;

Error bad_horizon(const std::string &what) {
  return Error(ErrorKind::InvalidParameter, "horizon " + what,
               "The horizon is the number of future steps to forecast, from 1 to 10000, e.g. 8.");
}

int horizon_from_json(const json &v) {
  if (!v.is_number() || !std::isfinite(v.get<double>()) || v.get<double>() != std::floor(v.get<double>()))
    throw option_checks::bad("horizon", "must be a whole number, not " + v.dump(),
                             "The horizon is the number of future steps to forecast, e.g. {\"horizon\": 8}.");
  const double h = v.get<double>();
  if (h < 1) throw bad_horizon("must be at least 1, not " + v.dump());
  if (h > 10000) throw bad_horizon("must be at most 10000, not " + v.dump());
  return static_cast<int>(h);
}

std::string series_from_json(const json &v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_integer()) return v.dump();
  throw option_checks::bad("series", "must be a string or a whole number, not " + v.dump(),
                           "Label the group, e.g. jsonb_build_object('series', store).");
}

}  // namespace

AggregateOptions parse_aggregate_options(const std::string &options_json, std::optional<int> horizon_argument) {
  json user = option_checks::parse_options_json(options_json);
  if (!user.is_object())
    throw Error(ErrorKind::InvalidParameter, "options must be a JSON object", "Example: '{\"epochs\": 50}'");

  // Arguments of xb_train_forecaster that do not carry over to the aggregates.
  for (const char *key : {"feature_cols", "future_source"})
    if (user.contains(key))
      throw option_checks::bad(
          key, "is not accepted by the forecasting aggregates: they take no covariates",
          "An aggregate reads one time and one value per row of each group; to forecast with covariates, "
          "train with xb_train_forecaster(..., feature_cols => ...).");
  if (user.contains("time_zone"))
    throw option_checks::bad(
        "time_zone", "is not accepted by the forecasting aggregates",
        "They count a timestamptz in UTC; for local time pass ts AT TIME ZONE 'Europe/Berlin' (a timestamp).");
  for (const char *key : {"series_cols", "time_col", "target_col"})
    if (user.contains(key))
      throw option_checks::bad(
          key, "is not accepted by the forecasting aggregates",
          "Their arguments are the time and the value; GROUP BY makes the series, and {\"series\": ...} "
          "labels a group.");

  AggregateOptions out;
  std::string arch = "auto";  // the statistical members: no LibTorch, one series at a time
  if (auto it = user.find("arch"); it != user.end()) {
    if (!it->is_string())
      throw option_checks::bad(
          "arch", "must be a string, not " + it->dump(),
          "Use auto (the default), snaive, ets, theta, stlf, croston, gru, lstm, transformer or attention_lstm.");
    arch = it->get<std::string>();
    user.erase(it);
  }
  int horizon = kAggregateDefaultHorizon;
  if (auto it = user.find("horizon"); it != user.end()) {
    if (horizon_argument)
      throw option_checks::bad(
          "horizon", "is not accepted here: the horizon is an argument",
          "Remove \"horizon\" from the options; pass it as the third argument of xb_forecast_agg.");
    horizon = horizon_from_json(*it);
    user.erase(it);
  }
  if (horizon_argument) {
    if (*horizon_argument < 1) throw bad_horizon("must be at least 1, not " + std::to_string(*horizon_argument));
    if (*horizon_argument > 10000) throw bad_horizon("must be at most 10000, not " + std::to_string(*horizon_argument));
    horizon = *horizon_argument;
  }
  if (auto it = user.find("series"); it != user.end()) {
    out.series = series_from_json(*it);
    user.erase(it);
  }
  out.forecast = parse_forecast_options(arch, horizon, user.dump());
  return out;
}

}  // namespace xb
