// Trivial members, kept here so every member has the same inputs and checks.
#include "core/forecast/naive.hpp"

#include <cmath>
#include <stdexcept>
#include <string>

namespace xb::stat {

void check_member_input(const std::vector<double> &y, int h, const char *who) {
  if (y.empty()) throw std::invalid_argument(std::string(who) + ": empty series");
  if (h < 1) throw std::invalid_argument(std::string(who) + ": h must be >= 1");
  for (double v : y)
    if (!std::isfinite(v)) throw std::invalid_argument(std::string(who) + ": non-finite value in series");
}

std::vector<double> snaive_forecast(const std::vector<double> &y, int m, int h) {
  check_member_input(y, h, "snaive");
  const int n = static_cast<int>(y.size());
  const int lag = (m <= 1 || n < m) ? 1 : m;
  std::vector<double> f(h);
  for (int i = 0; i < h; ++i) f[i] = y[n - lag + (i % lag)];
  return f;
}

std::vector<double> mean_forecast(const std::vector<double> &y, int h) {
  check_member_input(y, h, "mean");
  double s = 0;
  for (double v : y) s += v;
  return std::vector<double>(h, s / static_cast<double>(y.size()));
}

}  // namespace xb::stat
