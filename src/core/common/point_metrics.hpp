// Accuracy over paired actual / predicted values, shared by every job: the
// forecaster's splits, the regressor's test split and the catalog's metric
// rows. Job-specific measures (MASE, interval coverage, classification)
// live with their job.
#pragma once
#include <string>
#include <limits>
#include <utility>
#include <vector>

namespace xb {

// One row of xb.model_metrics.
struct MetricRow {
  std::string split;      // train | validation | test | cv
  std::string estimator;  // model | seasonal_naive | a candidate (arch, member)
  std::string metric;
  double value = 0;
};

struct PointPairs {
  std::vector<double> actual;
  std::vector<double> predicted;
};

double mean_absolute_error(const PointPairs &p);
double mean_squared_error(const PointPairs &p);
double root_mean_squared_error(const PointPairs &p);
double mean_absolute_percentage_error(const PointPairs &p);  // points with actual 0 are skipped
double symmetric_mape(const PointPairs &p);                  // 2|e| / (|a| + |p|), 0/0 counts 0
double weighted_ape(const PointPairs &p);                    // sum |e| / sum |a|
double r_squared(const PointPairs &p);

// The mean of term(i) over the points for which it returns true; NaN if none.
template <typename Term>
double mean_over(const PointPairs &p, Term term) {
  double sum = 0;
  long count = 0;
  for (std::size_t i = 0; i < p.actual.size(); ++i) {
    double v;
    if (term(i, v)) {
      sum += v;
      ++count;
    }
  }
  return count ? sum / static_cast<double>(count) : std::numeric_limits<double>::quiet_NaN();
}

}  // namespace xb
