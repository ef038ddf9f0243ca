#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>

#include "core/common/blob.hpp"
#include "core/common/error.hpp"
#include "core/forecast/calendar.hpp"
#include "core/forecast/forecaster.hpp"
#include "core/forecast/version_comparison.hpp"
#include "unit_runtime.hpp"

using namespace xb;
using xb::unit::cpu;

namespace {

double level(int k, int t) { return 100 * (k + 1) + 0.5 * t + 20 * std::sin(t * 6.2831853 / 52) + (t * (k + 3)) % 7; }

// Weekly series "s0".."s(series-1)" for weeks [0, weeks), with a price
// covariate that moves the target.
SeriesRows weekly(int weeks, int series = 3) {
  SeriesRows r;
  r.feature_names = {"price"};
  for (int k = 0; k < series; ++k)
    for (int t = 0; t < weeks; ++t) {
      const double price = 1.0 + 0.1 * ((t * 7 + k) % 5);
      r.series_key.push_back("s" + std::to_string(k));
      r.time.push_back(static_cast<Micros>(t) * 7 * kMicrosPerDay);
      r.target.push_back(level(k, t) - 30 * price);
      r.features.push_back(price);
    }
  return r;
}

// The spec's reading of the rows: the default fill and invalid.
ForecastOptions spec() { return parse_forecast_options("auto", 4, "{}"); }

// A small GRU of horizon 4 whose test split is the last 4 weeks.
TrainedForecaster small_gru(const SeriesRows &rows) {
  return train_forecaster(
      rows,
      parse_forecast_options("gru", 4, R"({"epochs": 3, "lookback": 8, "hidden": 8, "seed": 3, "test_periods": 4})"),
      cpu(), {});
}

double metric(const TrainedForecaster &m, const std::string &split, const std::string &name) {
  for (const MetricRow &r : m.metrics)
    if (r.split == split && r.estimator == "model" && r.metric == name) return r.value;
  return std::numeric_limits<double>::quiet_NaN();
}

Micros week(int t) { return static_cast<Micros>(t) * 7 * kMicrosPerDay; }

}  // namespace

// Scored from the cut, a version is its own test split: the statistical
// members refitted on the history before it, the same points, the same scale.
TEST(VersionComparison, AStatisticalVersionAgainstItselfScoresWhatItsTestSplitScored) {
  const SeriesRows rows = weekly(120);
  const TrainedForecaster m =
      train_forecaster(rows, parse_forecast_options("auto", 4, R"({"test_periods": 4})"), cpu(), {});
  const VersionComparison c = compare_on_newest(m.blob, m.blob, rows, spec(), cpu(), {});
  EXPECT_EQ(c.points, 12);
  EXPECT_EQ(c.series, 3);
  EXPECT_EQ(c.horizon, 4);
  EXPECT_EQ(c.from, format_time(week(116)));
  EXPECT_EQ(c.to, format_time(week(119)));
  EXPECT_EQ(c.metric, "mase");
  EXPECT_EQ(c.deployed, c.retrained);
  EXPECT_TRUE(c.retrained_not_worse());
  EXPECT_NEAR(c.retrained, metric(m, "test", "mase"), 1e-9);
}

// A network's windows end at the cut and read the covariates after it from
// the rows: the first horizon of its test split, as training scored it.
TEST(VersionComparison, ANetworkAgainstItselfScoresWhatItsTestSplitScored) {
  const SeriesRows rows = weekly(120);
  const TrainedForecaster m = small_gru(rows);
  const VersionComparison c = compare_on_newest(m.blob, m.blob, rows, spec(), cpu(), {});
  EXPECT_EQ(c.points, 12);
  EXPECT_EQ(c.from, format_time(week(116)));
  EXPECT_EQ(c.deployed, c.retrained);
  EXPECT_NEAR(c.retrained, metric(m, "test", "mase"), 1e-6 * metric(m, "test", "mase"));
}

// The deployed version, trained on the first 100 weeks, forecasts the last
// four of the current rows from the cut before them, not from week 100:
// seasonal naive there is the value 52 weeks before each point.
TEST(VersionComparison, TheDeployedVersionForecastsTheNewestPointsFromTheSameCut) {
  const TrainedForecaster deployed =
      train_forecaster(weekly(100), parse_forecast_options("snaive", 4, "{}"), cpu(), {});
  const SeriesRows rows = weekly(120);
  const TrainedForecaster retrained = train_forecaster(rows, parse_forecast_options("auto", 4, "{}"), cpu(), {});
  const VersionComparison c = compare_on_newest(deployed.blob, retrained.blob, rows, spec(), cpu(), {});
  ASSERT_EQ(c.points, 12);
  double abs_error = 0;
  for (int k = 0; k < 3; ++k)
    for (int t = 116; t < 120; ++t) {
      const auto y = [&](int w) { return rows.target[static_cast<std::size_t>(k * 120 + w)]; };
      abs_error += std::fabs(y(t) - y(t - 52));
    }
  double mae = std::numeric_limits<double>::quiet_NaN();
  for (const auto &[name, value] : c.deployed_metrics)
    if (name == "mae") mae = value;
  EXPECT_NEAR(mae, abs_error / 12, 1e-9);
  EXPECT_NE(c.deployed, c.retrained);
  EXPECT_EQ(c.retrained_not_worse(), c.retrained <= c.deployed);
}

// Only the series both versions forecast are scored; a series with no
// history before its last horizon is nobody's.
TEST(VersionComparison, OnlyTheSeriesBothVersionsForecastAreScored) {
  const TrainedForecaster two = train_forecaster(weekly(100, 2), parse_forecast_options("theta", 4, "{}"), cpu(), {});
  const TrainedForecaster three = train_forecaster(weekly(120), parse_forecast_options("theta", 4, "{}"), cpu(), {});
  const VersionComparison c = compare_on_newest(two.blob, three.blob, weekly(120), spec(), cpu(), {});
  EXPECT_EQ(c.series, 2);
  EXPECT_EQ(c.points, 8);

  const VersionComparison none = compare_on_newest(two.blob, three.blob, weekly(4), spec(), cpu(), {});
  EXPECT_EQ(none.points, 0);
  EXPECT_NE(none.why_none.find("last 4 points"), std::string::npos) << none.why_none;
}

TEST(VersionComparison, VersionsThatReadDifferentColumnsOrAreNotForecastersAreRefused) {
  SeriesRows plain = weekly(120);
  plain.feature_names.clear();
  plain.features.clear();
  const auto gru = parse_forecast_options("gru", 4, R"({"epochs": 1, "lookback": 8, "hidden": 4})");
  const TrainedForecaster with_price = train_forecaster(weekly(120), gru, cpu(), {});
  const TrainedForecaster without = train_forecaster(plain, gru, cpu(), {});
  try {
    compare_on_newest(with_price.blob, without.blob, plain, spec(), cpu(), {});
    FAIL() << "different columns";
  } catch (const Error &e) {
    EXPECT_EQ(e.kind(), ErrorKind::InvalidParameter);
  }
  EXPECT_THROW(compare_on_newest("not a model", without.blob, plain, spec(), cpu(), {}), Error);
}

// The rows are read as the spec says: with "invalid": "drop" a NULL target
// is dropped, not an error (a blob's own options do not keep fill or invalid).
TEST(VersionComparison, TheSpecsInvalidAndFillReadTheRows) {
  SeriesRows rows = weekly(120);
  rows.target[10] = std::nan("");
  const ForecastOptions drop = parse_forecast_options("theta", 4, R"({"invalid": "drop"})");
  const TrainedForecaster m = train_forecaster(rows, drop, cpu(), {});
  const VersionComparison c = compare_on_newest(m.blob, m.blob, rows, drop, cpu(), {});
  EXPECT_EQ(c.points, 12);
  EXPECT_THROW(compare_on_newest(m.blob, m.blob, rows, spec(), cpu(), {}), Error);  // "error" refuses the NULL
}

// A network whose short series went to the statistical fallback, compared
// on rows where that series is gone: the fallback is left out, not a state
// that would not load.
TEST(VersionComparison, ANetworkWhoseFallbackSeriesAreGoneIsComparedOnTheRest) {
  SeriesRows rows = weekly(120);
  for (int t = 0; t < 3; ++t) {
    rows.series_key.push_back("z");
    rows.time.push_back(week(117 + t));
    rows.target.push_back(50 + t);
    rows.features.push_back(1);
  }
  const TrainedForecaster m = train_forecaster(
      rows, parse_forecast_options("gru", 4, R"({"epochs": 1, "lookback": 8, "hidden": 4})"), cpu(), {});
  ASSERT_EQ(m.series_skipped, 1);
  const VersionComparison c = compare_on_newest(m.blob, m.blob, weekly(120), spec(), cpu(), {});
  EXPECT_EQ(c.series, 3);
  EXPECT_EQ(c.points, 12);
}

// auto's combination moves with the network: its recipes are refitted on
// the history before the cut, and each point is half the network's forecast
// and half the recipe's, so its MAE is at most the mean of theirs and not
// the network's alone.
TEST(VersionComparison, ACombinationIsScoredAsTheMixOfItsNetworkAndRecipes) {
  const SeriesRows rows = weekly(120);
  const TrainedForecaster net = small_gru(rows);
  const TrainedForecaster stat =
      train_forecaster(rows, parse_forecast_options("auto", 4, R"({"networks": false, "test_periods": 4})"), cpu(), {});
  ModelBlob b = decode_blob(net.blob);
  auto state = nlohmann::json::parse(b.state_json);
  state["blend"] = {{"network_weight", 0.5}, {"statistical", nlohmann::json::parse(decode_blob(stat.blob).state_json)}};
  b.state_json = state.dump();
  const std::string mix = encode_blob(b);
  const auto mae = [&](const std::string &blob) {
    const VersionComparison c = compare_on_newest(blob, blob, rows, spec(), cpu(), {});
    EXPECT_EQ(c.points, 12);
    for (const auto &[name, value] : c.deployed_metrics)
      if (name == "mae") return value;
    return std::numeric_limits<double>::quiet_NaN();
  };
  const double network = mae(net.blob), recipe = mae(stat.blob), mixed = mae(mix);
  EXPECT_LE(mixed, 0.5 * network + 0.5 * recipe + 1e-9);
  EXPECT_GT(std::fabs(mixed - network), 1e-6 * network) << "the recipes were mixed in";
}

// Versions on different calendars have no points in common to score.
TEST(VersionComparison, VersionsOnDifferentCalendarsAreNotCompared) {
  SeriesRows daily = weekly(120);
  for (auto &t : daily.time) t /= 7;
  const TrainedForecaster weekly_model =
      train_forecaster(weekly(120), parse_forecast_options("snaive", 4, "{}"), cpu(), {});
  const TrainedForecaster daily_model = train_forecaster(daily, parse_forecast_options("snaive", 4, "{}"), cpu(), {});
  const VersionComparison c = compare_on_newest(weekly_model.blob, daily_model.blob, daily, spec(), cpu(), {});
  EXPECT_EQ(c.points, 0);
  EXPECT_NE(c.why_none.find("calendar"), std::string::npos) << c.why_none;
}
