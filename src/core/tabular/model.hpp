// Training the product-customization job: attribute rows in, a trained
// classifier or regressor blob plus its metrics, training log and
// permutation importance out. Scoring with it is core/tabular/scorer.hpp.
// The core's public face to the PostgreSQL boundary (no torch here).
#pragma once
#include <cmath>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/common/blob.hpp"
#include "core/common/point_metrics.hpp"
#include "core/common/trial_record.hpp"
#include "core/tabular/data.hpp"
#include "core/tabular/options.hpp"
#include "core/common/train_hooks.hpp"

namespace xb {

struct FeatureImportance {
  std::string feature;
  double importance = 0;  // mean drop of the metric when the feature's test values are shuffled
  double importance_std = 0;
  std::string metric;  // roc_auc (classifier) or r2 (regressor)
};

struct TrainedTabular {
  std::string blob;
  std::string hyperparameters_json;
  std::vector<MetricRow> metrics;  // splits train, validation, test, cv
  std::vector<EpochRecord> epochs;
  std::vector<FeatureImportance> importance;
  std::vector<TrialRecord> trials;   // a search's trials, in order
  std::vector<std::string> classes;  // classifier
  std::string transfer;              // what init_from copied, "" without it
  // For a WARNING: (message, hint) when the model does not beat its baseline
  // (majority class, or the mean) where it was not trained.
  std::vector<std::pair<std::string, std::string>> warnings;
  int best_epoch = 0;
  // The rows of the test split (none with refit), which depends only on each
  // row's values and the seed (split.hpp: stable_holdout).
  std::vector<long> test_rows;
  std::string device;
  double seconds = 0;
  double prepare_seconds = 0;  // of seconds: until the first epoch began (core/common/phase_clock)
};

// init_from_blob: the blob of options.init_from's deployed version, or empty.
TrainedTabular train_classifier(const TabularRows &rows, const TabularOptions &options, const RuntimeSettings &runtime,
                                const TrainHooks &hooks, std::string_view init_from_blob = {});
TrainedTabular train_regressor(const TabularRows &rows, const TabularOptions &options, const RuntimeSettings &runtime,
                               const TrainHooks &hooks, std::string_view init_from_blob = {});

}  // namespace xb
