#include "core/forecast/croston.hpp"

#include "core/forecast/naive.hpp"

namespace xb::stat {

std::vector<double> croston_forecast(const std::vector<double> &y, int h) {
  check_member_input(y, h, "croston");
  double size = 0, interval = 0;  // the smoothed nonzero value and interval
  bool started = false;
  long since = 0;  // steps since the last nonzero value (the first counts from before the series)
  for (double v : y) {
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
