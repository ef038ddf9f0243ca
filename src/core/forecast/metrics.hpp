// Forecast accuracy: the shared point metrics plus what only forecasts have,
// MASE against the seasonal-naive scale of each series and the coverage of
// the prediction interval.
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "core/common/point_metrics.hpp"

namespace xb {

struct ForecastPoints : PointPairs {
  std::vector<double> mase_scale;  // per point: in-sample seasonal-naive MAE of its series
  std::vector<double> lo, hi;      // optional interval bounds

  void add(double a, double p, double scale) {
    actual.push_back(a);
    predicted.push_back(p);
    mase_scale.push_back(scale);
  }
};

double mean_absolute_scaled_error(const ForecastPoints &p);
double interval_coverage(const ForecastPoints &p);  // share of actuals inside [lo, hi]

// name -> value, in a stable order, for the catalog. NaN when undefined.
std::vector<std::pair<std::string, double>> forecast_metrics(const ForecastPoints &p);

// Mean |y[t] - y[t - season]| over y[0, end): the MASE denominator.
double seasonal_naive_scale(const std::vector<double> &y, long end, int season);

}  // namespace xb
