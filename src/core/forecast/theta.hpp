// The standard Theta method as R's forecast::thetaf (Assimakopoulos &
// Nikolopoulos 2000, in Hyndman & Billah's SES-with-drift form).
#pragma once
#include <string>
#include <vector>

namespace xb::stat {

struct ThetaForecast {
  std::vector<double> mean;
  std::vector<double> adjusted;  // the forecast before reseasonalising (the mean when not seasonal)
  bool seasonal = false;         // whether the series was seasonally adjusted
  double alpha = 0;              // SES smoothing parameter (MSE-optimal, as ses())
  double drift = 0;              // half the slope of the linear trend
  std::string method;            // "Theta"
};

// thetaf's seasonality test: |acf(lag m)| / se > qnorm(0.95) with Bartlett's
// se from lags 1..m-1. False when m < 2, y.size() <= 2 m or y is constant.
bool theta_seasonal_test(const std::vector<double> &y, int m);

// Seasonal series (test above, and strictly positive data so the
// multiplicative decomposition is defined; R does not check and can divide
// by zero) are divided by the classical multiplicative seasonal indices,
// forecast by SES plus drift, and reseasonalised with the last m indices.
// Preconditions (std::invalid_argument otherwise): finite values, y
// non-empty, m >= 1, h >= 1.
ThetaForecast thetaf(const std::vector<double> &y, int m, int h);

}  // namespace xb::stat
