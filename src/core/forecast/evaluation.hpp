// Scoring a trained forecaster on actuals it has not seen (xb_evaluate): the
// rows of a source that fall in its forecast, after the end of each series'
// history in the model, against what it forecasts from there and against
// seasonal naive from the source's own earlier rows. Public face to the
// PostgreSQL boundary (no torch here).
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "core/common/train_hooks.hpp"
#include "core/forecast/series_data.hpp"

namespace xb {

struct EvaluationRow {
  std::string series;     // "" for all series together
  std::string estimator;  // model | seasonal_naive
  std::string metric;     // points, then forecast_metrics' names
  double value = 0;
};

struct ForecastEvaluation {
  std::vector<EvaluationRow> rows;  // all series (model, seasonal_naive), then each series (model)
  long points = 0;                  // forecast points with an actual in the source
  long series_scored = 0;
  long series_unknown = 0;  // series of the source the model does not forecast
};

// rows: the source, read like the training source (target included; a NaN
// target is not an actual). Its covariates are the future covariates of a
// network. Error(InvalidParameter) when no row falls in the forecast.
ForecastEvaluation evaluate_forecaster(std::string_view blob, const SeriesRows &rows, const RuntimeSettings &runtime,
                                       const TrainHooks &hooks);

}  // namespace xb
