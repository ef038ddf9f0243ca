// Seasonal decompositions (STL and classical moving-average) and the stlf
// forecaster built on STL, following R's stats::stl / forecast::stlf defaults
// so results can be checked against R.
#pragma once
#include <string>
#include <vector>

namespace xb::stat {

// Options of one STL run. Zero windows mean "R's default for this period":
// s_window = 11 (what forecast::mstl passes for a single season),
// t_window = nextodd(ceil(1.5 * period / (1 - 1.5 / s_window))),
// l_window = nextodd(period); jumps default to ceil(window / 10) as in R.
struct StlOptions {
  int s_window = 11;
  int s_degree = 0;
  int t_window = 0;
  int t_degree = 1;
  int l_window = 0;
  int l_degree = 1;
  int s_jump = 0, t_jump = 0, l_jump = 0;
  bool robust = false;  // true: inner = 1, outer = 15 (R's robust = TRUE)
};

struct StlResult {
  std::vector<double> seasonal, trend, remainder;
  std::vector<double> weights;  // robustness weights (all 1 when not robust)
};

// STL of y with the given period. Preconditions (std::invalid_argument
// otherwise): all values finite, period >= 2, y.size() > 2 * period.
StlResult stl(const std::vector<double> &y, int period, const StlOptions &opt = {});

// Classical decomposition as R's stats::decompose: centred moving average
// trend (NaN at the ends), seasonal figure repeated. Needs y.size() >= 2 * m
// and m >= 2 (std::invalid_argument otherwise). `figure` has m entries,
// seasonal[t] = figure[t % m].
struct ClassicalDecomposition {
  std::vector<double> trend, seasonal, figure;
};
ClassicalDecomposition decompose_classical(const std::vector<double> &y, int m, bool multiplicative);

// stlf: STL (R's mstl defaults for one season), non-seasonal ETS chosen by
// AICc on the seasonally adjusted series, plus the last season of the
// seasonal component repeated. Falls back to non-seasonal ETS on y when
// m < 2 or y.size() <= 2 * m; `method` says what was used ("STL + ETS(A,N,N)"
// or "ETS(A,N,N)"); `adjusted` is the forecast without the seasonal part
// (the ETS forecast of the seasonally adjusted series). Preconditions: finite values, y non-empty, h >= 1.
struct StlfForecast {
  std::string method;
  std::vector<double> mean;
  std::vector<double> adjusted;  // the ETS part alone (the mean without STL)
  double aicc;                   // of the ETS part
};
StlfForecast stlf(const std::vector<double> &y, int m, int h, const StlOptions &opt = {});

}  // namespace xb::stat
