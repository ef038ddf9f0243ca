#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "core/common/error.hpp"
#include "core/forecast/calendar.hpp"
#include "core/forecast/evaluation.hpp"
#include "core/forecast/forecaster.hpp"
#include "unit_runtime.hpp"

using namespace xb;
using xb::unit::cpu;

namespace {

double level(int k, int t) { return 100 * (k + 1) + 0.5 * t + 20 * std::sin(t * 6.2831853 / 52) + (t * (k + 3)) % 7; }

// Weekly series "s0".."s2" for weeks [0, weeks), with a price covariate
// that moves the target; price_from_60 replaces the price from week 60 on.
SeriesRows weekly(int weeks, double price_from_60 = NAN) {
  SeriesRows r;
  r.feature_names = {"price"};
  for (int k = 0; k < 3; ++k)
    for (int t = 0; t < weeks; ++t) {
      double price = 1.0 + 0.1 * ((t * 7 + k) % 5);
      const double y = level(k, t) - 30 * price;
      if (t >= 60 && std::isfinite(price_from_60)) price = price_from_60;
      r.series_key.push_back("s" + std::to_string(k));
      r.time.push_back(static_cast<Micros>(t) * 7 * kMicrosPerDay);
      r.target.push_back(y);
      r.features.push_back(price);
    }
  return r;
}

// The rows of one series, or of all together when series is "" (the model
// of one unnamed series has both).
std::map<std::string, double> metrics_of(const ForecastEvaluation &e, const std::string &series,
                                         const std::string &estimator, bool overall = true) {
  std::map<std::string, double> out;
  for (const auto &r : e.rows)
    if (r.series == series && r.estimator == estimator && r.overall == (overall && series.empty()))
      out[r.metric] = r.value;
  return out;
}

// The rows from week from_week on, of series `key` or, when key is empty, of
// every series. A single series "s0" comes back unnamed, as a model of one
// series without series columns holds it.
SeriesRows only(const SeriesRows &rows, const std::string &key, int from_week) {
  SeriesRows out;
  out.feature_names = rows.feature_names;
  for (std::size_t r = 0; r < rows.rows(); ++r)
    if ((key.empty() || rows.series_key[r] == key) &&
        rows.time[r] >= static_cast<Micros>(from_week) * 7 * kMicrosPerDay) {
      out.series_key.push_back(key == "s0" ? "" : rows.series_key[r]);
      out.time.push_back(rows.time[r]);
      out.target.push_back(rows.target[r]);
      out.features.push_back(rows.features[r]);
    }
  return out;
}

}  // namespace

// A seasonal-naive model forecasts what its baseline does: the same errors,
// on every point of the source inside the forecast, with MASE's scale from
// the source's rows before the forecast.
TEST(Evaluation, SeasonalNaiveScoresLikeItsBaselineOnEveryPointInTheForecast) {
  const SeriesRows train = weekly(110);
  const TrainedForecaster m = train_forecaster(
      train, parse_forecast_options("snaive", 4, R"({"test_periods": 4, "val_periods": 4})"), cpu(), {});
  SeriesRows source = weekly(120);
  source.series_key.push_back("s9");  // a series the model does not have
  source.time.push_back(0);
  source.target.push_back(1);
  source.features.push_back(1);

  const ForecastEvaluation e = evaluate_forecaster(m.blob, source, cpu(), {});
  EXPECT_EQ(e.points, 12);  // weeks 110 to 113 of three series
  EXPECT_EQ(e.series_scored, 3);
  EXPECT_EQ(e.series_unknown, 1);

  double abs_error = 0, mase = 0;
  for (int k = 0; k < 3; ++k) {
    auto y = [&](int t) { return source.target[static_cast<std::size_t>(k * 120 + t)]; };
    double scale = 0;
    for (int t = 52; t < 110; ++t) scale += std::fabs(y(t) - y(t - 52));
    scale /= 58;
    for (int t = 110; t < 114; ++t) {
      abs_error += std::fabs(y(t) - y(t - 52));
      mase += std::fabs(y(t) - y(t - 52)) / scale;
    }
  }
  const auto model = metrics_of(e, "", "model"), naive = metrics_of(e, "", "seasonal_naive");
  EXPECT_EQ(model.at("points"), 12);
  EXPECT_NEAR(model.at("mae"), abs_error / 12, 1e-9);
  EXPECT_NEAR(model.at("mase"), mase / 12, 1e-9);
  EXPECT_NEAR(naive.at("mae"), model.at("mae"), 1e-9);
  EXPECT_TRUE(model.count("coverage"));
  EXPECT_FALSE(naive.count("coverage"));
  for (const std::string s : {"s0", "s1", "s2"}) EXPECT_EQ(metrics_of(e, s, "model").at("points"), 4) << s;
  EXPECT_TRUE(metrics_of(e, "s9", "model").empty());
}

// A network takes the covariates of the forecast steps from the source, so
// a different price there moves its errors and not the baseline's.
TEST(Evaluation, ANetworkReadsItsFutureCovariatesFromTheSource) {
  const TrainedForecaster m = train_forecaster(
      weekly(60), parse_forecast_options("gru", 4, R"({"epochs": 3, "lookback": 8, "hidden": 8, "seed": 3})"), cpu(),
      {});
  const ForecastEvaluation as_was = evaluate_forecaster(m.blob, weekly(64), cpu(), {});
  const ForecastEvaluation dearer = evaluate_forecaster(m.blob, weekly(64, 3.0), cpu(), {});
  EXPECT_EQ(as_was.points, 12);
  EXPECT_NE(metrics_of(as_was, "", "model").at("mae"), metrics_of(dearer, "", "model").at("mae"));
  EXPECT_EQ(metrics_of(as_was, "", "seasonal_naive").at("mae"), metrics_of(dearer, "", "seasonal_naive").at("mae"));
}

TEST(Evaluation, ASourceWithoutActualsInTheForecastOrABadBlobIsRefused) {
  const TrainedForecaster m = train_forecaster(weekly(110), parse_forecast_options("snaive", 4, "{}"), cpu(), {});
  try {
    evaluate_forecaster(m.blob, weekly(110), cpu(), {});
    FAIL() << "no actual after week 109";
  } catch (const Error &e) {
    EXPECT_EQ(e.kind(), ErrorKind::InvalidParameter);
    EXPECT_NE(e.hint().find("2002-02-09"), std::string::npos) << e.hint();  // week 110
  }
  EXPECT_THROW(evaluate_forecaster("not a model", weekly(120), cpu(), {}), Error);
}

// A model of one unnamed series: its own rows beside the rows of all
// series together (the same figures), never mistaken for them.
TEST(Evaluation, AModelOfOneSeriesHasItsRowsAndTheOverallOnes) {
  const SeriesRows train = only(weekly(110), "s0", 0);
  const TrainedForecaster m = train_forecaster(train, parse_forecast_options("snaive", 4, "{}"), cpu(), {});
  const ForecastEvaluation e = evaluate_forecaster(m.blob, only(weekly(120), "s0", 0), cpu(), {});
  EXPECT_EQ(e.points, 4);
  const auto overall = metrics_of(e, "", "model"), own = metrics_of(e, "", "model", false);
  ASSERT_FALSE(own.empty());
  EXPECT_EQ(overall.at("mae"), own.at("mae"));
  EXPECT_EQ(std::count_if(e.rows.begin(), e.rows.end(), [](const EvaluationRow &r) { return r.overall; }),
            std::count_if(e.rows.begin(), e.rows.end(), [](const EvaluationRow &r) { return !r.overall; }));
}

// A source of only the forecast weeks: no value a season earlier, so the
// model alone is scored, on every point, with MASE on the scale a
// statistical model keeps from its training; a NOTICE says why. Where the
// source holds part of the history, both estimators share the points that
// have a seasonal-naive value.
TEST(Evaluation, WithoutHistoryTheModelIsScoredAloneAndBothShareThePointsOtherwise) {
  const TrainedForecaster m = train_forecaster(weekly(110), parse_forecast_options("snaive", 4, "{}"), cpu(), {});
  std::vector<std::string> notices;
  TrainHooks hooks;
  hooks.notice = [&](const std::string &n) { notices.push_back(n); };
  const ForecastEvaluation alone = evaluate_forecaster(m.blob, only(weekly(120), "", 110), cpu(), hooks);
  EXPECT_EQ(alone.points, 12);
  EXPECT_TRUE(metrics_of(alone, "", "seasonal_naive").empty());
  EXPECT_TRUE(std::isfinite(metrics_of(alone, "", "model").at("mase")));
  ASSERT_EQ(notices.size(), 1u);
  EXPECT_NE(notices[0].find("seasonal naive is not scored"), std::string::npos) << notices[0];

  // Weeks 59 and on: a season before weeks 111 to 113 is there, not before 110.
  notices.clear();
  const ForecastEvaluation shared = evaluate_forecaster(m.blob, only(weekly(120), "", 59), cpu(), hooks);
  EXPECT_EQ(shared.points, 9);
  EXPECT_EQ(metrics_of(shared, "", "model").at("points"), 9);
  EXPECT_EQ(metrics_of(shared, "", "seasonal_naive").at("points"), 9);
  ASSERT_FALSE(notices.empty());
  EXPECT_NE(notices[0].find("3 of 12 points"), std::string::npos) << notices[0];
}

TEST(Evaluation, TwoRowsOfOneSeriesAndTimeAreRefused) {
  const TrainedForecaster m = train_forecaster(weekly(110), parse_forecast_options("snaive", 4, "{}"), cpu(), {});
  SeriesRows twice = weekly(120);
  twice.series_key.push_back("s1");
  twice.time.push_back(111 * 7 * kMicrosPerDay);
  twice.target.push_back(1e6);
  twice.features.push_back(1);
  try {
    evaluate_forecaster(m.blob, twice, cpu(), {});
    FAIL() << "a duplicate row";
  } catch (const Error &e) {
    EXPECT_EQ(e.kind(), ErrorKind::DataException);
  }
}
