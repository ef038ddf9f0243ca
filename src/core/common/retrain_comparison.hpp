// Two versions of one model scored on the same rows or points, for
// xb_retrain's keep => 'better' (a forecaster's: core/forecast/
// version_comparison.hpp; a classifier's or regressor's: core/tabular/
// scorer.hpp), and the two rows of xb.trials that record it. Torch-free.
#pragma once
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "core/common/trial_record.hpp"

namespace xb {

struct VersionComparison {
  long points = 0;  // points or rows scored for both (0: none; why_none says why)
  // Forecasters: the series, the points at the end of each, and the first
  // and last time scored; 0 and "" otherwise.
  long series = 0;
  int horizon = 0;
  std::string from, to;
  // The key metric, lower is better: a forecaster's mase (or wape where no
  // series has a scale for MASE, or mae), a classifier's log_loss, a
  // regressor's rmse.
  std::string metric;
  double deployed = std::numeric_limits<double>::quiet_NaN();
  double retrained = std::numeric_limits<double>::quiet_NaN();
  std::vector<std::pair<std::string, double>> deployed_metrics, retrained_metrics;
  std::string why_none;
  double seconds = 0;  // the comparison's

  // Whether the retrained version is not worse (a NaN score is the worst).
  bool retrained_not_worse() const;
};

// The value of the metric called `name` (NaN when there is none).
double value_of(const std::vector<std::pair<std::string, double>> &metrics, const std::string &name);

// The comparison as two rows for the new version's xb.trials, numbered from
// first_trial: the deployed version's (params {"retrain": "deployed",
// "version": deployed_version, "points": ..., and a forecaster's "series",
// "horizon", "from", "to"}) and the new one's ("retrain": "new"), each with
// the key metric as its score and chosen as keep decides ("better": the new
// one unless it is worse; "always": the new one).
std::vector<TrialRecord> comparison_trials(const VersionComparison &c, const std::string &deployed_arch,
                                           int deployed_version, const std::string &new_arch, int first_trial,
                                           bool keep_always);

}  // namespace xb
