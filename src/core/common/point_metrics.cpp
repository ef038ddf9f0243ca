#include "core/common/point_metrics.hpp"

#include <cmath>
#include <limits>

namespace xb {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double err(const PointPairs &p, std::size_t i) { return p.predicted[i] - p.actual[i]; }

}  // namespace

double mean_absolute_error(const PointPairs &p) {
  return mean_over(p, [&](std::size_t i, double &v) { return v = std::fabs(err(p, i)), true; });
}

double mean_squared_error(const PointPairs &p) {
  return mean_over(p, [&](std::size_t i, double &v) { return v = err(p, i) * err(p, i), true; });
}

double root_mean_squared_error(const PointPairs &p) { return std::sqrt(mean_squared_error(p)); }

double mean_absolute_percentage_error(const PointPairs &p) {
  return mean_over(p, [&](std::size_t i, double &v) {
    if (p.actual[i] == 0) return false;
    v = std::fabs(err(p, i) / p.actual[i]);
    return true;
  });
}

double symmetric_mape(const PointPairs &p) {
  return mean_over(p, [&](std::size_t i, double &v) {
    double denom = std::fabs(p.actual[i]) + std::fabs(p.predicted[i]);
    v = denom == 0 ? 0 : 2 * std::fabs(err(p, i)) / denom;
    return true;
  });
}

double weighted_ape(const PointPairs &p) {
  double num = 0, den = 0;
  for (std::size_t i = 0; i < p.actual.size(); ++i) {
    num += std::fabs(err(p, i));
    den += std::fabs(p.actual[i]);
  }
  return den > 0 ? num / den : kNaN;
}

double r_squared(const PointPairs &p) {
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

}  // namespace xb
