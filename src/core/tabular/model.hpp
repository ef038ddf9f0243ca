// The product-customization job end to end: attribute rows in, a trained
// classifier or regressor blob plus its metrics, training log and
// permutation importance out; and a loaded model that scores rows.
// The core's public face to the PostgreSQL boundary (no torch here).
#pragma once
#include <cmath>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/blob.hpp"
#include "core/forecaster.hpp"  // MetricRow
#include "core/tabular_data.hpp"
#include "core/tabular_options.hpp"
#include "core/train_hooks.hpp"

namespace xb {

struct FeatureImportance {
  std::string feature;
  double importance = 0;  // mean drop of the metric when the feature's test values are shuffled
  double importance_std = 0;
  std::string metric;     // roc_auc (classifier) or r2 (regressor)
};

struct TrainedTabular {
  std::string blob;
  std::string hyperparameters_json;
  std::vector<MetricRow> metrics;  // splits train, validation, test, cv
  std::vector<EpochRecord> epochs;
  std::vector<FeatureImportance> importance;
  std::vector<std::string> classes;  // classifier
  std::string transfer;              // what init_from copied, "" without it
  int best_epoch = 0;
  std::string device;
  double seconds = 0;
};

// init_from_blob: the blob of options.init_from's deployed version, or empty.
TrainedTabular train_classifier(const TabularRows &rows, const TabularOptions &options, const RuntimeSettings &runtime,
                                const TrainHooks &hooks, std::string_view init_from_blob = {});
TrainedTabular train_regressor(const TabularRows &rows, const TabularOptions &options, const RuntimeSettings &runtime,
                               const TrainHooks &hooks, std::string_view init_from_blob = {});

struct TabularFeature {
  std::string name;
  bool numeric = false;
};

struct TabularPrediction {
  std::string label;                 // classifier: the most probable class
  double label_probability = NAN;    // its probability
  double positive_probability = NAN; // of the positive class (binary, or options.positive_class)
  double value = NAN;                // regressor: the value; classifier: the label as a number when it is one
};

// A decoded model, ready to score many rows: the boundary caches these.
// One row from a JSON object of feature -> value (keys matched exactly or,
// when unambiguous, case-insensitively; null = missing; numbers may come as
// strings). A feature the object lacks is Error(UndefinedColumn) naming it.
std::vector<TabularColumn> feature_columns_from_json(std::string_view json_object,
                                                     const std::vector<TabularFeature> &features);

class TabularScorer {
 public:
  // Checks the blob; a forecaster is refused (InvalidParameter).
  static std::unique_ptr<TabularScorer> load(std::string_view blob, const RuntimeSettings &runtime);
  ~TabularScorer();
  TabularScorer(const TabularScorer &) = delete;
  TabularScorer &operator=(const TabularScorer &) = delete;

  ModelKind kind() const;
  LabelType label_type() const;
  bool has_positive_class() const;
  const std::vector<TabularFeature> &features() const;
  const std::vector<FeatureImportance> &importance() const;

  // columns: one per feature, in features() order, each with the same rows.
  std::vector<TabularPrediction> predict(const std::vector<TabularColumn> &columns) const;

 private:
  struct Impl;
  explicit TabularScorer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace xb
