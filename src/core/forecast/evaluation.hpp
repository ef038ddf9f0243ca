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
  bool overall = false;   // all series together (else the one named)
  std::string series;     // the series' key ("" for a model of one unnamed series)
  std::string estimator;  // model | seasonal_naive
  std::string metric;     // points, then forecast_metrics' names
  double value = 0;
};

// Both estimators are scored on the same points: those with an actual and a
// value one season earlier, in the source or in the history the model keeps
// (else the model alone, on every point, and a NOTICE says so). MASE's scale
// comes from the same history (a statistical model's own, when that holds no
// seasonal pair).
struct ForecastEvaluation {
  std::vector<EvaluationRow> rows;  // all series, then each series (model, then seasonal_naive)
  long points = 0;                  // forecast points with an actual in the source
  long series_scored = 0;
  long series_unknown = 0;  // series of the source the model does not forecast
};

// rows: the source, read like the training source (target included; a NaN
// target is not an actual). Its covariates are the future covariates of a
// network. Error(InvalidParameter) when no row falls in the forecast,
// Error(DataException) for two rows of one series and time.
ForecastEvaluation evaluate_forecaster(std::string_view blob, const SeriesRows &rows, const RuntimeSettings &runtime,
                                       const TrainHooks &hooks);

}  // namespace xb
