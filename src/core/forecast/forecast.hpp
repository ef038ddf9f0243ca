// Applying a trained forecaster blob: future values with intervals, what-if
// overrides of covariates, and the elasticity table built from them.
// Public face to the PostgreSQL boundary (no torch here).
#pragma once
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/common/train_hooks.hpp"
#include "core/forecast/series_data.hpp"

namespace xb {

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
  double level = 0;  // the interval's level; 0: the trained one (options.interval)
};

// A forecaster blob decoded and checked once (a network built with its
// weights, or a statistical model's state), to apply many times: the
// boundary keeps them between calls (pg/model_cache). Applying one is not
// safe from two threads at once. Error(CorruptModel) for a blob that fails
// a check, Error(InvalidParameter) for a blob of another kind.
struct DecodedForecaster;  // core/forecast/forecast_state.hpp
using SharedForecaster = std::shared_ptr<DecodedForecaster>;
SharedForecaster decode_forecaster(std::string_view blob, const RuntimeSettings &runtime);

// horizon 0: the trained horizon. Larger than trained is refused. Each
// function below also takes the blob itself, decoded for that one call.
std::vector<ForecastPoint> forecast(DecodedForecaster &model, int horizon, const RuntimeSettings &runtime,
                                    const TrainHooks &hooks, const FutureInputs &future = {});
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
std::vector<SensitivityRow> sensitivity(DecodedForecaster &model, const std::string &feature,
                                        const std::vector<double> &deltas, bool relative, bool per_series,
                                        const RuntimeSettings &runtime, const TrainHooks &hooks,
                                        const FutureInputs &future = {});
std::vector<SensitivityRow> sensitivity(std::string_view blob, const std::string &feature,
                                        const std::vector<double> &deltas, bool relative, bool per_series,
                                        const RuntimeSettings &runtime, const TrainHooks &hooks,
                                        const FutureInputs &future = {});

// What each numeric covariate adds to a network's forecast (like
// BigQuery's ML.EXPLAIN_FORECAST): per series, step and feature, the
// forecast less the forecast with that feature's future values set to its
// mean over the history the model keeps of the series. One feature moved at
// a time, so the contributions need not add up to the forecast's distance
// from any one baseline. Error(InvalidParameter) for a network without
// numeric covariates. A statistical model has none: its forecast is split
// into trend and season instead (explain_statistical). Where auto combined
// the network with each series' statistical recipe, the forecasts are the
// mix, so a feature moves only the network's share (so does sensitivity).
struct ExplanationRow {
  std::string series;
  Micros ts = 0;
  double yhat = 0;
  std::string feature;
  double contribution = 0;
};
std::vector<ExplanationRow> explain_forecast(DecodedForecaster &model, int horizon, const RuntimeSettings &runtime,
                                             const TrainHooks &hooks, const FutureInputs &future = {});
std::vector<ExplanationRow> explain_forecast(std::string_view blob, int horizon, const RuntimeSettings &runtime,
                                             const TrainHooks &hooks, const FutureInputs &future = {});

}  // namespace xb
