// One candidate of a hyperparameter search or of auto, as xb.trials keeps
// it. Apart from core/common/search.hpp so that the boundary need not parse
// JSON headers to read it. Torch-free.
#pragma once
#include <limits>
#include <string>

namespace xb {

// One candidate of a search or of auto, for xb.trials.
struct TrialRecord {
  int trial = 0;  // 1, 2, ...
  std::string arch;
  std::string options_json;                                    // the candidate's resolved options
  std::string metric;                                          // what chose among the candidates (lower is better)
  double score = std::numeric_limits<double>::quiet_NaN();     // its value on validation; NaN: it failed
  double val_wape = std::numeric_limits<double>::quiet_NaN();  // forecasters' validation metrics
  double val_mase = std::numeric_limits<double>::quiet_NaN();
  double val_smape = std::numeric_limits<double>::quiet_NaN();
  double seconds = 0;
  bool chosen = false;
};

}  // namespace xb
