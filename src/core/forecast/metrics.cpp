#include "core/forecast/metrics.hpp"

#include <cmath>
#include <limits>

namespace xb {

double mean_absolute_scaled_error(const ForecastPoints &p) {
  return mean_over(p, [&](std::size_t i, double &v) {
    if (!(p.mase_scale[i] > 0)) return false;
    v = std::fabs(p.predicted[i] - p.actual[i]) / p.mase_scale[i];
    return true;
  });
}

double interval_coverage(const ForecastPoints &p) {
  if (p.lo.size() != p.actual.size()) return std::numeric_limits<double>::quiet_NaN();
  return mean_over(p, [&](std::size_t i, double &v) {
    v = (p.actual[i] >= p.lo[i] && p.actual[i] <= p.hi[i]) ? 1.0 : 0.0;
    return true;
  });
}

std::vector<std::pair<std::string, double>> forecast_metrics(const ForecastPoints &p) {
  std::vector<std::pair<std::string, double>> m{{"mae", mean_absolute_error(p)},
                                                {"mse", mean_squared_error(p)},
                                                {"rmse", root_mean_squared_error(p)},
                                                {"mape", mean_absolute_percentage_error(p)},
                                                {"smape", symmetric_mape(p)},
                                                {"wape", weighted_ape(p)},
                                                {"r2", r_squared(p)},
                                                {"mase", mean_absolute_scaled_error(p)}};
  if (!p.lo.empty()) m.emplace_back("coverage", interval_coverage(p));
  return m;
}

double seasonal_naive_scale(const std::vector<double> &y, long end, int season) {
  if (season < 1 || end <= season) season = 1;
  double sum = 0;
  long count = 0;
  for (long t = season; t < end; ++t) {
    sum += std::fabs(y[t] - y[t - season]);
    ++count;
  }
  return count ? sum / static_cast<double>(count) : std::numeric_limits<double>::quiet_NaN();
}

}  // namespace xb
