// thetaf re-implemented; SES is fitted through the ETS code with R's
// ses() criterion so alpha matches R's.
#include "core/forecast/theta.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "core/forecast/ets.hpp"
#include "core/forecast/stl.hpp"

namespace xb::stat {

bool theta_seasonal_test(const std::vector<double> &y, int m) {
  const int n = static_cast<int>(y.size());
  if (m < 2 || n <= 2 * m) return false;
  bool constant = true;
  for (double v : y) constant = constant && v == y[0];
  if (constant) return false;
  double mean = 0;
  for (double v : y) mean += v;
  mean /= n;
  double c0 = 0;
  for (double v : y) c0 += (v - mean) * (v - mean);
  std::vector<double> r(m + 1, 0.0);
  for (int k = 1; k <= m; ++k) {
    double c = 0;
    for (int t = 0; t + k < n; ++t) c += (y[t] - mean) * (y[t + k] - mean);
    r[k] = c / c0;
  }
  double s = 0;
  for (int k = 1; k < m; ++k) s += r[k] * r[k];
  const double stat = std::sqrt((1 + 2 * s) / n);
  return std::fabs(r[m]) / stat > 1.6448536269514722;  // qnorm(0.95)
}

ThetaForecast thetaf(const std::vector<double> &y, int m, int h) {
  if (y.empty()) throw std::invalid_argument("thetaf: empty series");
  for (double v : y)
    if (!std::isfinite(v)) throw std::invalid_argument("thetaf: non-finite value in series");
  if (m < 1) throw std::invalid_argument("thetaf: m must be >= 1");
  if (h < 1) throw std::invalid_argument("thetaf: h must be >= 1");
  const int n = static_cast<int>(y.size());
  ThetaForecast out;
  out.method = "Theta";
  std::vector<double> x = y;
  std::vector<double> seas;
  if (theta_seasonal_test(y, m) && *std::min_element(y.begin(), y.end()) > 0) {
    ClassicalDecomposition d = decompose_classical(y, m, true);
    bool usable = true;
    for (double v : d.figure) usable = usable && std::isfinite(v) && std::fabs(v) >= 1e-4;
    if (usable) {
      out.seasonal = true;
      seas = d.seasonal;
      for (int t = 0; t < n; ++t) x[t] = y[t] / seas[t];
    }
  }
  const EtsModel ses = fit_ets_mse(x, 1, "ANN");
  const std::vector<double> base = forecast_ets(ses, x, h);
  // Slope of x on 0..n-1.
  double slope = 0;
  if (n > 1) {
    const double tm = (n - 1) / 2.0;
    double xm = 0;
    for (double v : x) xm += v;
    xm /= n;
    double sxy = 0, sxx = 0;
    for (int t = 0; t < n; ++t) {
      sxy += (t - tm) * (x[t] - xm);
      sxx += (t - tm) * (t - tm);
    }
    slope = sxy / sxx;
  }
  out.drift = slope / 2;
  out.alpha = std::max(1e-10, ses.alpha);
  const double start = (1 - std::pow(1 - out.alpha, n)) / out.alpha;
  out.mean.resize(h);
  out.adjusted.resize(h);
  for (int i = 0; i < h; ++i) {
    double v = base[i] + out.drift * (i + start);
    out.adjusted[i] = v;
    if (out.seasonal) v *= seas[n - m + (i % m)];
    out.mean[i] = v;
  }
  return out;
}

}  // namespace xb::stat
