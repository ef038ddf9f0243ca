// How well class probabilities match true classes, and regression errors,
// for the catalog's metric rows. Torch-free.
#pragma once
#include <cmath>
#include <string>
#include <utility>
#include <vector>

namespace xb {

// N rows of K class probabilities (row-major) and the true class of each row.
struct ClassPredictions {
  int classes = 2;
  std::vector<double> probs;
  std::vector<int> actual;
  // Two classes and a finite threshold: class `positive` is predicted when its
  // probability is at least the threshold, the other class otherwise.
  int positive = -1;
  double threshold = NAN;

  long rows() const { return static_cast<long>(actual.size()); }
  int predicted(long row) const;  // by the threshold, else the most probable class (lowest index on ties)
};

double accuracy(const ClassPredictions &p);
// The mean over the classes present of each one's recall: 1 / K for a model
// that predicts one class, whatever the class shares.
double balanced_accuracy(const ClassPredictions &p);
// Binary: of the positive class. Multi-class: macro averages over classes.
double precision(const ClassPredictions &p, int positive);
double recall(const ClassPredictions &p, int positive);
double f1_score(const ClassPredictions &p, int positive);
// Binary: the Mann-Whitney estimate with ties counted half. Multi-class: the
// macro average of one-vs-rest AUCs. NaN when a class is absent.
double roc_auc(const ClassPredictions &p, int positive);
double log_loss(const ClassPredictions &p);                     // probabilities clipped to [1e-15, 1 - 1e-15]
std::vector<long> confusion_matrix(const ClassPredictions &p);  // [actual * K + predicted]

// name -> value in a stable order; confusion cells named with class_names as
// "confusion:actual=1,predicted=0".
std::vector<std::pair<std::string, double>> classification_metrics(const ClassPredictions &p, int positive,
                                                                   const std::vector<std::string> &class_names);

// The threshold on a binary classifier's positive-class score that maximises
// rule ("balanced_accuracy" or "f1") on these rows: 0.5 unless the midpoint
// between two neighbouring scores does better (the one nearest 0.5 among
// equally good ones). NaN when the rows lack a class.
double best_threshold(const std::vector<double> &scores, const std::vector<bool> &positive, const std::string &rule);

// mae, rmse, r2 of predicted against actual.
std::vector<std::pair<std::string, double>> regression_metrics(const std::vector<double> &actual,
                                                               const std::vector<double> &predicted);

// Mean and sample standard deviation (n - 1; 0 for one value), NaNs skipped.
std::pair<double, double> mean_and_std(const std::vector<double> &values);

}  // namespace xb
