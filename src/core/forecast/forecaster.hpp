// The forecasting job end to end: rows in, a trained model blob plus its
// metrics and training log out; a blob back to future values, what-if
// forecasts and elasticities; rolling-origin backtests.
// This is the core's public face to the PostgreSQL boundary (no torch here).
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "core/options.hpp"
#include "core/series_data.hpp"
#include "core/train_hooks.hpp"

namespace xb {

struct MetricRow {
  std::string split;      // train | validation | test
  std::string estimator;  // model | seasonal_naive | an architecture (candidates of auto)
  std::string metric;
  double value = 0;
};

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

// One candidate of a search or of auto, scored on the validation split
// (the model kept is the one with the lowest validation WAPE).
struct TrialRecord {
  int trial = 0;  // 1, 2, ...
  std::string arch;
  std::string options_json;  // the candidate's resolved options
  double val_wape = 0, val_mase = 0, val_smape = 0;
  double seconds = 0;
  bool chosen = false;
};

struct TrainedForecaster {
  std::string blob;
  std::string arch;  // the trained architecture (auto: the one chosen)
  std::string hyperparameters_json;
  std::vector<MetricRow> metrics;
  std::vector<EpochRecord> epochs;
  std::vector<int> best_epochs;  // one per ensemble member
  std::vector<ResidualPoint> residuals;
  std::vector<TrialRecord> trials;  // more than one for auto or a search
  long series_used = 0;
  long series_skipped = 0;
  long rows_dropped = 0;
  Micros time_from = 0;
  Micros time_to = 0;
  std::string frequency;
  std::string device;
  double seconds = 0;
};

TrainedForecaster train_forecaster(const SeriesRows &rows, const ForecastOptions &options,
                                   const RuntimeSettings &runtime, const TrainHooks &hooks);

struct ForecastPoint {
  std::string series;
  Micros ts = 0;
  double yhat = 0;
  double lo = 0;
  double hi = 0;
};

// What a forecast may be told about the future: covariate rows (same series
// keys, time and feature columns as training; target unused) and what-if
// overrides ({"price": {"mul": 0.9}}, see core/covariates.hpp).
struct FutureInputs {
  const SeriesRows *rows = nullptr;
  std::string overrides_json;
};

// The feature columns a model was trained with, to read future rows for it.
struct ModelFeatures {
  std::vector<std::string> numeric;
  std::vector<std::string> text;
};
ModelFeatures model_features(std::string_view blob);

// horizon 0: the trained horizon. Larger than trained is refused.
std::vector<ForecastPoint> forecast(std::string_view blob, int horizon, const RuntimeSettings &runtime,
                                    const TrainHooks &hooks, const FutureInputs &future = {});

// Forecasts with `feature` changed by each delta (relative: times 1 + delta;
// else plus delta) against the unchanged forecast, over all horizon steps.
struct SensitivityRow {
  std::string series;  // empty: all series together
  double delta = 0;
  double mean_forecast = 0;
  double relative_change = 0;  // mean_forecast / baseline mean - 1
  double elasticity = 0;       // relative_change / delta (relative deltas; NaN at 0)
};
std::vector<SensitivityRow> sensitivity(std::string_view blob, const std::string &feature,
                                        const std::vector<double> &deltas, bool relative, bool per_series,
                                        const RuntimeSettings &runtime, const TrainHooks &hooks,
                                        const FutureInputs &future = {});

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
