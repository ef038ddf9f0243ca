#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>

#include "core/common/blob.hpp"
#include "core/forecast/cold_start.hpp"
#include "core/forecast/forecast.hpp"
#include "core/forecast/forecaster.hpp"
#include "unit_runtime.hpp"

using namespace xb;
using xb::unit::cpu;

namespace {

Series series(const std::string &key, std::vector<double> y, std::vector<double> x) {
  Series s;
  s.key = key;
  s.y = std::move(y);
  s.x = std::move(x);
  return s;
}

// Three series of two points, three columns: a size constant within each
// series, a price that moves, a channel that is 1 everywhere.
Panel three_series() {
  Panel p;
  p.freq = Frequency::parse("weekly");
  p.feature_names = {"size", "price", "channel"};
  p.series.push_back(series("a", {10, 12}, {1, 5, 1, 1, 6, 1}));
  p.series.push_back(series("b", {20, 22}, {2, 5, 1, 2, 5, 1}));
  p.series.push_back(series("c", {100, 140}, {9, 5, 1, 9, 7, 1}));
  return p;
}

// Weekly series whose level is 100 x their size, a static covariate; a
// season of four weeks on top.
SeriesRows sized(int series, int weeks) {
  SeriesRows r;
  r.feature_names = {"size"};
  for (int k = 0; k < series; ++k)
    for (int t = 0; t < weeks; ++t) {
      const double size = 1 + k % 8;
      r.series_key.push_back("p" + std::to_string(k));
      r.time.push_back(static_cast<Micros>(t) * 7 * kMicrosPerDay);
      r.target.push_back(100 * size + 10 * size * std::sin(t * 1.5707963));
      r.features.push_back(size);
    }
  return r;
}

// Future rows of one new series: its size on every step of the horizon.
SeriesRows new_product(const std::string &key, double size, int from_week, int horizon) {
  SeriesRows r;
  r.feature_names = {"size"};
  for (int h = 0; h < horizon; ++h) {
    r.series_key.push_back(key);
    r.time.push_back(static_cast<Micros>(from_week + h) * 7 * kMicrosPerDay);
    r.target.push_back(NAN);
    r.features.push_back(size);
  }
  return r;
}

double mean_yhat(const std::vector<ForecastPoint> &points, const std::string &key) {
  double sum = 0;
  int n = 0;
  for (const auto &p : points)
    if (p.series == key) {
      sum += p.yhat;
      ++n;
    }
  return n ? sum / n : NAN;
}

// The model's forecast with `future` as its future_source, its NOTICEs in `notices`.
std::vector<ForecastPoint> forecast_new(const TrainedForecaster &m, const SeriesRows &future, std::string &notices) {
  FutureInputs given;
  given.rows = &future;
  TrainHooks hooks;
  hooks.notice = [&](const std::string &n) { notices += n + "\n"; };
  return forecast(m.blob, 0, cpu(), hooks, given);
}

}  // namespace

TEST(ColdStart, StaticColumnsAreConstantWithinEverySeriesAndDifferAcrossThem) {
  EXPECT_EQ(find_static_columns(three_series()), std::vector<int>({0}));
}

TEST(ColdStart, BorrowsFromTheNearestByStaticColumns) {
  const Panel p = three_series();
  const std::vector<Scaler> unit(3);
  const double like_b[] = {2.2, 7, 1};
  const Borrowing b = borrow_from(p, {0}, unit, 1, 10, like_b);
  ASSERT_EQ(b.series.size(), 3u);
  EXPECT_EQ(b.series[0], 1u);  // b (size 2), then a, then c
  EXPECT_EQ(b.series[1], 0u);
  EXPECT_GT(b.weights[0], b.weights[1]);
  EXPECT_GT(b.weights[1], b.weights[2]);
  EXPECT_NEAR(b.weights[0] + b.weights[1] + b.weights[2], 1, 1e-12);

  const Borrowing without_b = borrow_from(p, {0}, unit, 1, 10, like_b, 1);
  EXPECT_EQ(without_b.series, std::vector<std::size_t>({0, 2}));

  const Borrowing alike = borrow_from(p, {}, unit, 1, 10, like_b);  // no static columns: all alike
  EXPECT_EQ(alike.series.size(), 3u);
  for (double w : alike.weights) EXPECT_DOUBLE_EQ(w, 1.0 / 3);
  const Borrowing chosen_alike = borrow_from(p, {0}, unit, 1, 0, like_b);  // 0 neighbours: all alike too
  EXPECT_EQ(chosen_alike.weights, alike.weights);

  const Borrowing two = borrow_from(p, {0}, unit, 1, 2, like_b);
  EXPECT_EQ(two.series, std::vector<std::size_t>({1, 0}));
}

TEST(ColdStart, EachTextCovariateWeighsOneInTheDistanceHoweverRareItsCategory) {
  // Columns: a numeric size (scaler std 1), then one text covariate's three
  // one-hot columns whose scalers are small (rare categories), then another's two.
  Panel p;
  p.freq = Frequency::parse("weekly");
  p.feature_names = {"size", "colour=red", "colour=blue", "colour=green", "cut=long", "cut=short"};
  p.series.push_back(series("red_long_1", {1}, {1, 1, 0, 0, 1, 0}));
  p.series.push_back(series("green_short_3", {1}, {3, 0, 0, 1, 0, 1}));
  std::vector<Scaler> scalers(6, Scaler{0, 0.1});
  scalers[0].std = 1;
  // A blue, long dress of size 1: one covariate apart from the first (colour)
  // and three from the second (size by 2, colour, cut), whatever the scalers say.
  const double blue_long_1[] = {1, 0, 1, 0, 1, 0};
  const Borrowing b = borrow_from(p, {0, 1, 2, 3, 4, 5}, scalers, 1, 10, blue_long_1);
  EXPECT_EQ(b.series.front(), 0u);
  // distances 1 and sqrt(2 * 2 + 1 + 1) = sqrt(6); weights 1 / (d + median d)
  const double soften = std::sqrt(6.0);
  EXPECT_NEAR(b.weights[0] / b.weights[1], (std::sqrt(6.0) + soften) / (1 + soften), 1e-12);
}

TEST(ColdStart, AnExactTwinDoesNotTakeEveryWeight) {
  const Panel p = three_series();
  const double twin_of_a[] = {1, 0, 0};
  const Borrowing b = borrow_from(p, {0}, std::vector<Scaler>(3), 1, 10, twin_of_a);
  EXPECT_EQ(b.series[0], 0u);
  EXPECT_LT(b.weights[0], 1);
  EXPECT_GT(b.weights[2], 0);
}

TEST(ColdStart, BorrowedHistoryIsTheWeightedScaledHistoryInTheWeightedMedianScale) {
  Panel p = three_series();
  const std::vector<Scaler> scalers = {{10, 1}, {20, 2}, {100, 20}};
  WindowLayout layout;
  layout.lookback = 2;
  layout.horizon = 1;
  layout.freq = p.freq;
  Borrowing b;
  b.series = {0, 2};
  b.weights = {0.75, 0.25};
  const double x[] = {5, 5, 1};
  const Micros first = 10 * 7 * kMicrosPerDay;
  const BorrowedSeries bs = borrowed_series(p, scalers, layout, b, nullptr, "new", x, first, {42}, {5, 6, 1});
  EXPECT_DOUBLE_EQ(bs.scaler.mean, 10);  // a holds three quarters of the weight: c's large level does not count
  EXPECT_DOUBLE_EQ(bs.scaler.std, 1);
  ASSERT_EQ(bs.series.y.size(), 3u);
  // step 0: a is 0 sd from its mean, c 0 sd: 0 sd; step 1: a +2, c +2: +2 sd
  EXPECT_DOUBLE_EQ(bs.series.y[0], bs.scaler.mean);
  EXPECT_DOUBLE_EQ(bs.series.y[1], bs.scaler.mean + 2 * bs.scaler.std);
  EXPECT_DOUBLE_EQ(bs.series.y[2], 42);
  EXPECT_EQ(bs.series.x, std::vector<double>({5, 5, 1, 5, 5, 1, 5, 6, 1}));
  EXPECT_EQ(p.time_at(bs.series, 2), first);
}

TEST(ColdStart, ANewSeriesIsForecastLikeTheSeriesItsStaticCovariatesResemble) {
  const ForecastOptions o =
      parse_forecast_options("gru", 4, R"({"epochs": 15, "lookback": 8, "hidden": 16, "seed": 3})");
  const TrainedForecaster m = train_forecaster(sized(16, 40), o, cpu(), {});
  double cold = NAN, cold_all = NAN;
  for (const auto &row : m.metrics)
    if (row.split == "test" && row.metric == "wape") {
      if (row.estimator == "cold_start") cold = row.value;
      if (row.estimator == "cold_start_all") cold_all = row.value;
    }
  // Borrowing by size beats borrowing from every product alike.
  ASSERT_TRUE(std::isfinite(cold) && std::isfinite(cold_all));
  EXPECT_LT(cold, cold_all / 2);

  SeriesRows future = new_product("small", 2, 40, 4);
  const SeriesRows big = new_product("big", 7, 40, 4);
  future.series_key.insert(future.series_key.end(), big.series_key.begin(), big.series_key.end());
  future.time.insert(future.time.end(), big.time.begin(), big.time.end());
  future.target.insert(future.target.end(), big.target.begin(), big.target.end());
  future.features.insert(future.features.end(), big.features.begin(), big.features.end());
  std::string notices;
  const auto points = forecast_new(m, future, notices);
  ASSERT_EQ(points.size(), 18u * 4u);  // the 16 products and the 2 new ones
  const double small = mean_yhat(points, "small"), large = mean_yhat(points, "big");
  EXPECT_NEAR(small, 200, 60);
  EXPECT_NEAR(large, 700, 150);
  for (const auto &p : points) {
    EXPECT_TRUE(std::isfinite(p.yhat));
    EXPECT_LT(p.lo, p.hi);
  }
  EXPECT_EQ(points.back().ts, 43 * 7 * kMicrosPerDay);
  EXPECT_NE(notices.find("2 series of future_source are new to the model"), std::string::npos) << notices;
  EXPECT_NE(notices.find("most like it by size"), std::string::npos) << notices;
}

TEST(ColdStart, WithoutStaticCovariatesANewSeriesBorrowsFromEverySeriesAlike) {
  SeriesRows rows = sized(8, 40);
  for (std::size_t r = 0; r < rows.rows(); ++r) rows.features[r] = static_cast<double>(r % 3);  // varies in time
  const ForecastOptions o = parse_forecast_options("gru", 4, R"({"epochs": 2, "lookback": 8, "hidden": 8, "seed": 3})");
  const TrainedForecaster m = train_forecaster(rows, o, cpu(), {});
  const SeriesRows future = new_product("new", 1, 40, 4);
  std::string notices;
  const auto points = forecast_new(m, future, notices);
  EXPECT_EQ(points.size(), 9u * 4u);
  EXPECT_NE(notices.find("history of all 8 training series alike"), std::string::npos) << notices;
}

TEST(ColdStart, WeightedMedianIsWhereHalfTheWeightLies) {
  EXPECT_DOUBLE_EQ(weighted_median({5, 1, 100}, {0.3, 0.3, 0.4}), 5);
  EXPECT_DOUBLE_EQ(weighted_median({5, 1, 100}, {0.1, 0.1, 0.8}), 100);
  EXPECT_DOUBLE_EQ(weighted_median({7}, {1}), 7);
  // Equal weights (borrowing from every series alike) take the path without
  // sorting: the value is the one the running sum over the sorted values
  // stops at, for odd and even counts and with repeated values.
  EXPECT_DOUBLE_EQ(weighted_median({5, 1, 100}, {1, 1, 1}), 5);
  EXPECT_DOUBLE_EQ(weighted_median({5, 1, 100, 3}, {0.25, 0.25, 0.25, 0.25}), 3);
  for (std::size_t n : {1u, 2u, 7u, 10u, 1000u, 1001u}) {
    std::vector<double> values;
    for (std::size_t i = 0; i < n; ++i) values.push_back(static_cast<double>((i * 7919) % 97) / 3.0);
    const std::vector<double> weights(n, 1.0 / static_cast<double>(n));
    std::vector<double> sorted = values;
    std::sort(sorted.begin(), sorted.end());
    double below = 0, expected = sorted.back();
    for (double v : sorted)
      if ((below += weights.front()) >= 0.5 * std::accumulate(weights.begin(), weights.end(), 0.0)) {
        expected = v;
        break;
      }
    EXPECT_DOUBLE_EQ(weighted_median(values, weights), expected) << n << " values";
  }
}

TEST(ColdStart, StaticCovariatesThatTellNothingLeaveANewSeriesWithEverySeriesAlike) {
  // The level is set by the product's size; its colour, static too, is noise.
  SeriesRows rows = sized(16, 40);
  rows.feature_names = {"colour"};
  for (std::size_t r = 0; r < rows.rows(); ++r) {
    const std::size_t k = r / 40;
    rows.features[r] = static_cast<double>((k * 7) % 5);  // constant within a series, unrelated to its level
    rows.target[r] = 500 + 10 * std::sin(static_cast<double>(r % 40) * 1.5707963);  // every product alike
  }
  const ForecastOptions o = parse_forecast_options("gru", 4, R"({"epochs": 3, "lookback": 8, "hidden": 8, "seed": 3})");
  const TrainedForecaster m = train_forecaster(rows, o, cpu(), {});
  const std::string state = decode_blob(m.blob).state_json;
  EXPECT_NE(state.find("\"neighbours\":0"), std::string::npos) << state.substr(0, 400);
}
