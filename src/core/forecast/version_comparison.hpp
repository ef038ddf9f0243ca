// Two versions of one forecaster scored on the same newest points, for
// xb_retrain's keep => 'better': the deployed version and the one just
// trained both forecast the last `horizon` points of every series they
// share, from the point before them, with the same history (the source's
// current rows). Neither fitted those points: they are the new version's
// test split, and whatever of them the deployed version saw fell in its own
// test split (every test split holds at least a horizon). Public face to
// the PostgreSQL boundary (no torch here).
#pragma once
#include <limits>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/common/train_hooks.hpp"
#include "core/common/trial_record.hpp"
#include "core/forecast/series_data.hpp"

namespace xb {

struct VersionComparison {
  long points = 0;  // scored for both (0: none; why_none says why)
  long series = 0;
  int horizon = 0;          // points at the end of each series
  Micros from = 0, to = 0;  // the first and last time scored
  // The key metric, lower is better: mase, or wape where no series has a
  // scale for MASE, or mae where the actuals sum to zero.
  std::string metric;
  double deployed = std::numeric_limits<double>::quiet_NaN();
  double retrained = std::numeric_limits<double>::quiet_NaN();
  std::vector<std::pair<std::string, double>> deployed_metrics, retrained_metrics;  // forecast_metrics'
  std::string why_none;
  double seconds = 0;  // the comparison's

  // Whether the retrained version is not worse (a NaN score is the worst).
  bool retrained_not_worse() const;
};

// rows: the source as training read it. Error(InvalidParameter) when a blob
// is not a forecaster or the versions read different columns.
VersionComparison compare_on_newest(std::string_view deployed, std::string_view retrained, const SeriesRows &rows,
                                    const RuntimeSettings &runtime, const TrainHooks &hooks);

// The comparison as two rows for the new version's xb.trials, numbered from
// first_trial: the deployed version's (params {"retrain": "deployed",
// "version": deployed_version, "points": ..., "series", "horizon", "from",
// "to"}) and the new one's ("retrain": "new"), each with the key metric as
// its score and chosen as keep decides ("better": the new one unless it is
// worse; "always": the new one).
std::vector<TrialRecord> comparison_trials(const VersionComparison &c, const std::string &deployed_arch,
                                           int deployed_version, const std::string &new_arch, int first_trial,
                                           bool keep_always);

}  // namespace xb
