// Croston's method for intermittent demand, with the Syntetos-Boylan
// approximation (SBA): simple exponential smoothing of the nonzero values
// and, separately, of the intervals between them; the forecast is their
// ratio times 1 - alpha / 2, which removes Croston's upward bias. As R's
// forecast::croston with alpha 0.1 (each smoothing starts at its first
// value) times that factor, which forecast 9 calls type = "sba".
#pragma once
#include <vector>

namespace xb::stat {

constexpr double kCrostonAlpha = 0.1;

// The SBA forecast repeated h times: 0 for a series without a positive
// value; negative values count as no demand. Preconditions
// (std::invalid_argument otherwise): finite values, y non-empty, h >= 1.
std::vector<double> croston_forecast(const std::vector<double> &y, int h);

}  // namespace xb::stat
