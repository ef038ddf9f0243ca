// How well class probabilities match true classes, and regression errors,
// for the catalog's metric rows. Torch-free.
#pragma once
#include <string>
#include <utility>
#include <vector>

namespace xb {

// N rows of K class probabilities (row-major) and the true class of each row.
struct ClassPredictions {
  int classes = 2;
  std::vector<double> probs;
  std::vector<int> actual;

  long rows() const { return static_cast<long>(actual.size()); }
  int predicted(long row) const;  // the most probable class (lowest index on ties)
};

double accuracy(const ClassPredictions &p);
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

// mae, rmse, r2 of predicted against actual.
std::vector<std::pair<std::string, double>> regression_metrics(const std::vector<double> &actual,
                                                               const std::vector<double> &predicted);

// Mean and sample standard deviation (n - 1; 0 for one value), NaNs skipped.
std::pair<double, double> mean_and_std(const std::vector<double> &values);

}  // namespace xb
