// Benchmark members: seasonal naive and the mean, shaped like the others.
#pragma once
#include <vector>

namespace xb::stat {

// What the simple members (these and croston) check first, naming `who`
// (std::invalid_argument): y non-empty, h >= 1, every value finite.
void check_member_input(const std::vector<double> &y, int h, const char *who);

// Last season repeated: f[i] = y[n - m + i % m]. Plain naive (last value)
// when m <= 1 or y.size() < m. Preconditions (std::invalid_argument
// otherwise): finite values, y non-empty, h >= 1.
std::vector<double> snaive_forecast(const std::vector<double> &y, int m, int h);

// Historical mean repeated h times; same preconditions.
std::vector<double> mean_forecast(const std::vector<double> &y, int h);

}  // namespace xb::stat
