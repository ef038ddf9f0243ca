// Scoring with a trained classifier or regressor blob: a decoded model the
// boundary caches and applies to many rows, and rows given as JSON objects.
// Public face to the PostgreSQL boundary (no torch here).
#pragma once
#include <cmath>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/common/blob.hpp"
#include "core/common/train_hooks.hpp"
#include "core/tabular/data.hpp"
#include "core/tabular/model.hpp"

namespace xb {

struct TabularFeature {
  std::string name;
  bool numeric = false;
};

struct TabularPrediction {
  std::string label;                  // classifier: the predicted class (two classes: by the stored threshold)
  double label_probability = NAN;     // its probability
  double positive_probability = NAN;  // of the positive class (binary, or options.positive_class)
  double value = NAN;                 // regressor: the value; classifier: the label as a number when it is one
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

// What xb_recommend and xb_predict (and their aggregates) need of a model,
// as Error with a hint: model names it in the message ("model \"m\"", or
// "the model bytea"), function is the caller.
void require_positive_class(const TabularScorer &scorer, const std::string &model, const std::string &function);
void require_numeric_labels(const TabularScorer &scorer, const std::string &model, const std::string &function);

}  // namespace xb
