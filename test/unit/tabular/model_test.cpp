#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <iostream>

#include "core/common/error.hpp"
#include "core/tabular/model.hpp"
#include "core/tabular/scorer.hpp"
#include "unit_runtime.hpp"

using namespace xb;
using xb::unit::cpu;
using xb::unit::device_under_test;

namespace {

// 200 products: the label follows the colour and the price, with noise.
TabularRows products(LabelType type = LabelType::Integer, int classes = 2) {
  TabularRows r;
  r.label_name = "label";
  r.label_type = type;
  TabularColumn colour{"colour", false, {}, {}}, price{"price", true, {}, {}};
  const char *colours[] = {"Red", "red ", "blue", "green", "null", ""};
  for (int i = 0; i < 200; ++i) {
    int c = (i * 7) % 6;
    double p = (i * 13) % 17;
    colour.texts.push_back(c == 5 ? std::optional<std::string>() : std::optional<std::string>(colours[c]));
    price.numbers.push_back(i % 23 == 0 ? NAN : p);
    int k = std::min(classes - 1, (c < 2) + (p > 8));
    if (i % 11 == 0) k = (k + 1) % classes;  // noise
    if (type == LabelType::Boolean)
      r.labels.push_back(k ? "true" : "false");
    else if (type == LabelType::Integer)
      r.labels.push_back(std::to_string(k * 5 - 3));
    else
      r.labels.push_back(std::string("class ") + char('a' + k));
    r.targets.push_back(10 * (c < 2) + p + (i % 5));
  }
  r.features = {colour, price};
  return r;
}

TabularOptions quick(bool classifier, const std::string &extra = "") {
  return parse_tabular_options(classifier, R"({"epochs": 30, "hidden": [16, 8], "seed": 5)" + extra + "}");
}

double metric(const TrainedTabular &m, const std::string &split, const std::string &estimator,
              const std::string &name) {
  for (const auto &r : m.metrics)
    if (r.split == split && r.estimator == estimator && r.metric == name) return r.value;
  return NAN;
}

std::vector<TabularColumn> one_row(const std::optional<std::string> &colour, double price) {
  TabularColumn c{"colour", false, {}, {colour}}, p{"price", true, {price}, {}};
  return {c, p};
}

}  // namespace

TEST(TabularModel, LabelOfEachType) {
  for (LabelType type : {LabelType::Boolean, LabelType::Integer, LabelType::Text}) {
    TrainedTabular m = train_classifier(products(type), quick(true), cpu(), {});
    ASSERT_EQ(m.classes.size(), 2u);
    EXPECT_GT(metric(m, "test", "model", "accuracy"), 0.6);
    auto scorer = TabularScorer::load(m.blob, cpu());
    EXPECT_EQ(scorer->kind(), ModelKind::Classifier);
    auto p = scorer->predict(one_row(std::string("RED"), 12));
    ASSERT_EQ(p.size(), 1u);
    EXPECT_GE(p[0].positive_probability, 0.0);
    EXPECT_LE(p[0].positive_probability, 1.0);
    if (type == LabelType::Text)
      EXPECT_TRUE(std::isnan(p[0].value));
    else
      EXPECT_FALSE(std::isnan(p[0].value));
  }
  TrainedTabular b = train_classifier(products(LabelType::Boolean), quick(true), cpu(), {});
  EXPECT_EQ(b.classes, (std::vector<std::string>{"false", "true"}));
  TrainedTabular i = train_classifier(products(LabelType::Integer), quick(true), cpu(), {});
  EXPECT_EQ(i.classes, (std::vector<std::string>{"-3", "2"}));  // numeric order
}

TEST(TabularModel, MetricsBesideTheMajorityBaseline) {
  TrainedTabular m = train_classifier(products(), quick(true), device_under_test(), {});
  for (const char *name : {"accuracy", "precision", "recall", "f1", "roc_auc", "log_loss"}) {
    EXPECT_TRUE(std::isfinite(metric(m, "test", "model", name))) << name;
    EXPECT_TRUE(std::isfinite(metric(m, "test", "majority", name))) << name;
  }
  EXPECT_DOUBLE_EQ(metric(m, "test", "majority", "roc_auc"), 0.5);
  EXPECT_FALSE(std::isnan(metric(m, "test", "model", "confusion:actual=2,predicted=2")));
  EXPECT_EQ(m.importance.size(), 2u);
  EXPECT_FALSE(m.epochs.empty());
}

TEST(TabularModel, MultiClassAndCrossValidation) {
  TrainedTabular m =
      train_classifier(products(LabelType::Text, 3), quick(true, R"(, "cv": 3)"), device_under_test(), {});
  EXPECT_EQ(m.classes.size(), 3u);
  EXPECT_TRUE(std::isfinite(metric(m, "cv", "model", "accuracy_mean")));
  EXPECT_TRUE(std::isfinite(metric(m, "cv", "model", "accuracy_std")));
  EXPECT_TRUE(std::isfinite(metric(m, "cv", "majority", "roc_auc_mean")));
  auto scorer = TabularScorer::load(m.blob, device_under_test());
  EXPECT_FALSE(scorer->has_positive_class());
  auto p = scorer->predict(one_row(std::string("blue"), 3));
  EXPECT_GT(p[0].label_probability, 0.3);
  EXPECT_TRUE(std::isnan(p[0].positive_probability));
}

// A blob holds no device (as forecaster_test checks for networks): a
// classifier trained on the device under test scores its rows the same on
// the CPU, and one trained on the CPU the same under "auto". On a CPU-only
// build both sides are the CPU: it then proves only that the device setting
// is not part of the model.
TEST(TabularModel, AModelTrainedOnOneDeviceScoresOnAnother) {
  const auto expect_close = [](const std::vector<TabularPrediction> &a, const std::vector<TabularPrediction> &b,
                               const std::string &what) {
    ASSERT_EQ(a.size(), b.size()) << what;
    for (std::size_t i = 0; i < a.size(); ++i)
      EXPECT_NEAR(a[i].positive_probability, b[i].positive_probability, 1e-5) << what << " row " << i;
  };
  const std::vector<TabularColumn> rows = products().features;
  const TrainedTabular there = train_classifier(products(), quick(true), device_under_test(), {});
  expect_close(TabularScorer::load(there.blob, device_under_test())->predict(rows),
               TabularScorer::load(there.blob, cpu())->predict(rows),
               "trained on " + device_under_test().device + ", scored on cpu");
  const TrainedTabular here = train_classifier(products(), quick(true), cpu(), {});
  expect_close(TabularScorer::load(here.blob, cpu())->predict(rows),
               TabularScorer::load(here.blob, RuntimeSettings{"auto", 1})->predict(rows),
               "trained on cpu, scored on auto");
}

// An ensemble's members train side by side, a thread each, where the CPU
// has two threads or more (model.cpp). Each draws from generators of its
// own, so a seed gives one ensemble for every thread count from two up,
// dropout included: three members on two threads train two, then one; on
// three, all at once (drawing from the global generator, the first member
// would see different numbers in the two). Progress comes on the calling
// thread, and an interrupt asked there ends the training.
TEST(TabularModel, EnsembleMembersTrainSideBySideOnTwoThreads) {
  const TabularOptions o = quick(true, R"(, "ensemble": 3, "dropout": 0.3)");
  xb::unit::ProgressOnCaller progress;
  const TrainedTabular two = train_classifier(products(), o, RuntimeSettings{"cpu", 2}, progress.hooks());
  const TrainedTabular three = train_classifier(products(), o, RuntimeSettings{"cpu", 3}, {});
  // One after the other on one thread, the members draw from the global
  // generator instead: other numbers, so the two runs above were side by side.
  EXPECT_NE(train_classifier(products(), o, cpu(), {}).epochs.front().train_loss, two.epochs.front().train_loss);
  EXPECT_EQ(progress.epochs, static_cast<int>(two.epochs.size()));
  EXPECT_FALSE(progress.elsewhere);
  ASSERT_EQ(two.epochs.size(), three.epochs.size());
  for (std::size_t i = 0; i < two.epochs.size(); ++i) {
    EXPECT_EQ(two.epochs[i].member, three.epochs[i].member);
    EXPECT_EQ(two.epochs[i].train_loss, three.epochs[i].train_loss) << i;
  }
  const std::vector<TabularColumn> rows = products().features;
  const auto a = TabularScorer::load(two.blob, cpu())->predict(rows),
             b = TabularScorer::load(three.blob, cpu())->predict(rows);
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].positive_probability, b[i].positive_probability) << i;

  int asked = 0;
  TrainHooks cancel;
  cancel.interrupted = [&] { return ++asked > 3; };
  try {
    train_classifier(products(), quick(true, R"(, "ensemble": 2, "epochs": 100000, "patience": 100000)"),
                     RuntimeSettings{"cpu", 2}, cancel);
    ADD_FAILURE() << "not interrupted";
  } catch (const Error &e) {
    EXPECT_EQ(e.kind(), ErrorKind::Interrupted);
  }
}

TEST(TabularModel, SearchChoosesOnFoldsOfTheTrainingPart) {
  const TabularOptions o = parse_tabular_options(
      true, R"({"epochs": 20, "hidden": [[], [16, 8]], "lr": [0.01, 0.001], "seed": 5, "search": "bayes",
                "trials": 3})");
  TrainedTabular m = train_classifier(products(), o, cpu(), {});
  ASSERT_EQ(m.trials.size(), 3u);
  int chosen = 0;
  double best = INFINITY;
  for (const auto &t : m.trials) {
    EXPECT_EQ(t.metric, "log_loss");
    EXPECT_TRUE(std::isfinite(t.score)) << t.options_json;
    best = std::min(best, t.score);
    chosen += t.chosen;
  }
  ASSERT_EQ(chosen, 1);
  for (const auto &t : m.trials)
    if (t.chosen) EXPECT_EQ(t.score, best);
  EXPECT_NE(m.hyperparameters_json.find("\"search\":{"), std::string::npos) << m.hyperparameters_json;
  EXPECT_TRUE(std::isfinite(metric(m, "test", "model", "log_loss")));  // the test split stays out of the search
  // The same seed, the same trials.
  TrainedTabular again = train_classifier(products(), o, cpu(), {});
  for (std::size_t i = 0; i < m.trials.size(); ++i) {
    EXPECT_EQ(m.trials[i].options_json, again.trials[i].options_json);
    EXPECT_EQ(m.trials[i].score, again.trials[i].score);
  }
}

TEST(TabularModel, ASearchWhoseTrialsAllFailSaysWhyAsTrainingWould) {
  // Every trial over the memory limit: the limit's own error, not a generic one.
  RuntimeSettings small = cpu();
  small.max_memory_bytes = 1000;
  try {
    train_classifier(products(), parse_tabular_options(true, R"({"epochs": 2, "lr": [0.1, 0.01]})"), small, {});
    FAIL() << "trained over the memory limit";
  } catch (const Error &e) {
    EXPECT_EQ(e.kind(), ErrorKind::ResourceLimit) << e.what();
    EXPECT_NE(std::string(e.what()).find("every trial of the search failed"), std::string::npos) << e.what();
  }
  // Features near the double range: the scores overflow, every trial fails,
  // and the search ends (NaN scores used to spin the AUC forever).
  TabularRows huge = products();
  for (double &v : huge.features[1].numbers) v = std::isnan(v) ? v : (v > 8 ? 1.7e308 : -1.7e308);
  EXPECT_THROW(train_classifier(huge, parse_tabular_options(true, R"({"epochs": 2, "lr": [0.1, 0.01]})"), cpu(), {}),
               Error);
}

TEST(TabularModel, ARefitTooLargeForTheMemoryLimitFailsBeforeTheSearchTrains) {
  // About 1.4 MB of training state per member of [256, 256]: one member fits
  // in 3 MB, the refit's five do not. The search's trials are checked for
  // the refit, so nothing trains before the error.
  RuntimeSettings small = cpu();
  small.max_memory_bytes = 3 * 1048576.0;
  int epochs_run = 0;
  TrainHooks hooks;
  hooks.on_epoch = [&](const EpochRecord &) { ++epochs_run; };
  const char *search = R"({"epochs": 2, "hidden": [256, 256], "lr": [0.01, 0.001], "seed": 2)";
  try {
    train_regressor(products(), parse_tabular_options(false, std::string(search) + R"(, "refit": true})"), small,
                    hooks);
    FAIL() << "refit five members over the memory limit";
  } catch (const Error &e) {
    EXPECT_EQ(e.kind(), ErrorKind::ResourceLimit) << e.what();
  }
  EXPECT_EQ(epochs_run, 0);
  // The same search without a refit, or with one member asked for, fits.
  EXPECT_NO_THROW(train_regressor(products(), parse_tabular_options(false, std::string(search) + "}"), small, {}));
  EXPECT_NO_THROW(train_regressor(
      products(), parse_tabular_options(false, std::string(search) + R"(, "refit": true, "ensemble": 1})"), small, {}));
}

TEST(TabularModel, RefitAfterASearchReportsTheChosenTrialsFolds) {
  TrainedTabular m = train_regressor(
      products(), parse_tabular_options(false, R"({"epochs": 10, "hidden": [[], [8]], "refit": true, "seed": 2})"),
      cpu(), {});
  EXPECT_EQ(m.trials.size(), 2u);
  EXPECT_TRUE(std::isfinite(metric(m, "cv", "model", "rmse_mean")));
  EXPECT_TRUE(std::isfinite(metric(m, "cv", "mean", "rmse_mean")));
  EXPECT_EQ(metric(m, "cv", "model", "folds"), 5);
  EXPECT_TRUE(std::isnan(metric(m, "test", "model", "rmse")));  // every row trained the model
  EXPECT_NE(m.hyperparameters_json.find("\"validation\":0"), std::string::npos) << m.hyperparameters_json;
  EXPECT_NE(m.hyperparameters_json.find("\"train\":200"), std::string::npos) << m.hyperparameters_json;
}

TEST(TabularModel, ALinearModelTrainsAndScores) {
  TrainedTabular m = train_classifier(products(), quick(true, R"(, "hidden": [], "lr": 0.05)"), cpu(), {});
  EXPECT_NE(m.hyperparameters_json.find("\"hidden\":[]"), std::string::npos) << m.hyperparameters_json;
  EXPECT_GT(metric(m, "test", "model", "roc_auc"), 0.6);
  auto scorer = TabularScorer::load(m.blob, cpu());
  auto batch = scorer->predict(products().features);
  auto one = scorer->predict(one_row(std::string("blue"), 3));
  EXPECT_TRUE(std::isfinite(batch[0].positive_probability));
  EXPECT_TRUE(std::isfinite(one[0].positive_probability));
}

TEST(TabularModel, UnseenCategoryAndMissingValuesScore) {
  auto scorer = TabularScorer::load(train_classifier(products(), quick(true), cpu(), {}).blob, cpu());
  for (auto colour :
       {std::optional<std::string>("purple"), std::optional<std::string>(), std::optional<std::string>("null")}) {
    auto p = scorer->predict(one_row(colour, NAN));
    EXPECT_TRUE(std::isfinite(p[0].positive_probability));
  }
}

TEST(TabularModel, SameSeedSameProbabilities) {
  auto a = TabularScorer::load(train_classifier(products(), quick(true), cpu(), {}).blob, cpu());
  auto b = TabularScorer::load(train_classifier(products(), quick(true), cpu(), {}).blob, cpu());
  auto c = TabularScorer::load(train_classifier(products(), quick(true, R"(, "seed": 6)"), cpu(), {}).blob, cpu());
  const auto rows = products().features;
  auto pa = a->predict(rows), pb = b->predict(rows), pc = c->predict(rows);
  bool differs = false;
  for (std::size_t i = 0; i < pa.size(); ++i) {
    EXPECT_EQ(pa[i].positive_probability, pb[i].positive_probability);
    differs = differs || pa[i].positive_probability != pc[i].positive_probability;
  }
  EXPECT_TRUE(differs);
}

TEST(TabularModel, EncodingsAndPaperPreset) {
  for (const char *enc : {"label", "embedding"}) {
    TrainedTabular m =
        train_classifier(products(), quick(true, std::string(R"(, "encoding": ")") + enc + "\""), cpu(), {});
    EXPECT_TRUE(std::isfinite(metric(m, "test", "model", "roc_auc"))) << enc;
    EXPECT_EQ(TabularScorer::load(m.blob, cpu())->predict(one_row(std::string("new"), 1)).size(), 1u);
  }
  TrainedTabular paper =
      train_classifier(products(), parse_tabular_options(true, R"({"preset": "paper", "epochs": 20})"), cpu(), {});
  EXPECT_TRUE(std::isfinite(metric(paper, "test", "model", "accuracy")));
  EXPECT_TRUE(std::isnan(metric(paper, "validation", "model", "accuracy")));  // 80/20, no validation part
}

TEST(TabularModel, RegressorMetricsAreFinite) {
  for (const char *loss : {"mse", "huber"}) {
    TrainedTabular m =
        train_regressor(products(), quick(false, std::string(R"(, "cv": 2, "loss": ")") + loss + "\""), cpu(), {});
    for (const char *name : {"mae", "rmse", "r2"}) {
      EXPECT_TRUE(std::isfinite(metric(m, "test", "model", name))) << name;
      EXPECT_TRUE(std::isfinite(metric(m, "test", "mean", name))) << name;
      EXPECT_TRUE(std::isfinite(metric(m, "cv", "model", std::string(name) + "_mean"))) << name;
    }
    EXPECT_GT(metric(m, "test", "model", "r2"), metric(m, "test", "mean", "r2"));
    auto v = TabularScorer::load(m.blob, cpu())->predict(one_row(std::string("red"), 5));
    EXPECT_TRUE(std::isfinite(v[0].value));
  }
}

TEST(TabularModel, TransferLearning) {
  TrainedTabular base = train_classifier(products(), quick(true), cpu(), {});
  // Same features: everything copies, frozen layers stay as they were.
  TrainedTabular same =
      train_classifier(products(), quick(true, R"(, "init_from": "base", "freeze": true)"), cpu(), {}, base.blob);
  EXPECT_NE(same.transfer.find("copied input, hidden1, output; re-initialised none; frozen input, hidden1"),
            std::string::npos)
      << same.transfer;
  // Different features and classes: the input and output layers start afresh.
  TabularRows other = products(LabelType::Text, 3);
  other.features.pop_back();
  TrainedTabular diff = train_classifier(other, quick(true, R"(, "init_from": "base")"), cpu(), {}, base.blob);
  EXPECT_NE(diff.transfer.find("copied hidden1; re-initialised input, output"), std::string::npos) << diff.transfer;
  // A regressor can start from a classifier's hidden layers.
  TrainedTabular reg = train_regressor(products(), quick(false, R"(, "init_from": "base")"), cpu(), {}, base.blob);
  EXPECT_NE(reg.transfer.find("re-initialised output"), std::string::npos);
  // Hidden sizes must match the source's.
  EXPECT_THROW(train_classifier(products(), parse_tabular_options(true, R"({"hidden": [4], "init_from": "base"})"),
                                cpu(), {}, base.blob),
               Error);
}

TEST(TabularModel, BadDataIsRefused) {
  TabularRows one = products();
  for (auto &l : one.labels) l = "1";
  try {
    train_classifier(one, quick(true), cpu(), {});
    FAIL();
  } catch (const Error &e) {
    EXPECT_EQ(e.kind(), ErrorKind::DataException);
    EXPECT_NE(std::string(e.what()).find("only one class"), std::string::npos);
  }
  EXPECT_THROW(train_classifier(products(), quick(true, R"(, "positive_class": "7")"), cpu(), {}), Error);
  TabularRows nan_target = products();
  nan_target.targets[3] = NAN;
  EXPECT_THROW(train_regressor(nan_target, quick(false), cpu(), {}), Error);
  EXPECT_THROW(TabularScorer::load("not a model", cpu()), Error);
}

TEST(TabularModel, ARegressorOfAConstantTargetLoadsAndPredictsIt) {
  TabularRows rows = products();
  for (auto &t : rows.targets) t = 42.0;  // no variance: r2, and so importance, are undefined
  TrainedTabular m = train_regressor(rows, quick(false), cpu(), {});
  auto scorer = TabularScorer::load(m.blob, cpu());
  const auto p = scorer->predict(one_row(std::string("red"), 3.0));
  ASSERT_EQ(p.size(), 1u);
  EXPECT_NEAR(p[0].value, 42.0, 0.1);  // the mean, up to what 30 epochs leave of the initial weights
  EXPECT_TRUE(std::isnan(scorer->importance().front().importance));
}

// xb_evaluate's core: the metrics of rows the model scores, by the same
// definitions as the test split's, beside the training rows' class shares
// (majority) or mean; rows of a class the model does not know are counted
// and left out; a label of another type is refused.
TEST(TabularModel, EvaluationScoresLabelledRowsBesideTheBaseline) {
  const TabularRows rows = products();
  const TrainedTabular m = train_classifier(rows, quick(true), cpu(), {});
  const auto scorer = TabularScorer::load(m.blob, cpu());
  TabularRows more = rows;
  more.labels[0] = "7";  // a class the model was not trained on
  const TabularScorer::Evaluation e = scorer->evaluate(more);
  EXPECT_EQ(e.rows, 199);
  EXPECT_EQ(e.unknown_labels, 1);

  const auto predictions = scorer->predict(more.features);
  double right = 0, loss = 0;
  for (std::size_t i = 1; i < predictions.size(); ++i) {
    right += predictions[i].label == more.labels[i];
    const double p =
        more.labels[i] == "2" ? predictions[i].positive_probability : 1 - predictions[i].positive_probability;
    loss -= std::log(p);
  }
  const auto value = [&](const std::string &estimator, const std::string &name) {
    for (const auto &r : e.metrics)
      if (r.split == "evaluation" && r.estimator == estimator && r.metric == name) return r.value;
    return std::nan("");
  };
  EXPECT_NEAR(value("model", "accuracy"), right / 199, 1e-12);
  EXPECT_NEAR(value("model", "log_loss"), loss / 199, 1e-9);
  EXPECT_DOUBLE_EQ(value("majority", "roc_auc"), 0.5);
  EXPECT_TRUE(std::isfinite(value("majority", "log_loss")));

  TabularRows as_text = rows;
  as_text.label_type = LabelType::Text;
  try {
    scorer->evaluate(as_text);
    FAIL() << "a text label for an integer-label model";
  } catch (const Error &err) {
    EXPECT_EQ(err.kind(), ErrorKind::DatatypeMismatch);
  }
  TabularRows none = rows;
  for (auto &label : none.labels) label = "7";
  EXPECT_THROW(scorer->evaluate(none), Error);

  const TrainedTabular r = train_regressor(rows, quick(false), cpu(), {});
  const auto regressor = TabularScorer::load(r.blob, cpu());
  const auto values = regressor->predict(rows.features);
  double sq = 0;
  for (std::size_t i = 0; i < values.size(); ++i) sq += std::pow(values[i].value - rows.targets[i], 2);
  const TabularScorer::Evaluation re = regressor->evaluate(rows);
  for (const auto &row : re.metrics)
    if (row.estimator == "model" && row.metric == "rmse") {
      EXPECT_NEAR(row.value, std::sqrt(sq / 200), 1e-9);
    }
  EXPECT_EQ(
      std::count_if(re.metrics.begin(), re.metrics.end(), [](const MetricRow &row) { return row.estimator == "mean"; }),
      4);  // mae, rmse, r2, rows
}

// One row is scored on BLAS (core/tabular/plain_mlp), many through
// LibTorch: the same numbers within 1e-5, for every head and encoding, an
// ensemble, unseen categories and missing values (issue 15).
TEST(TabularModel, OneRowOnBlasScoresAsLibTorchBatches) {
  struct Case {
    bool classifier;
    int classes;
    std::string extra;
  };
  const std::vector<Case> cases = {{true, 2, R"(, "encoding": "embedding", "ensemble": 2)"},
                                   {true, 2, R"(, "output": "sigmoid2")"},
                                   {true, 3, R"(, "encoding": "label")"},
                                   {false, 2, R"(, "encoding": "embedding")"}};
  for (const Case &c : cases) {
    const TabularRows rows = products(LabelType::Integer, c.classes);
    const TrainedTabular m = c.classifier ? train_classifier(rows, quick(true, c.extra), cpu(), {})
                                          : train_regressor(rows, quick(false, c.extra), cpu(), {});
    const auto scorer = TabularScorer::load(m.blob, cpu());
    std::vector<TabularColumn> all = rows.features;
    all[0].texts.push_back(std::string("never seen"));
    all[1].numbers.push_back(NAN);
    const auto batch = scorer->predict(all);
    ASSERT_EQ(batch.size(), 201u);
    for (std::size_t i = 0; i < batch.size(); ++i) {
      const auto one = scorer->predict(one_row(all[0].texts[i], all[1].numbers[i]));
      ASSERT_EQ(one.size(), 1u);
      if (c.classifier) {
        EXPECT_NEAR(one[0].label_probability, batch[i].label_probability, 1e-5) << c.extra << " row " << i;
        if (c.classes == 2) {
          EXPECT_NEAR(one[0].positive_probability, batch[i].positive_probability, 1e-5);
        }
      } else {
        EXPECT_NEAR(one[0].value, batch[i].value, 1e-5 * std::max(1.0, std::fabs(batch[i].value))) << "row " << i;
      }
    }
  }
}

// xb_retrain's comparison: the deployed version (trained on the first 150
// rows) and the new one (all 200) scored on the new version's test split,
// which holds every one of its first 150 rows that the old version held out
// and none that it trained on.
TEST(TabularModel, TwoVersionsAreComparedOnTheNewTestSplitWhichTheOldOneNeverTrainedOn) {
  const TabularRows all = products();
  TabularRows first = all;
  for (TabularColumn &c : first.features) {
    if (c.numeric)
      c.numbers.resize(150);
    else
      c.texts.resize(150);
  }
  first.labels.resize(150);
  first.targets.resize(150);
  const TrainedTabular old_version = train_classifier(first, quick(true), cpu(), {});
  const TrainedTabular new_version = train_classifier(all, quick(true), cpu(), {});
  ASSERT_FALSE(new_version.test_rows.empty());
  for (long r : new_version.test_rows)
    if (r < 150) EXPECT_TRUE(std::binary_search(old_version.test_rows.begin(), old_version.test_rows.end(), r)) << r;
  for (long r : old_version.test_rows)
    EXPECT_TRUE(std::binary_search(new_version.test_rows.begin(), new_version.test_rows.end(), r)) << r;

  const VersionComparison c =
      compare_on_rows(old_version.blob, new_version.blob, all, new_version.test_rows, cpu(), {});
  EXPECT_EQ(c.points, static_cast<long>(new_version.test_rows.size()));
  EXPECT_EQ(c.metric, "log_loss");
  EXPECT_NEAR(c.retrained, metric(new_version, "test", "model", "log_loss"), 1e-5);
  EXPECT_TRUE(std::isfinite(c.deployed));
  EXPECT_NE(c.deployed, c.retrained);
  EXPECT_EQ(c.retrained_not_worse(), c.retrained <= c.deployed);

  // A version refit on every row has no test split: nothing to compare on.
  const VersionComparison none = compare_on_rows(old_version.blob, new_version.blob, all, {}, cpu(), {});
  EXPECT_EQ(none.points, 0);
  EXPECT_NE(none.why_none.find("no test split"), std::string::npos) << none.why_none;
}

// Label smoothing moves a classifier's training targets towards uniform:
// trained long on the same rows, its probabilities of the predicted class
// stay near 1 - s + s / classes (0.73 for s = 0.4 and three classes) on
// average, where without it they go towards 1. A regressor has no such
// option, and no classifier smooths by default.
TEST(TabularModel, LabelSmoothingBoundsTheConfidence) {
  const auto mean_confidence = [](double smoothing) {
    const std::string extra =
        R"(, "epochs": 300, "patience": 300, "lr": 0.05, "label_smoothing": )" + std::to_string(smoothing);
    auto scorer =
        TabularScorer::load(train_classifier(products(LabelType::Text, 3), quick(true, extra), cpu(), {}).blob, cpu());
    double sum = 0;
    const auto predictions = scorer->predict(products(LabelType::Text, 3).features);
    for (const auto &p : predictions) sum += p.label_probability;
    return sum / static_cast<double>(predictions.size());
  };
  const double plain = mean_confidence(0), smoothed = mean_confidence(0.4);
  std::cout << "mean confidence " << plain << " without, " << smoothed << " with label smoothing 0.4\n";
  EXPECT_GT(plain, smoothed + 0.1);
  EXPECT_LT(smoothed, 0.76);
  EXPECT_GT(smoothed, 0.5);
  EXPECT_THROW(parse_tabular_options(false, R"({"label_smoothing": 0.1})"), Error);
  EXPECT_THROW(parse_tabular_options(true, R"({"label_smoothing": 0.6})"), Error);
  EXPECT_EQ(parse_tabular_options(true, "{}").label_smoothing, 0);
  TabularOptions image = parse_tabular_options(true, "{}");
  image.apply_image_defaults();
  EXPECT_EQ(image.label_smoothing, 0) << "not an image default: it gained 2 of 5,000 held-out pictures (README)";
}

TEST(TabularModel, ACosineScheduleLowersTheLearningRateToZeroOverTheEpochs) {
  const std::string extra = R"(, "epochs": 10, "patience": 100, "lr": 0.01, "lr_schedule": "cosine")";
  const TrainedTabular m = train_classifier(products(), quick(true, extra), cpu(), {});
  ASSERT_EQ(m.epochs.size(), 10u);
  for (std::size_t e = 0; e < m.epochs.size(); ++e)  // each epoch starts where half a cosine over 10 epochs is
    EXPECT_NEAR(m.epochs[e].lr, 0.005 * (1 + std::cos(M_PI * static_cast<double>(e) / 10)), 1e-9) << "epoch " << e + 1;
  EXPECT_NE(m.hyperparameters_json.find(R"("lr_schedule":"cosine")"), std::string::npos) << m.hyperparameters_json;
  // Without a validation part too (every epoch runs, the last weights stay).
  const TrainedTabular no_val = train_classifier(products(), quick(true, extra + R"(, "val_fraction": 0)"), cpu(), {});
  ASSERT_EQ(no_val.epochs.size(), 10u);
  EXPECT_NEAR(no_val.epochs.back().lr, 0.005 * (1 + std::cos(M_PI * 9 / 10)), 1e-9);
  // Every epoch runs: stopped early, the schedule would end unannealed. At
  // a rate this high the validation loss soon fails to improve, and the
  // plateau schedule stops there.
  const std::string unstable = R"(, "epochs": 8, "patience": 0, "lr": 1)";
  EXPECT_LT(train_classifier(products(), quick(true, unstable), cpu(), {}).epochs.size(), 8u);
  EXPECT_EQ(
      train_classifier(products(), quick(true, unstable + R"(, "lr_schedule": "cosine")"), cpu(), {}).epochs.size(),
      8u);
  // The plateau schedule without lr_decay keeps the rate.
  const TrainedTabular plain = train_classifier(products(), quick(true, R"(, "epochs": 5, "lr": 0.01)"), cpu(), {});
  for (const auto &e : plain.epochs) EXPECT_DOUBLE_EQ(e.lr, 0.01);
  EXPECT_EQ(plain.hyperparameters_json.find("lr_schedule"), std::string::npos);
  TabularOptions image = parse_tabular_options(true, "{}"),
                 given = parse_tabular_options(true, R"({"lr_schedule": "plateau"})");
  image.apply_image_defaults();
  given.apply_image_defaults();
  EXPECT_EQ(image.lr_schedule, "cosine") << "the image default, chosen on held-out training pictures (README)";
  EXPECT_EQ(given.lr_schedule, "plateau");
  EXPECT_THROW(parse_tabular_options(true, R"({"lr_schedule": "step"})"), Error);
  EXPECT_THROW(parse_tabular_options(true, R"({"lr_schedule": 1})"), Error);
}
