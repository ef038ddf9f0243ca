#include <gtest/gtest.h>

#include <cmath>

#include "core/tabular/metrics.hpp"

using namespace xb;

namespace {

ClassPredictions binary(const std::vector<double> &p1, const std::vector<int> &actual) {
  ClassPredictions p;
  for (double q : p1) {
    p.probs.push_back(1 - q);
    p.probs.push_back(q);
  }
  p.actual = actual;
  return p;
}

}  // namespace

TEST(ClassificationMetrics, BinaryCounts) {
  // predicted: 1 1 0 0 1; actual: 1 0 0 1 1 -> tp 2, fp 1, fn 1, tn 1
  auto p = binary({0.9, 0.8, 0.3, 0.4, 0.7}, {1, 0, 0, 1, 1});
  EXPECT_DOUBLE_EQ(accuracy(p), 0.6);
  EXPECT_DOUBLE_EQ(precision(p, 1), 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(recall(p, 1), 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(f1_score(p, 1), 2.0 / 3.0);
  EXPECT_EQ(confusion_matrix(p), (std::vector<long>{1, 1, 1, 2}));
  // AUC: positives 0.9 0.4 0.7 vs negatives 0.8 0.3: pairs won 2 + 1 + 1... = 4 of 6
  EXPECT_DOUBLE_EQ(roc_auc(p, 1), 4.0 / 6.0);
  double ll = -(std::log(0.9) + std::log(0.2) + std::log(0.7) + std::log(0.4) + std::log(0.7)) / 5;
  EXPECT_NEAR(log_loss(p), ll, 1e-12);
}

TEST(ClassificationMetrics, TiesCountHalfAndConstantScoresGiveHalf) {
  EXPECT_DOUBLE_EQ(roc_auc(binary({0.5, 0.5, 0.5, 0.5}, {1, 0, 1, 0}), 1), 0.5);
  EXPECT_TRUE(std::isnan(roc_auc(binary({0.2, 0.3}, {1, 1}), 1)));
  // A NaN score (overflowing features) gives a NaN AUC; it used to spin forever.
  EXPECT_TRUE(std::isnan(roc_auc(binary({NAN, 0.3, NAN, 0.1}, {1, 0, 0, 1}), 1)));
}

TEST(ClassificationMetrics, MultiClassMacro) {
  ClassPredictions p;
  p.classes = 3;
  p.probs = {0.8, 0.1, 0.1, 0.1, 0.8, 0.1, 0.1, 0.1, 0.8, 0.6, 0.3, 0.1};
  p.actual = {0, 1, 2, 1};
  EXPECT_DOUBLE_EQ(accuracy(p), 0.75);
  // class 0: tp1 fp1 -> p .5 r 1; class 1: tp1 fn1 -> p 1 r .5; class 2: p 1 r 1
  EXPECT_DOUBLE_EQ(precision(p, 0), (0.5 + 1 + 1) / 3);
  EXPECT_DOUBLE_EQ(recall(p, 0), (1 + 0.5 + 1) / 3);
  auto named = classification_metrics(p, 0, {"a", "b", "c"});
  bool found = false;
  for (const auto &[name, value] : named)
    if (name == "confusion:actual=b,predicted=a") {
      found = true;
      EXPECT_EQ(value, 1);
    }
  EXPECT_TRUE(found);
}

TEST(ClassificationMetrics, RegressionAndMeanStd) {
  auto m = regression_metrics({1, 2, 3}, {1, 2, 5});
  EXPECT_EQ(m[0].first, "mae");
  EXPECT_DOUBLE_EQ(m[0].second, 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(m[1].second, std::sqrt(4.0 / 3.0));
  EXPECT_DOUBLE_EQ(m[2].second, 1 - 4.0 / 2.0);
  auto [mean, sd] = mean_and_std({1, 2, 3, NAN});
  EXPECT_DOUBLE_EQ(mean, 2);
  EXPECT_DOUBLE_EQ(sd, 1);
}

TEST(ClassificationMetrics, ThresholdDecidesTwoClasses) {
  // Scores 0.9 0.45 0.3 0.4 0.7 for actual 1 0 0 1 1: at 0.5 one positive is
  // missed; at 0.35 every positive is found and one negative is called positive.
  auto p = binary({0.9, 0.45, 0.3, 0.4, 0.7}, {1, 0, 0, 1, 1});
  EXPECT_DOUBLE_EQ(accuracy(p), 0.8);
  p.positive = 1;
  p.threshold = 0.35;
  EXPECT_DOUBLE_EQ(accuracy(p), 0.8);
  EXPECT_DOUBLE_EQ(recall(p, 1), 1.0);
  EXPECT_DOUBLE_EQ(balanced_accuracy(p), (1.0 + 0.5) / 2);
  // The positive class may be class 0: its probability is compared.
  p.positive = 0;
  p.threshold = 0.6;  // class 0's probabilities: 0.1 0.55 0.7 0.6 0.3
  EXPECT_EQ(p.predicted(0), 1);
  EXPECT_EQ(p.predicted(2), 0);
  EXPECT_EQ(p.predicted(3), 0);
}

TEST(ClassificationMetrics, BalancedAccuracyOfOneClassIsOneOverK) {
  auto p = binary({0.1, 0.2, 0.3, 0.4, 0.45}, {0, 0, 0, 1, 1});  // every row predicted 0
  EXPECT_DOUBLE_EQ(accuracy(p), 0.6);
  EXPECT_DOUBLE_EQ(balanced_accuracy(p), 0.5);
  EXPECT_TRUE(std::isnan(balanced_accuracy(ClassPredictions{})));
}

TEST(ClassificationMetrics, BestThresholdSeparatesTheClasses) {
  // Every score below 0.5, but the positives score higher: the best threshold
  // lies between the highest negative (0.3) and the lowest positive (0.4).
  const std::vector<double> s = {0.1, 0.2, 0.3, 0.4, 0.45};
  const std::vector<bool> pos = {false, false, false, true, true};
  EXPECT_DOUBLE_EQ(best_threshold(s, pos, "balanced_accuracy"), 0.35);
  EXPECT_DOUBLE_EQ(best_threshold(s, pos, "f1"), 0.35);
  // One class only: no threshold to learn.
  EXPECT_TRUE(std::isnan(best_threshold({0.2, 0.3}, {true, true}, "f1")));
  // Equally good thresholds: the one nearest 0.5.
  EXPECT_DOUBLE_EQ(best_threshold({0.1, 0.9}, {false, true}, "balanced_accuracy"), 0.5);
  // A positive scored below two negatives is given up; 0.5 does as well as
  // the midpoint 0.475 and stays.
  const std::vector<double> s2 = {0.1, 0.2, 0.3, 0.35, 0.6, 0.7};
  const std::vector<bool> pos2 = {false, true, false, false, true, true};
  EXPECT_DOUBLE_EQ(best_threshold(s2, pos2, "balanced_accuracy"), 0.5);
  EXPECT_DOUBLE_EQ(
      best_threshold({0.1, 0.2, 0.3, 0.45, 0.48, 0.7}, {false, false, false, true, true, true}, "balanced_accuracy"),
      0.375);
  // Scores that carry no information keep 0.5 (the more probable class).
  EXPECT_DOUBLE_EQ(best_threshold({0.2, 0.2, 0.2, 0.2}, {true, false, false, false}, "balanced_accuracy"), 0.5);
  EXPECT_DOUBLE_EQ(best_threshold({0.2, 0.2, 0.2, 0.2}, {true, false, false, false}, "f1"), 0.2);
  // NaN scores are left out.
  EXPECT_DOUBLE_EQ(best_threshold({NAN, 0.1, 0.9}, {true, false, true}, "balanced_accuracy"), 0.5);
}
