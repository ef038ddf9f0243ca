#include <gtest/gtest.h>

#include "core/forecast/windows.hpp"

using namespace xb;

namespace {

ForecastOptions opts(int horizon, int lookback, int val, int test) {
  ForecastOptions o;
  o.horizon = horizon;
  o.lookback = lookback;
  o.val_periods = val;
  o.test_periods = test;
  return o;
}

Panel ramp_panel(long length, int features) {
  Panel p;
  p.freq = Frequency::parse("daily");
  for (int f = 0; f < features; ++f) p.feature_names.push_back("f" + std::to_string(f));
  for (int k = 0; k < 2; ++k) {
    Series s;
    s.key = "s" + std::to_string(k);
    s.start = 0;
    for (long t = 0; t < length; ++t) {
      s.y.push_back(static_cast<double>(t));  // value == index: leakage is visible
      for (int f = 0; f < features; ++f) s.x.push_back(static_cast<double>(t * 10 + f));
    }
    p.series.push_back(s);
  }
  return p;
}

}  // namespace

TEST(SplitTemporal, PartsAreOrderedAndAtLeastOneHorizon) {
  auto sp = split_temporal(100, opts(5, 10, 3, 0));
  EXPECT_EQ(sp.length, 100);
  EXPECT_EQ(sp.val_end, 100 - 5);   // no test size given: one horizon
  EXPECT_EQ(sp.train_end, 95 - 5);  // val 3 < horizon 5: raised to one horizon
  EXPECT_LT(sp.train_end, sp.val_end);
}

TEST(SplitTemporal, FractionsRound) {
  ForecastOptions o = opts(2, 4, 0, 0);
  o.val_fraction = 0.2;
  o.test_fraction = 0.1;
  auto sp = split_temporal(50, o);
  EXPECT_EQ(sp.val_end, 45);
  EXPECT_EQ(sp.train_end, 35);
}

TEST(Windows, NoTestOrValidationTimestampInTrainingWindows) {
  Panel p = ramp_panel(60, 1);
  ForecastOptions o = opts(4, 6, 8, 8);
  WindowLayout layout;
  layout.lookback = 6;
  layout.horizon = 4;
  layout.freq = p.freq;
  layout.feature_scalers = {Scaler{}};
  std::vector<SeriesSplit> splits(2, split_temporal(60, o));
  auto train = windows_between(p, splits, layout, nullptr, &SeriesSplit::train_end);
  ASSERT_FALSE(train.empty());
  for (const auto &w : train) {
    EXPECT_GE(w.origin - layout.lookback + 1, 0);
    EXPECT_LT(w.origin + layout.horizon, splits[0].train_end);
  }
  // The batch itself: every value (== its time index) is before the split.
  std::vector<Scaler> id(2);
  auto b = make_windows(p, id, layout, train);
  EXPECT_LT(b.past.select(2, 0).max().item<float>(), splits[0].train_end);
  EXPECT_LT(b.target.max().item<float>(), splits[0].train_end);

  auto test = windows_between(p, splits, layout, &SeriesSplit::val_end, &SeriesSplit::length);
  ASSERT_FALSE(test.empty());
  for (const auto &w : test) {
    EXPECT_GE(w.origin + 1, splits[0].val_end);
    EXPECT_LE(w.origin + layout.horizon, 59);
  }
  // 8 test points, horizon 4: origins 51..55 per series.
  EXPECT_EQ(test.size(), 2u * 5u);
}

TEST(Windows, SeasonalLagNeverLooksPastTheOrigin) {
  Panel p = ramp_panel(40, 0);
  WindowLayout layout;
  layout.lookback = 3;
  layout.horizon = 5;
  layout.season = 4;
  layout.freq = p.freq;
  std::vector<Scaler> id(2);
  auto b = make_windows(p, id, layout, {{0, 20}});
  // Steps 1..5 from origin 20: lags 17, 18, 19, 20, 17 (two seasons back for step 5).
  auto lag = b.future.select(2, layout.future_seasonal_channel());
  std::vector<float> expect{17, 18, 19, 20, 17};
  for (int h = 0; h < 5; ++h) EXPECT_FLOAT_EQ(lag[0][h].item<float>(), expect[h]);
  // Lookback steps 18, 19, 20 carry their values of one season earlier.
  auto past_lag = b.past.select(2, layout.past_dim() - 1);
  for (int l = 0; l < 3; ++l) EXPECT_FLOAT_EQ(past_lag[0][l].item<float>(), 14.0f + l);
  EXPECT_EQ(layout.first_origin(), 3 + 4 - 1);
}

TEST(Scaler, FitUsesOnlyTheValuesGiven) {
  std::vector<double> v{1, 2, 3, 4, 1000, 1000};
  Scaler s = fit_scaler(v.data(), 4);
  EXPECT_DOUBLE_EQ(s.mean, 2.5);
  EXPECT_NEAR(s.std, std::sqrt(1.25), 1e-12);
  EXPECT_NEAR(s.invert(s.apply(7.0)), 7.0, 1e-12);
}

TEST(Scaler, StridedColumnAndConstantColumn) {
  std::vector<double> rows{1, 5, 2, 5, 3, 5};  // two columns
  Scaler first = fit_scaler(rows.data(), 3, 2);
  Scaler constant = fit_scaler(rows.data() + 1, 3, 2);
  EXPECT_DOUBLE_EQ(first.mean, 2.0);
  EXPECT_DOUBLE_EQ(constant.mean, 5.0);
  EXPECT_DOUBLE_EQ(constant.std, 1.0);
}
