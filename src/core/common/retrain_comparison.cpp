#include "core/common/retrain_comparison.hpp"

#include <cmath>
#include <nlohmann/json.hpp>

namespace xb {

double value_of(const std::vector<std::pair<std::string, double>> &metrics, const std::string &name) {
  for (const auto &[metric, value] : metrics)
    if (metric == name) return value;
  return std::numeric_limits<double>::quiet_NaN();
}

bool VersionComparison::retrained_not_worse() const {
  if (std::isnan(retrained)) return std::isnan(deployed);
  return std::isnan(deployed) || retrained <= deployed;
}

std::vector<TrialRecord> comparison_trials(const VersionComparison &c, const std::string &deployed_arch,
                                           int deployed_version, const std::string &new_arch, int first_trial,
                                           bool keep_always) {
  const bool keep_new = keep_always || c.retrained_not_worse();
  std::vector<TrialRecord> out;
  for (const bool is_new : {false, true}) {
    nlohmann::json params = {{"retrain", is_new ? "new" : "deployed"}};
    if (!is_new) params["version"] = deployed_version;
    params["points"] = c.points;
    if (c.horizon > 0) {
      params["series"] = c.series;
      params["horizon"] = c.horizon;
      params["from"] = c.from;
      params["to"] = c.to;
    }
    const auto &metrics = is_new ? c.retrained_metrics : c.deployed_metrics;
    TrialRecord t;
    t.trial = first_trial + (is_new ? 1 : 0);
    t.arch = is_new ? new_arch : deployed_arch;
    t.options_json = params.dump();
    t.metric = c.metric;
    t.score = is_new ? c.retrained : c.deployed;
    t.val_wape = value_of(metrics, "wape");
    t.val_mase = value_of(metrics, "mase");
    t.val_smape = value_of(metrics, "smape");
    t.seconds = c.seconds / 2;
    t.chosen = is_new == keep_new;
    out.push_back(std::move(t));
  }
  return out;
}

}  // namespace xb
