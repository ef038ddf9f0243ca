#include <gtest/gtest.h>

#include "core/forecast/aggregate_options.hpp"
#include "core/common/error.hpp"

using namespace xb;

namespace {
Error error_of(const std::string &json, std::optional<int> horizon) {
  try {
    parse_aggregate_options(json, horizon);
  } catch (const Error &e) {
    return e;
  }
  ADD_FAILURE() << json << " was accepted";
  return Error(ErrorKind::Internal, "");
}
}  // namespace

TEST(AggregateOptions, DefaultsAreAutoAndHorizonEight) {
  AggregateOptions a = parse_aggregate_options("{}", std::nullopt);
  EXPECT_EQ(a.forecast.arch, "auto");
  EXPECT_EQ(a.forecast.horizon, 8);
  EXPECT_EQ(a.series, "");
  EXPECT_EQ(parse_aggregate_options("", std::nullopt).forecast.horizon, 8);
}

TEST(AggregateOptions, ArchHorizonAndSeriesAreTakenOutTheRestIsPassedOn) {
  AggregateOptions a =
      parse_aggregate_options(R"({"arch": "lstm", "horizon": 4, "series": "north", "epochs": 3})", std::nullopt);
  EXPECT_EQ(a.forecast.arch, "lstm");
  EXPECT_EQ(a.forecast.horizon, 4);
  EXPECT_EQ(a.forecast.epochs, 3);
  EXPECT_EQ(a.forecast.lookback, 8);  // max(2 x horizon, 8), as the function form
  EXPECT_EQ(a.series, "north");
  EXPECT_EQ(parse_aggregate_options(R"({"series": 17})", std::nullopt).series, "17");
}

TEST(AggregateOptions, SameResolvedOptionsAsTheFunctionForm) {
  const std::string rest = R"({"epochs": 2, "hidden": 8, "seed": 1})";
  AggregateOptions a = parse_aggregate_options(R"({"epochs": 2, "hidden": 8, "seed": 1, "arch": "gru"})", 6);
  EXPECT_EQ(a.forecast.to_json(), parse_forecast_options("gru", 6, rest).to_json());
}

TEST(AggregateOptions, HorizonArgumentWinsAndTheKeyIsThenRefused) {
  EXPECT_EQ(parse_aggregate_options("{}", 12).forecast.horizon, 12);
  Error e = error_of(R"({"horizon": 4})", 12);
  EXPECT_EQ(e.kind(), ErrorKind::InvalidParameter);
  EXPECT_NE(std::string(e.what()).find("\"horizon\""), std::string::npos);
  EXPECT_FALSE(e.hint().empty());
}

TEST(AggregateOptions, BadHorizonsHaveAHint) {
  for (auto h : {0, -3, 10001}) {
    Error e = error_of("{}", h);
    EXPECT_EQ(e.kind(), ErrorKind::InvalidParameter);
    EXPECT_NE(std::string(e.what()).find("horizon"), std::string::npos);
    EXPECT_FALSE(e.hint().empty());
  }
  for (const char *json : {R"({"horizon": 0})", R"({"horizon": 2.5})", R"({"horizon": "8"})", R"({"horizon": null})"}) {
    Error e = error_of(json, std::nullopt);
    EXPECT_EQ(e.kind(), ErrorKind::InvalidParameter) << json;
    EXPECT_FALSE(e.hint().empty()) << json;
  }
}

TEST(AggregateOptions, WrongKeysAndShapesAreRefused) {
  EXPECT_NE(std::string(error_of(R"({"epoch": 5})", 8).what()).find("unknown option \"epoch\""), std::string::npos);
  // An unknown option given as an array is unknown, not "cannot be searched".
  EXPECT_NE(std::string(error_of(R"({"features": ["x"]})", 8).what()).find("unknown option \"features\""),
            std::string::npos);
  EXPECT_NE(std::string(error_of(R"({"arch": "rnn"})", 8).what()).find("rnn"), std::string::npos);
  EXPECT_NE(std::string(error_of(R"({"arch": 1})", 8).what()).find("\"arch\""), std::string::npos);
  EXPECT_NE(std::string(error_of(R"({"series": [1]})", 8).what()).find("\"series\""), std::string::npos);
  EXPECT_NE(std::string(error_of("[1, 2]", 8).what()).find("JSON object"), std::string::npos);
  EXPECT_NE(std::string(error_of("{", 8).what()).find("not valid JSON"), std::string::npos);
}

TEST(AggregateOptions, ArgumentsOfTheTrainingFunctionSayWhatAggregatesTake) {
  // Given as an array, "feature_cols" used to read as a search over an option.
  const Error cov = error_of(R"({"feature_cols": ["temperature", "holiday_flag"]})", 8);
  EXPECT_NE(std::string(cov.what()).find("they take no covariates"), std::string::npos) << cov.what();
  EXPECT_NE(cov.hint().find("xb_train_forecaster"), std::string::npos) << cov.hint();
  EXPECT_NE(std::string(error_of(R"({"future_source": "x"})", 8).what()).find("no covariates"), std::string::npos);
  const Error series = error_of(R"({"series_cols": ["store"]})", 8);
  EXPECT_NE(std::string(series.what()).find("\"series_cols\" is not accepted"), std::string::npos) << series.what();
  EXPECT_NE(series.hint().find("GROUP BY"), std::string::npos) << series.hint();
}
