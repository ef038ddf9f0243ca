#include "core/forecast/croston.hpp"

#include <cmath>
#include <stdexcept>

namespace xb::stat {

std::vector<double> croston_forecast(const std::vector<double> &y, int h) {
  if (y.empty()) throw std::invalid_argument("croston: empty series");
  if (h < 1) throw std::invalid_argument("croston: h must be >= 1");
  double size = 0, interval = 0;  // the smoothed nonzero value and interval
  bool started = false;
  long since = 0;  // steps since the last nonzero value (the first counts from before the series)
  for (double v : y) {
    if (!std::isfinite(v)) throw std::invalid_argument("croston: non-finite value in series");
    ++since;
    if (v <= 0) continue;
    const double gap = static_cast<double>(since);
    if (!started) {
      size = v;
      interval = gap;
      started = true;
    } else {
      size += kCrostonAlpha * (v - size);
      interval += kCrostonAlpha * (gap - interval);
    }
    since = 0;
  }
  const double f = started ? (1 - kCrostonAlpha / 2) * size / interval : 0.0;
  return std::vector<double>(static_cast<std::size_t>(h), f);
}

}  // namespace xb::stat
