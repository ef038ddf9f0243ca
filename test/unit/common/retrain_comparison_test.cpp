#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "core/common/retrain_comparison.hpp"

using namespace xb;

TEST(RetrainComparison, ANaNScoreIsTheWorst) {
  VersionComparison c;
  c.deployed = 1;
  c.retrained = std::nan("");
  EXPECT_FALSE(c.retrained_not_worse());
  c.deployed = std::nan("");
  EXPECT_TRUE(c.retrained_not_worse());
  c.retrained = 2;
  EXPECT_TRUE(c.retrained_not_worse());
  c.deployed = 1;
  EXPECT_FALSE(c.retrained_not_worse());
  c.retrained = 1;
  EXPECT_TRUE(c.retrained_not_worse());
}

// Two rows after the new version's own trials: the deployed version's and
// the new one's, each with its key metric, chosen as keep decides.
TEST(RetrainComparison, TwoTrialRowsSayWhatWasComparedAndWhichIsKept) {
  VersionComparison c;
  c.points = 12;
  c.series = 3;
  c.horizon = 4;
  c.from = "2012-10-05 00:00:00";
  c.to = "2012-10-26 00:00:00";
  c.metric = "mase";
  c.deployed = 0.5;
  c.retrained = 0.7;
  c.deployed_metrics = {{"mase", 0.5}, {"wape", 0.05}};
  c.retrained_metrics = {{"mase", 0.7}, {"wape", 0.07}};
  const auto better = comparison_trials(c, "gru", 3, "gru", 6, false);
  ASSERT_EQ(better.size(), 2u);
  EXPECT_EQ(better[0].trial, 6);
  EXPECT_EQ(better[1].trial, 7);
  const auto deployed = nlohmann::json::parse(better[0].options_json);
  EXPECT_EQ(deployed.at("retrain"), "deployed");
  EXPECT_EQ(deployed.at("version"), 3);
  EXPECT_EQ(deployed.at("points"), 12);
  EXPECT_EQ(deployed.at("from"), "2012-10-05 00:00:00");
  EXPECT_EQ(nlohmann::json::parse(better[1].options_json).at("retrain"), "new");
  EXPECT_FALSE(nlohmann::json::parse(better[1].options_json).contains("version"));
  EXPECT_EQ(better[0].metric, "mase");
  EXPECT_EQ(better[0].score, 0.5);
  EXPECT_EQ(better[1].score, 0.7);
  EXPECT_EQ(better[1].val_wape, 0.07);
  EXPECT_TRUE(better[0].chosen);
  EXPECT_FALSE(better[1].chosen);
  const auto always = comparison_trials(c, "gru", 3, "gru", 6, true);
  EXPECT_FALSE(always[0].chosen);
  EXPECT_TRUE(always[1].chosen);

  // A classifier's: rows, no horizon or times.
  VersionComparison rows;
  rows.points = 40;
  rows.metric = "log_loss";
  const auto tabular = nlohmann::json::parse(comparison_trials(rows, "mlp", 1, "mlp", 1, false)[0].options_json);
  EXPECT_EQ(tabular.at("points"), 40);
  EXPECT_FALSE(tabular.contains("horizon"));
  EXPECT_FALSE(tabular.contains("from"));
}
