// Options of the forecasting aggregates (xb_fit_forecaster, xb_forecast_agg).
// Their options jsonb carries, besides the forecaster's own options, what the
// function form takes as arguments: "arch", "horizon" (xb_fit_forecaster
// only: xb_forecast_agg has a horizon argument) and "series", a label for the
// group. Those keys are taken out here; the rest goes to
// parse_forecast_options, which refuses unknown keys.
#pragma once
#include <optional>
#include <string>

#include "core/forecast/options.hpp"

namespace xb {

struct AggregateOptions {
  ForecastOptions forecast;
  std::string series;  // the group's label ("" when none is given)
};

inline constexpr int kAggregateDefaultHorizon = 8;

// horizon_argument: xb_forecast_agg's horizon; nullopt for xb_fit_forecaster,
// whose horizon is the "horizon" key (default kAggregateDefaultHorizon).
// Throws Error(InvalidParameter) naming the bad key or value, with a hint.
AggregateOptions parse_aggregate_options(const std::string &options_json, std::optional<int> horizon_argument);

}  // namespace xb
