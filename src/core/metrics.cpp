#include "core/metrics.hpp"

#include <cmath>
#include <limits>

namespace xb {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

template <typename F>
double mean_over(const ForecastPoints &p, F term) {
  double sum = 0;
  long count = 0;
  for (std::size_t i = 0; i < p.actual.size(); ++i) {
    double v;
    if (term(i, v)) {
      sum += v;
      ++count;
    }
  }
  return count ? sum / static_cast<double>(count) : kNaN;
}

double err(const ForecastPoints &p, std::size_t i) { return p.predicted[i] - p.actual[i]; }

}  // namespace

double mean_absolute_error(const ForecastPoints &p) {
  return mean_over(p, [&](std::size_t i, double &v) { return v = std::fabs(err(p, i)), true; });
}

double mean_squared_error(const ForecastPoints &p) {
  return mean_over(p, [&](std::size_t i, double &v) { return v = err(p, i) * err(p, i), true; });
}

double root_mean_squared_error(const ForecastPoints &p) { return std::sqrt(mean_squared_error(p)); }

double mean_absolute_percentage_error(const ForecastPoints &p) {
  return mean_over(p, [&](std::size_t i, double &v) {
    if (p.actual[i] == 0) return false;
    v = std::fabs(err(p, i) / p.actual[i]);
    return true;
  });
}

double symmetric_mape(const ForecastPoints &p) {
  return mean_over(p, [&](std::size_t i, double &v) {
    double denom = std::fabs(p.actual[i]) + std::fabs(p.predicted[i]);
    v = denom == 0 ? 0 : 2 * std::fabs(err(p, i)) / denom;
    return true;
  });
}

double weighted_ape(const ForecastPoints &p) {
  double num = 0, den = 0;
  for (std::size_t i = 0; i < p.actual.size(); ++i) {
    num += std::fabs(err(p, i));
    den += std::fabs(p.actual[i]);
  }
  return den > 0 ? num / den : kNaN;
}

double r_squared(const ForecastPoints &p) {
  if (p.actual.empty()) return kNaN;
  double mean = 0;
  for (double a : p.actual) mean += a;
  mean /= static_cast<double>(p.actual.size());
  double sse = 0, sst = 0;
  for (std::size_t i = 0; i < p.actual.size(); ++i) {
    sse += err(p, i) * err(p, i);
    sst += (p.actual[i] - mean) * (p.actual[i] - mean);
  }
  return sst > 0 ? 1 - sse / sst : kNaN;
}

double mean_absolute_scaled_error(const ForecastPoints &p) {
  return mean_over(p, [&](std::size_t i, double &v) {
    if (!(p.mase_scale[i] > 0)) return false;
    v = std::fabs(err(p, i)) / p.mase_scale[i];
    return true;
  });
}

double interval_coverage(const ForecastPoints &p) {
  if (p.lo.size() != p.actual.size()) return kNaN;
  return mean_over(p, [&](std::size_t i, double &v) {
    v = (p.actual[i] >= p.lo[i] && p.actual[i] <= p.hi[i]) ? 1.0 : 0.0;
    return true;
  });
}

std::vector<std::pair<std::string, double>> forecast_metrics(const ForecastPoints &p) {
  std::vector<std::pair<std::string, double>> m{
      {"mae", mean_absolute_error(p)},      {"mse", mean_squared_error(p)},
      {"rmse", root_mean_squared_error(p)}, {"mape", mean_absolute_percentage_error(p)},
      {"smape", symmetric_mape(p)},         {"wape", weighted_ape(p)},
      {"r2", r_squared(p)},                 {"mase", mean_absolute_scaled_error(p)}};
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
  return count ? sum / static_cast<double>(count) : kNaN;
}

}  // namespace xb
