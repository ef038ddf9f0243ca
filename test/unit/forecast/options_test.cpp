#include <gtest/gtest.h>

#include "core/common/error.hpp"
#include "core/forecast/options.hpp"
#include "core/common/search.hpp"

using namespace xb;

namespace {
std::string error_of(const std::string &arch, int horizon, const std::string &json) {
  try {
    parse_forecast_options(arch, horizon, json);
  } catch (const Error &e) {
    EXPECT_EQ(e.kind(), ErrorKind::InvalidParameter);
    return e.what();
  }
  return "";
}
}  // namespace

TEST(Options, PresetsFillWhatTheUserLeavesOut) {
  ForecastOptions o = parse_forecast_options("gru", 8, R"({"epochs": 5, "lr": 0.01})");
  EXPECT_EQ(o.epochs, 5);
  EXPECT_DOUBLE_EQ(o.lr, 0.01);
  EXPECT_EQ(o.hidden, 64);
  EXPECT_EQ(o.batch_size, 64);
  EXPECT_EQ(o.lookback, 16);  // 2 x horizon
  EXPECT_EQ(o.fill, "interpolate");
  EXPECT_EQ(parse_forecast_options("transformer", 4, "{}").heads, 4);
}

TEST(Options, UnknownKeyIsNotIgnored) {
  EXPECT_NE(error_of("gru", 8, R"({"epoch": 5})").find("unknown option \"epoch\""), std::string::npos);
}

TEST(Options, OutOfRangeAndWrongTypes) {
  EXPECT_NE(error_of("gru", 8, R"({"lr": -0.1})").find("\"lr\""), std::string::npos);
  EXPECT_NE(error_of("gru", 8, R"({"epochs": 0})").find("\"epochs\""), std::string::npos);
  EXPECT_NE(error_of("gru", 8, R"({"dropout": 1})").find("\"dropout\""), std::string::npos);
  EXPECT_NE(error_of("gru", 8, R"({"epochs": 2.5})").find("whole number"), std::string::npos);
  EXPECT_NE(error_of("gru", 8, R"({"lookback": "12"})").find("must be a number"), std::string::npos);
  EXPECT_NE(error_of("gru", 8, R"({"fill": "mean"})").find("unknown value"), std::string::npos);
  EXPECT_NE(error_of("gru", 8, R"({"seasonal_lag": 1})").find("true or false"), std::string::npos);
}

TEST(Options, BadJsonArchAndHorizon) {
  EXPECT_NE(error_of("gru", 8, "{not json").find("not valid JSON"), std::string::npos);
  EXPECT_NE(error_of("gru", 8, "[1,2]").find("JSON object"), std::string::npos);
  EXPECT_NE(error_of("rnn", 8, "{}").find("unknown architecture"), std::string::npos);
  EXPECT_NE(error_of("gru", 0, "{}").find("horizon"), std::string::npos);
  EXPECT_NE(error_of("transformer", 4, R"({"hidden": 30, "heads": 4})").find("multiple"), std::string::npos);
}

TEST(Options, ToJsonHoldsEveryResolvedValue) {
  ForecastOptions o = parse_forecast_options("lstm", 6, R"({"seed": 7})");
  std::string j = o.to_json();
  EXPECT_NE(j.find("\"seed\":7"), std::string::npos);
  EXPECT_NE(j.find("\"lookback\":12"), std::string::npos);
  EXPECT_NE(j.find("\"arch\":\"lstm\""), std::string::npos);
}

TEST(Options, ArraysAreSearchedOnAGrid) {
  ForecastOptions o = parse_forecast_options("gru", 4, R"({"lr": [0.01, 0.001], "hidden": [8, 16, 32], "epochs": 3})");
  EXPECT_EQ(o.search, "grid");
  EXPECT_EQ(o.trials, 6);
  EXPECT_EQ(o.epochs, 3);
  EXPECT_EQ(o.hidden, 8);  // the first trial's values
  OptionSearch s(o.user_json, searchable_forecast_options());
  ASSERT_EQ(s.size(), 6);
  std::string last;
  for (int t = 0; t < s.size(); ++t) last = s.next();
  EXPECT_EQ(last, R"({"epochs":3,"hidden":32,"lr":0.001})");
}

TEST(Options, RandomSearchDrawsTrialsFromTheSeed) {
  const std::string json =
      R"({"lr": [0.1, 0.01, 0.001], "dropout": [0, 0.1, 0.2], "search": "random", "trials": 4, "seed": 7})";
  const OptionSearch a(json, searchable_forecast_options());
  EXPECT_EQ(a.mode(), "random");
  ASSERT_EQ(a.size(), 4);
  EXPECT_EQ(a.documents_to_check(), OptionSearch(json, searchable_forecast_options()).documents_to_check());
  EXPECT_EQ(parse_forecast_options("lstm", 4, json).trials, 4);
}

TEST(Options, BadSearchesAreRefusedNamingTheKey) {
  EXPECT_NE(error_of("gru", 4, R"({"lookback": [8, 16]})").find("\"lookback\" cannot be searched"), std::string::npos);
  EXPECT_NE(error_of("gru", 4, R"({"lr": []})").find("\"lr\" must list 1 to 64 values"), std::string::npos);
  EXPECT_NE(error_of("gru", 4, R"({"search": "grid"})").find("needs at least one option given as an array"),
            std::string::npos);
  EXPECT_NE(error_of("gru", 4, R"({"lr": [0.1], "trials": 3})").find("\"trials\" is for"), std::string::npos);
  EXPECT_NE(error_of("gru", 4, R"({"lr": [0.1], "search": "hyperband"})").find("unknown value \"hyperband\""),
            std::string::npos);
  EXPECT_NE(error_of("gru", 4, R"({"lr": [0.1, -1], "search": "bayes"})").find("\"lr\" is out of range"),
            std::string::npos);
  EXPECT_NE(error_of("gru", 4, R"({"lr": [0.1, -1]})").find("\"lr\" is out of range"), std::string::npos);
  EXPECT_NE(error_of("gru", 4, R"({"heads": [[[2]]]})").find("must list single values"), std::string::npos);
  EXPECT_NE(error_of("gru", 4, R"({"lr": [1,2,3,4,5,6,7], "hidden": [1,2,3,4,5,6,7], "layers": [1,2,3,4,5,6]})")
                .find("more than 256 combinations"),
            std::string::npos);
}

TEST(Options, TimeBudgetIsSecondsForEveryArchitecture) {
  for (const char *arch : {"auto", "stlf", "gru", "nets"}) {
    const ForecastOptions o = parse_forecast_options(arch, 8, R"({"time_budget": 2.5})");
    EXPECT_DOUBLE_EQ(o.time_budget, 2.5) << arch;
    EXPECT_TRUE(o.unused_options.empty()) << arch << ": not a network option";
    if (std::string(arch) != "nets") {
      EXPECT_NE(o.to_json().find(R"("time_budget":2.5)"), std::string::npos) << arch;
    }
  }
  EXPECT_EQ(parse_forecast_options("auto", 8, "{}").to_json().find("time_budget"), std::string::npos);
  for (const char *bad :
       {R"({"time_budget": 0})", R"({"time_budget": -1})", R"({"time_budget": "10"})", R"({"time_budget": 1e9})"})
    EXPECT_NE(error_of("auto", 8, bad).find("\"time_budget\""), std::string::npos) << bad;
}

TEST(Options, TimeZoneIsANameKeptWithTheResolvedOptions) {
  for (const char *arch : {"auto", "gru"}) {
    const ForecastOptions o = parse_forecast_options(arch, 8, R"({"time_zone": "America/New_York"})");
    EXPECT_EQ(o.time_zone, "America/New_York");
    EXPECT_NE(o.to_json().find(R"("time_zone":"America/New_York")"), std::string::npos) << arch;
    EXPECT_TRUE(o.unused_options.empty()) << arch;  // not a network option
  }
  EXPECT_EQ(parse_forecast_options("auto", 8, "{}").to_json().find("time_zone"), std::string::npos);
  EXPECT_NE(error_of("auto", 8, R"({"time_zone": ""})").find("\"time_zone\""), std::string::npos);
  EXPECT_NE(error_of("auto", 8, R"({"time_zone": 5})").find("\"time_zone\""), std::string::npos);
  EXPECT_NE(error_of("auto", 8, "{\"time_zone\": \"UTC\\n\"}").find("\"time_zone\""), std::string::npos);
  EXPECT_EQ(parse_forecast_options("auto", 8, R"({"time_zone": "<+05>-05"})").time_zone, "<+05>-05");
  // with_time_zone adds the zone and keeps what was given.
  const ForecastOptions w = parse_forecast_options("auto", 8, with_time_zone(R"({"fill": "zero"})", "Asia/Tokyo"));
  EXPECT_EQ(w.time_zone, "Asia/Tokyo");
  EXPECT_EQ(w.fill, "zero");
}
