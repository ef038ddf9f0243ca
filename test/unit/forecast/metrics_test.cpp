#include <gtest/gtest.h>

#include <cmath>

#include "core/forecast/metrics.hpp"

using namespace xb;

namespace {
// actual 10, 20, 30, 40; predicted 12, 18, 33, 40; errors +2, -2, +3, 0
ForecastPoints sample() {
  ForecastPoints p;
  p.add(10, 12, 2);
  p.add(20, 18, 2);
  p.add(30, 33, 4);
  p.add(40, 40, 4);
  return p;
}
}  // namespace

TEST(Metrics, HandComputed) {
  ForecastPoints p = sample();
  EXPECT_DOUBLE_EQ(mean_absolute_error(p), 7.0 / 4);
  EXPECT_DOUBLE_EQ(mean_squared_error(p), 17.0 / 4);
  EXPECT_DOUBLE_EQ(root_mean_squared_error(p), std::sqrt(17.0 / 4));
  EXPECT_DOUBLE_EQ(mean_absolute_percentage_error(p), (0.2 + 0.1 + 0.1 + 0.0) / 4);
  EXPECT_NEAR(symmetric_mape(p), (4.0 / 22 + 4.0 / 38 + 6.0 / 63 + 0.0) / 4, 1e-12);
  EXPECT_DOUBLE_EQ(weighted_ape(p), 7.0 / 100);
  // mean 25, SST = 225+25+25+225 = 500, SSE = 17
  EXPECT_DOUBLE_EQ(r_squared(p), 1 - 17.0 / 500);
  EXPECT_DOUBLE_EQ(mean_absolute_scaled_error(p), (1.0 + 1.0 + 0.75 + 0.0) / 4);
}

TEST(Metrics, MapeSkipsZeroActualsAndSmapeCountsZeroOverZero) {
  ForecastPoints p;
  p.add(0, 0, 1);
  p.add(10, 5, 1);
  EXPECT_DOUBLE_EQ(mean_absolute_percentage_error(p), 0.5);
  EXPECT_DOUBLE_EQ(symmetric_mape(p), (0.0 + 10.0 / 15) / 2);
}

TEST(Metrics, CoverageCountsInclusiveBounds) {
  ForecastPoints p = sample();
  p.lo = {9, 20, 31, 41};
  p.hi = {11, 25, 35, 45};
  EXPECT_DOUBLE_EQ(interval_coverage(p), 0.5);
  auto all = forecast_metrics(p);
  EXPECT_EQ(all.back().first, "coverage");
}

TEST(Metrics, UndefinedIsNaN) {
  ForecastPoints empty;
  EXPECT_TRUE(std::isnan(mean_absolute_error(empty)));
  EXPECT_TRUE(std::isnan(r_squared(empty)));
  ForecastPoints flat;
  flat.add(5, 4, 1);
  flat.add(5, 6, 1);
  EXPECT_TRUE(std::isnan(r_squared(flat)));
}

TEST(Metrics, SeasonalNaiveScale) {
  std::vector<double> y{1, 2, 3, 1, 2, 5, 9};
  // season 3 over the first 6 points: |1-1|, |2-2|, |5-3| -> 2/3
  EXPECT_DOUBLE_EQ(seasonal_naive_scale(y, 6, 3), 2.0 / 3);
  // too short for the season: falls back to lag 1
  EXPECT_DOUBLE_EQ(seasonal_naive_scale(y, 3, 3), 1.0);
}
