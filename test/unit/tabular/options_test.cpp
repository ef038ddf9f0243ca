#include <gtest/gtest.h>

#include "core/common/error.hpp"
#include "core/tabular/options.hpp"

using namespace xb;

namespace {

void expect_bad(bool classifier, const std::string &json, const std::string &needle) {
  try {
    parse_tabular_options(classifier, json);
    FAIL() << json << " was accepted";
  } catch (const Error &e) {
    EXPECT_EQ(e.kind(), ErrorKind::InvalidParameter) << json;
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    EXPECT_FALSE(e.hint().empty() && needle == "unknown option") << json;
  }
}

}  // namespace

TEST(TabularOptions, Defaults) {
  TabularOptions o = parse_tabular_options(true, "{}");
  EXPECT_EQ(o.hidden, (std::vector<int>{128, 32}));
  EXPECT_DOUBLE_EQ(o.dropout, 0.2);
  EXPECT_EQ(o.encoding, "onehot");
  EXPECT_EQ(o.output, "auto");
  EXPECT_EQ(o.cv, 0);
}

TEST(TabularOptions, PaperPresetAndOverrides) {
  TabularOptions o = parse_tabular_options(true, R"({"preset": "paper"})");
  EXPECT_EQ(o.encoding, "label");
  EXPECT_EQ(o.epochs, 500);
  EXPECT_EQ(o.output, "sigmoid2");
  EXPECT_DOUBLE_EQ(o.test_fraction, 0.2);
  EXPECT_DOUBLE_EQ(o.val_fraction, 0.0);
  // Keys beside the preset override it, whatever their order in the object.
  TabularOptions p = parse_tabular_options(true, R"({"epochs": 5, "preset": "paper", "cv": 5})");
  EXPECT_EQ(p.epochs, 5);
  EXPECT_EQ(p.cv, 5);
}

TEST(TabularOptions, BadValuesNameTheKey) {
  expect_bad(true, R"({"epoch": 5})", "unknown option \"epoch\"");
  expect_bad(true, R"({"hidden": 32})", "\"hidden\"");
  expect_bad(true, R"({"hidden": [32, 0]})", "\"hidden\"");
  expect_bad(true, R"({"hidden": [32, 1.5]})", "\"hidden\"");
  expect_bad(true, R"({"hidden": [1, 2, 3, 4, 5, 6, 7, 8, 9]})", "\"hidden\"");
  expect_bad(true, R"({"encoding": "hash"})", "\"encoding\"");
  expect_bad(true, R"({"cv": 1})", "\"cv\"");
  expect_bad(true, R"({"preset": "keras"})", "\"preset\"");
  expect_bad(true, R"({"dropout": 1})", "\"dropout\"");
  expect_bad(true, R"({"class_weights": {"1": -2}})", "\"class_weights\"");
  expect_bad(true, R"({"freeze": true})", "\"freeze\"");
  expect_bad(true, R"({"loss": "huber"})", "unknown option \"loss\"");
  expect_bad(false, R"({"class_weights": "balanced"})", "unknown option \"class_weights\"");
  expect_bad(true, "[1]", "JSON object");
  expect_bad(true, "{", "not valid JSON");
}

TEST(TabularOptions, RegressorLoss) {
  EXPECT_EQ(parse_tabular_options(false, R"({"loss": "huber"})").loss, "huber");
  EXPECT_NE(parse_tabular_options(false, "{}").to_json().find("\"loss\""), std::string::npos);
}

TEST(TabularOptions, ThresholdAndRefit) {
  TabularOptions o = parse_tabular_options(true, "{}");
  EXPECT_EQ(o.threshold, "balanced_accuracy");
  EXPECT_FALSE(o.threshold_given);
  EXPECT_FALSE(o.refit);
  o = parse_tabular_options(true, R"({"threshold": 0.3})");
  EXPECT_EQ(o.threshold, "fixed");
  EXPECT_DOUBLE_EQ(o.threshold_value, 0.3);
  EXPECT_NE(o.to_json().find("\"threshold\":0.3"), std::string::npos) << o.to_json();
  o = parse_tabular_options(true, R"({"threshold": "f1", "cv": 3, "refit": true})");
  EXPECT_EQ(o.threshold, "f1");
  EXPECT_TRUE(o.refit);
  EXPECT_NE(o.to_json().find("\"refit\":true"), std::string::npos) << o.to_json();
  expect_bad(true, R"({"threshold": 1})", "threshold");
  expect_bad(true, R"({"threshold": 0})", "threshold");
  expect_bad(true, R"({"threshold": "accuracy"})", "threshold");
  expect_bad(false, R"({"threshold": 0.5})", "unknown option");
  expect_bad(true, R"({"refit": true})", "needs \"cv\"");
  expect_bad(false, R"({"refit": 1, "cv": 3})", "refit");
  EXPECT_TRUE(parse_tabular_options(false, R"({"refit": true, "cv": 3})").refit);
}

TEST(TabularOptions, HiddenMayBeEmptyForALinearModel) {
  EXPECT_TRUE(parse_tabular_options(true, R"({"hidden": []})").hidden.empty());
  EXPECT_TRUE(parse_tabular_options(false, R"({"hidden": []})").hidden.empty());
}

TEST(TabularOptions, SearchesCheckEveryValueAndStartFromTheFirstTrial) {
  TabularOptions o = parse_tabular_options(
      true, R"({"hidden": [[], [32]], "lr": [0.01, 0.001], "search": "bayes", "trials": 3, "refit": true})");
  EXPECT_EQ(o.search, "bayes");
  EXPECT_EQ(o.trials, 3);
  EXPECT_EQ(o.search_folds, 5);
  EXPECT_TRUE(o.hidden.empty());  // the first value of each
  EXPECT_DOUBLE_EQ(o.lr, 0.01);
  EXPECT_TRUE(o.refit);  // a search's folds stand in for "cv"
  o = parse_tabular_options(false, R"({"loss": ["mse", "huber"], "search_folds": 5, "categorical": ["size"]})");
  EXPECT_EQ(o.search, "grid");
  EXPECT_EQ(o.trials, 2);
  EXPECT_EQ(o.search_folds, 5);
  EXPECT_EQ(o.categorical, std::vector<std::string>{"size"});
  EXPECT_EQ(parse_tabular_trial(true, R"({"hidden": [8], "refit": true})").hidden, std::vector<int>{8});

  expect_bad(true, R"({"hidden": [[32], [0]]})", "\"hidden\"");
  expect_bad(true, R"({"lr": [0.1, 20], "search": "bayes"})", "\"lr\"");
  expect_bad(true, R"({"cv": [2, 3]})", "\"cv\" cannot be searched");
  expect_bad(true, R"({"epoch": [1, 2]})", "unknown option \"epoch\"");
  expect_bad(true, R"({"loss": ["mse", "huber"]})", "unknown option \"loss\"");
  expect_bad(true, R"({"search_folds": 3})", "\"search_folds\" is for a search");
  expect_bad(true, R"({"lr": [0.1], "search_folds": 1})", "\"search_folds\"");
  expect_bad(true, R"({"lr": [0.1], "trials": 3})", "\"trials\" is for");
  expect_bad(true, R"({"hidden": [[], [8]], "init_from": "m"})", "with \"init_from\"");
}

TEST(TabularOptions, SearchAloneSearchesTheDefaultSpace) {
  TabularOptions o = parse_tabular_options(true, R"({"search": "bayes"})");
  EXPECT_EQ(o.search, "bayes");
  EXPECT_EQ(o.trials, 20);
  EXPECT_NE(o.user_json.find("\"weight_decay\":[0.0001,"), std::string::npos) << o.user_json;
  // What is given stays as given.
  o = parse_tabular_options(false, R"({"search": "grid", "hidden": [64], "dropout": 0.1})");
  EXPECT_EQ(o.trials, 12);  // weight decay 6 x learning rate 2
  EXPECT_EQ(o.hidden, std::vector<int>{64});
  EXPECT_DOUBLE_EQ(o.dropout, 0.1);
  // init_from gives the layers: the default space leaves hidden out.
  o = parse_tabular_options(true, R"({"search": "bayes", "init_from": "base"})");
  EXPECT_EQ(o.user_json.find("\"hidden\""), std::string::npos) << o.user_json;
  // With an array given, nothing else is searched.
  EXPECT_EQ(parse_tabular_options(true, R"({"search": "grid", "lr": [0.1, 0.2]})").trials, 2);
}
