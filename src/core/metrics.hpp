// Forecast accuracy measures over paired actual / predicted points.
#pragma once
#include <string>
#include <utility>
#include <vector>

namespace xb {

struct ForecastPoints {
  std::vector<double> actual;
  std::vector<double> predicted;
  std::vector<double> mase_scale;  // per point: in-sample seasonal-naive MAE of its series
  std::vector<double> lo, hi;      // optional interval bounds

  void add(double a, double p, double scale) {
    actual.push_back(a);
    predicted.push_back(p);
    mase_scale.push_back(scale);
  }
};

double mean_absolute_error(const ForecastPoints &p);
double mean_squared_error(const ForecastPoints &p);
double root_mean_squared_error(const ForecastPoints &p);
double mean_absolute_percentage_error(const ForecastPoints &p);  // points with actual 0 are skipped
double symmetric_mape(const ForecastPoints &p);                  // 2|e| / (|a| + |p|), 0/0 counts 0
double weighted_ape(const ForecastPoints &p);                    // sum |e| / sum |a|
double r_squared(const ForecastPoints &p);
double mean_absolute_scaled_error(const ForecastPoints &p);
double interval_coverage(const ForecastPoints &p);               // share of actuals inside [lo, hi]

// name -> value, in a stable order, for the catalog. NaN when undefined.
std::vector<std::pair<std::string, double>> forecast_metrics(const ForecastPoints &p);

// Mean |y[t] - y[t - season]| over y[0, end): the MASE denominator.
double seasonal_naive_scale(const std::vector<double> &y, long end, int season);

}  // namespace xb
