// The forecasting job end to end: rows in, a trained model blob plus its
// metrics and training log out; and a blob back to future values.
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
  std::string estimator;  // model | seasonal_naive
  std::string metric;
  double value = 0;
};

struct TrainedForecaster {
  std::string blob;
  std::string hyperparameters_json;
  std::vector<MetricRow> metrics;
  std::vector<EpochRecord> epochs;
  std::vector<int> best_epochs;  // one per ensemble member
  long series_used = 0;
  long series_skipped = 0;
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

// horizon 0: the trained horizon. Larger than trained is refused.
std::vector<ForecastPoint> forecast(std::string_view blob, int horizon, const RuntimeSettings &runtime,
                                    const TrainHooks &hooks);

}  // namespace xb
