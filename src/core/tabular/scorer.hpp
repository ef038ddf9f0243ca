// Scoring with a trained classifier or regressor blob: a decoded model the
// boundary caches and applies to many rows, and rows given as JSON objects.
// Public face to the PostgreSQL boundary (no torch here).
#pragma once
#include <cmath>
#include <cstdint>
#include <functional>
#include <optional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/common/blob.hpp"
#include "core/common/point_metrics.hpp"
#include "core/common/retrain_comparison.hpp"
#include "core/common/train_hooks.hpp"
#include "core/tabular/data.hpp"
#include "core/tabular/model.hpp"

namespace xb {

struct TabularFeature {
  std::string name;
  bool numeric = false;
  bool image = false;  // PNG or JPEG bytes (bytea; in JSON a "\\x..." hex string)
};

// What the image encoder makes of one picture (member 0 of an ensemble).
struct ImageExplanation {
  std::vector<float> embedding;  // the attention-pooled features
  std::vector<float> attention;  // one weight per cell of the final map, row-major, summing to 1
  int map_height = 0, map_width = 0;
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
  bool knows_class(const std::string &label) const;  // a classifier's class (false for a regressor)
  const std::vector<TabularFeature> &features() const;
  const std::vector<FeatureImportance> &importance() const;

  // columns: one per feature, in features() order, each with the same rows.
  // row_names(i) names row i in errors about its picture ("key 17").
  std::vector<TabularPrediction> predict(const std::vector<TabularColumn> &columns,
                                         const std::function<std::string(long)> &row_names = {}) const;

  // Models with an image feature: the embedding and attention of a picture,
  // and the picture with the attention drawn over it (PNG, scale times its
  // input size). Error(InvalidParameter) for a model without images.
  bool has_image() const;
  ImageExplanation explain_image(std::string_view bytes) const;
  std::string attention_png(std::string_view bytes, int scale) const;

  // The model and its baseline scored on labelled rows it has not seen
  // (xb_evaluate; rows read like its training source): metric rows of split
  // "evaluation" (each estimator's "rows" counts them), estimator "model",
  // and "majority" (the training rows'
  // class shares; blobs before 0.2.0 do not keep them, so no such rows) or
  // "mean" (the training target's). Rows of a class the model does not know
  // are left out and counted. Error(InvalidParameter) when no row is left,
  // Error(DatatypeMismatch) when the label's type is not the training's.
  // Scored in batches; hooks may interrupt between them.
  struct Evaluation {
    std::vector<MetricRow> metrics;
    long rows = 0;
    long unknown_labels = 0;
  };
  Evaluation evaluate(const TabularRows &rows, const TrainHooks &hooks = {}) const;

  // Whether the attention points at what the prediction rests on: for each
  // picture, its true class's probability with the pixels under the
  // `fraction` most attended cells blacked out, against the same number of
  // random cells blacked out. The share of pictures where the attended cells
  // cost more, for this model and for an untrained network of its shape
  // (which should score about one half). Image-only models. `fill` is the
  // 8-bit value the cells' pixels take: black, as xb_attention_faithfulness
  // and training's erasing and masking use, or another for checking that
  // the network did not merely learn what black cells mean.
  struct Faithfulness {
    long pictures = 0;
    double trained = NAN, untrained = NAN;
  };
  Faithfulness attention_faithfulness(const std::vector<std::optional<std::string>> &pictures,
                                      const std::vector<std::optional<std::string>> &labels, double fraction,
                                      std::uint64_t seed, std::uint8_t fill = 0) const;

 private:
  struct Impl;
  explicit TabularScorer(std::unique_ptr<Impl> impl);
  // Per row, every class's probability (row-major, in class order), or the
  // regressor's value in scaled units; refused when one is not finite.
  std::vector<double> raw_scores(const std::vector<TabularColumn> &columns,
                                 const std::function<std::string(long)> &row_names) const;
  std::unique_ptr<Impl> impl_;
};

// What xb_recommend and xb_predict (and their aggregates) need of a model,
// as Error with a hint: model names it in the message ("model \"m\"", or
// "the model bytea"), function is the caller.
// Two versions of one classifier or regressor scored on the same rows, for
// xb_retrain's keep => 'better': the rows of `rows` listed in `which` (the
// new version's test split: a row stays on its side of that split as the
// data grows, so the deployed version never trained on them either) whose
// label both versions know. Key metric: log_loss, or rmse for a regressor.
// Nothing to compare (why_none) when `which` is empty (a refit version has
// no test split) or the versions read their rows differently.
VersionComparison compare_on_rows(std::string_view deployed, std::string_view retrained, const TabularRows &rows,
                                  const std::vector<long> &which, const RuntimeSettings &runtime,
                                  const TrainHooks &hooks);

void require_positive_class(const TabularScorer &scorer, const std::string &model, const std::string &function);
void require_numeric_labels(const TabularScorer &scorer, const std::string &model, const std::string &function);

}  // namespace xb
