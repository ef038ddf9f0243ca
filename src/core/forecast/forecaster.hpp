// Training a forecaster: rows in, a trained model blob plus its metrics,
// training log, residuals and trials out; and rolling-origin backtests.
// Applying a blob is core/forecast/forecast.hpp. Public face to the
// PostgreSQL boundary (no torch here).
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "core/common/point_metrics.hpp"
#include "core/common/trial_record.hpp"
#include "core/forecast/options.hpp"
#include "core/forecast/series_data.hpp"
#include "core/common/train_hooks.hpp"

namespace xb {

// One test-split point: the test split is tiled by windows of the horizon
// from its first point, so each point has one fitted value and its step.
struct ResidualPoint {
  std::string series;
  Micros ts = 0;
  int step = 0;
  double actual = 0;
  double fitted = 0;
  double lo = 0;
  double hi = 0;
};

struct TrainedForecaster {
  std::string blob;
  std::string arch;  // the trained architecture (auto: the one chosen)
  std::string hyperparameters_json;
  std::vector<MetricRow> metrics;
  std::vector<EpochRecord> epochs;
  std::vector<int> best_epochs;  // one per ensemble member
  std::vector<ResidualPoint> residuals;
  std::vector<TrialRecord> trials;  // more than one for auto or a search (the lowest validation WAPE is kept)
  long series_used = 0;
  long series_skipped = 0;
  long rows_dropped = 0;
  Micros time_from = 0;
  Micros time_to = 0;
  std::string frequency;
  std::string device;
  double seconds = 0;
  double prepare_seconds = 0;  // of seconds: until the first epoch began (core/common/phase_clock)
};

TrainedForecaster train_forecaster(const SeriesRows &rows, const ForecastOptions &options,
                                   const RuntimeSettings &runtime, const TrainHooks &hooks);

// Rolling-origin evaluation: fold 1 trains and tests on all the data as
// train_forecaster does; fold k first removes the last (k - 1) * step points
// of every series. Metrics per fold, horizon step and estimator.
struct BacktestRow {
  int fold = 0;
  Micros cutoff = 0;  // last timestamp before the fold's test split (latest series)
  int step = 0;
  std::string estimator;  // model | seasonal_naive
  long points = 0;
  double mae = 0, rmse = 0, smape = 0, wape = 0, mase = 0, coverage = 0;
};
std::vector<BacktestRow> backtest(const SeriesRows &rows, const ForecastOptions &options, int folds, int step,
                                  const RuntimeSettings &runtime, const TrainHooks &hooks);

}  // namespace xb
