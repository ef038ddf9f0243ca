#include <gtest/gtest.h>

#include <cmath>

#include "core/calendar.hpp"
#include "core/error.hpp"
#include "core/forecaster.hpp"

using namespace xb;

namespace {

// Three weekly series with a season of 4 weeks, a trend and a price effect.
SeriesRows synthetic(int weeks = 60) {
  SeriesRows r;
  r.feature_names = {"price"};
  for (int k = 0; k < 3; ++k)
    for (int t = 0; t < weeks; ++t) {
      double price = 1.0 + 0.1 * ((t * 7 + k) % 5);
      r.series_key.push_back("store" + std::to_string(k));
      r.time.push_back(static_cast<Micros>(t) * 7 * kMicrosPerDay);
      r.target.push_back(100 * (k + 1) + t + 20 * std::sin(t * 1.5707963) - 30 * price);
      r.features.push_back(price);
    }
  return r;
}

ForecastOptions small(const std::string &arch) {
  return parse_forecast_options(arch, 4, R"({"epochs": 3, "lookback": 8, "hidden": 16, "seed": 3})");
}

RuntimeSettings cpu() { return RuntimeSettings{"cpu", 1}; }

}  // namespace

TEST(Forecaster, EachArchitectureTrainsAndForecasts) {
  for (const auto &arch : forecast_architectures()) {
    TrainedForecaster m = train_forecaster(synthetic(), small(arch), cpu(), {});
    EXPECT_EQ(m.series_used, 3) << arch;
    EXPECT_FALSE(m.epochs.empty()) << arch;
    auto points = forecast(m.blob, 0, cpu(), {});
    ASSERT_EQ(points.size(), 3u * 4u) << arch;
    for (const auto &p : points) {
      EXPECT_TRUE(std::isfinite(p.yhat)) << arch;
      EXPECT_LE(p.lo, p.yhat);
      EXPECT_GE(p.hi, p.yhat);
    }
    // Continues each series from its last week (week 59) at the weekly step.
    EXPECT_EQ(points[0].ts, 60 * 7 * kMicrosPerDay);
    EXPECT_EQ(points[3].ts, 63 * 7 * kMicrosPerDay);
  }
}

TEST(Forecaster, SameSeedSameForecast) {
  auto a = forecast(train_forecaster(synthetic(), small("gru"), cpu(), {}).blob, 0, cpu(), {});
  auto b = forecast(train_forecaster(synthetic(), small("gru"), cpu(), {}).blob, 0, cpu(), {});
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].yhat, b[i].yhat);
}

TEST(Forecaster, MetricsCoverEverySplitAndTheBaseline) {
  TrainedForecaster m = train_forecaster(synthetic(), small("gru"), cpu(), {});
  int test_model = 0, test_naive = 0;
  for (const auto &row : m.metrics) {
    if (row.split == "test" && row.estimator == "model") ++test_model;
    if (row.split == "test" && row.estimator == "seasonal_naive") ++test_naive;
  }
  EXPECT_EQ(test_model, 9);  // eight measures plus interval coverage
  EXPECT_EQ(test_naive, 8);
  EXPECT_EQ(m.frequency, "weekly");
}

TEST(Forecaster, HooksSeeEveryEpochAndCanInterrupt) {
  int seen = 0;
  TrainHooks hooks;
  hooks.on_epoch = [&](const EpochRecord &) { ++seen; };
  train_forecaster(synthetic(), small("gru"), cpu(), hooks);
  EXPECT_EQ(seen, 3);

  TrainHooks stop;
  stop.interrupted = [] { return true; };
  try {
    train_forecaster(synthetic(), small("gru"), cpu(), stop);
    FAIL() << "not interrupted";
  } catch (const Error &e) {
    EXPECT_EQ(e.kind(), ErrorKind::Interrupted);
  }
}

TEST(Forecaster, BadDataIsRefusedWithTheRightKind) {
  SeriesRows dup = synthetic();
  dup.time[5] = dup.time[4];
  try {
    train_forecaster(dup, small("gru"), cpu(), {});
    FAIL();
  } catch (const Error &e) {
    EXPECT_EQ(e.kind(), ErrorKind::DataException);
    EXPECT_NE(std::string(e.what()).find("store0"), std::string::npos) << e.what();
  }
  SeriesRows nan = synthetic();
  nan.target[7] = std::nan("");
  EXPECT_THROW(train_forecaster(nan, small("gru"), cpu(), {}), Error);
  try {
    train_forecaster(synthetic(12), small("gru"), cpu(), {});
    FAIL();
  } catch (const Error &e) {
    EXPECT_EQ(e.kind(), ErrorKind::InsufficientData);
  }
}

TEST(Forecaster, ShortSeriesAreSkippedWithANotice) {
  SeriesRows r = synthetic();
  r.series_key.push_back("tiny");
  r.time.push_back(0);
  r.target.push_back(1);
  r.features.push_back(1);
  std::vector<std::string> notices;
  TrainHooks hooks;
  hooks.notice = [&](const std::string &m) { notices.push_back(m); };
  TrainedForecaster m = train_forecaster(r, small("gru"), cpu(), hooks);
  EXPECT_EQ(m.series_skipped, 1);
  ASSERT_FALSE(notices.empty());
  EXPECT_NE(notices.back().find("skipped 1 series"), std::string::npos);
}

TEST(Forecaster, HorizonBeyondTrainedAndCorruptBlobAreRefused) {
  TrainedForecaster m = train_forecaster(synthetic(), small("gru"), cpu(), {});
  EXPECT_EQ(forecast(m.blob, 2, cpu(), {}).size(), 3u * 2u);
  EXPECT_THROW(forecast(m.blob, 5, cpu(), {}), Error);
  EXPECT_THROW(forecast(m.blob, -1, cpu(), {}), Error);
  std::string bad = m.blob;
  bad[bad.size() / 2] ^= 1;
  try {
    forecast(bad, 0, cpu(), {});
    FAIL();
  } catch (const Error &e) {
    EXPECT_EQ(e.kind(), ErrorKind::CorruptModel);
  }
}
