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
