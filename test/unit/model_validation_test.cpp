// A blob is validated whole before anything is built from it, and training
// estimates its memory before it allocates (the security issue's items 3-5):
//   - the shape a blob declares is checked against the weight bytes it
//     carries, with the parameter count computed from the shape (tested here
//     against the networks LibTorch builds);
//   - a classifier's head, outputs, classes and positive index must agree;
//   - training refuses a request over xb.max_train_memory with ResourceLimit.
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <limits>
#include <cmath>
#include <nlohmann/json.hpp>

#include "core/common/blob.hpp"
#include "core/common/error.hpp"
#include "core/forecast/forecast.hpp"
#include "core/forecast/calendar.hpp"
#include "core/forecast/forecaster.hpp"
#include "core/forecast/nets.hpp"
#include "core/model_info.hpp"
#include "core/tabular/mlp.hpp"
#include "core/tabular/model.hpp"
#include "core/tabular/scorer.hpp"
#include "unit_runtime.hpp"

using namespace xb;
using nlohmann::json;
using xb::unit::cpu;

namespace {

std::int64_t stored_values(torch::nn::Module &m) {
  std::int64_t n = 0;
  for (const auto &p : m.parameters()) n += p.numel();
  for (const auto &b : m.buffers()) n += b.numel();
  return n;
}

SeriesRows weekly_rows() {
  SeriesRows r;
  r.feature_names = {"price"};
  for (int k = 0; k < 2; ++k)
    for (int t = 0; t < 40; ++t) {
      r.series_key.push_back("s" + std::to_string(k));
      r.time.push_back(static_cast<Micros>(t) * 7 * kMicrosPerDay);
      r.target.push_back(100 + 10 * k + 5 * std::sin(t * 0.7) + t);
      r.features.push_back(1.0 + 0.1 * (t % 3));
    }
  return r;
}

TabularRows products() {
  TabularRows r;
  r.label_name = "label";
  r.label_type = LabelType::Text;
  TabularColumn colour{"colour", false, {}, {}}, price{"price", true, {}, {}};
  const char *colours[] = {"red", "blue", "green"};
  for (int i = 0; i < 90; ++i) {
    colour.texts.push_back(std::string(colours[i % 3]));
    price.numbers.push_back(i % 7);
    r.labels.push_back(i % 3 == 0 || i % 7 > 4 ? "yes" : "no");
  }
  r.features = {colour, price};
  return r;
}

std::string reseal(const std::string &blob, const std::function<void(json &)> &change) {
  ModelBlob b = decode_blob(blob);
  json state = json::parse(b.state_json);
  change(state);
  b.state_json = state.dump();
  return encode_blob(b);
}

}  // namespace

TEST(ModelValidation, ForecastParameterCountMatchesTheBuiltNetwork) {
  for (const std::string arch : {"gru", "lstm", "attention_lstm", "transformer"})
    for (int layers : {1, 2})
      for (int embedding : {0, 3}) {
        NetShape s;
        s.arch = arch;
        s.past_dim = 5;
        s.future_dim = 4;
        s.lookback = 9;
        s.horizon = 3;
        s.hidden = 8;
        s.layers = layers;
        s.heads = 2;
        s.series_count = 4;
        s.embedding_dim = embedding;
        ForecastNet net(s);
        EXPECT_EQ(parameter_count(s), stored_values(*net))
            << arch << " layers " << layers << " embedding " << embedding;
      }
}

TEST(ModelValidation, MlpParameterCountMatchesTheBuiltNetwork) {
  MlpShape s;
  s.dense_dim = 6;
  s.cardinalities = {5, 3};
  s.embedding_dims = {2, 4};
  s.hidden = {7, 3};
  s.outputs = 3;
  Mlp net(s);
  EXPECT_EQ(s.parameter_count(), stored_values(*net));
}

TEST(ModelValidation, ADeclaredNetworkLargerThanItsWeightsIsRefusedBeforeItIsBuilt) {
  const std::string blob =
      train_forecaster(weekly_rows(), parse_forecast_options("gru", 3, R"({"epochs": 1, "hidden": 4, "seed": 1})"),
                       cpu(), {})
          .blob;
  // The attack of the issue: a 77 kB blob declaring 32 members of 16 layers of 4096.
  const std::string huge = reseal(blob, [](json &s) {
    s["options"]["hidden"] = 4096;
    s["options"]["layers"] = 16;
    s["options"]["ensemble"] = 32;
  });
  const auto start = std::chrono::steady_clock::now();
  try {
    describe_model(huge, cpu());
    FAIL() << "accepted";
  } catch (const Error &e) {
    EXPECT_EQ(e.kind(), ErrorKind::CorruptModel);
    EXPECT_NE(std::string(e.what()).find("larger than its weights"), std::string::npos) << e.what();
  }
  EXPECT_THROW(forecast(huge, 0, cpu(), {}), Error);
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), 2.0);
  // Beyond the shared bounds: refused by the state reader itself.
  EXPECT_THROW(describe_model(reseal(blob, [](json &s) { s["options"]["hidden"] = 5000; }), cpu()), Error);
}

TEST(ModelValidation, AClassifierHeadMustAgreeWithItsClassesAndOutputs) {
  const std::string blob =
      train_classifier(products(), parse_tabular_options(true, R"({"epochs": 3, "hidden": [4], "seed": 2})"), cpu(), {})
          .blob;
  EXPECT_NO_THROW(TabularScorer::load(blob, cpu()));
  const auto refused = [&](const std::function<void(json &)> &change) {
    try {
      TabularScorer::load(reseal(blob, change), cpu());
      return false;
    } catch (const Error &e) {
      return e.kind() == ErrorKind::CorruptModel;
    }
  };
  // The issue's blob: a softmax head of 4 classes on a one-output network, positive = the last class.
  EXPECT_TRUE(refused([](json &s) {
    s["head"] = "softmax";
    s["classes"] = {"a", "b", "c", "d"};
    s["positive"] = 3;
  }));
  EXPECT_TRUE(refused([](json &s) { s["classes"] = json::array({"a", "b", "c"}); }));
  EXPECT_TRUE(refused([](json &s) { s["positive"] = -7; }));
  EXPECT_TRUE(refused([](json &s) { s["positive"] = 2; }));
  EXPECT_TRUE(refused([](json &s) { s["shape"]["outputs"] = 2000000; }));
  EXPECT_TRUE(refused([](json &s) { s["shape"]["hidden"] = {4096, 4096, 4096}; }));
  EXPECT_TRUE(refused([](json &s) { s["members"] = 32; }));
  // A decision threshold lies strictly between 0 and 1, on a binary head with
  // a positive class; a forged one is refused, never used.
  for (const json &t : {json(0.0), json(1.0), json(-0.5), json(1.5), json("0.5"), json(nullptr)})
    EXPECT_TRUE(refused([&](json &s) { s["threshold"] = t; })) << t.dump();
  EXPECT_TRUE(refused([](json &s) {
    s["threshold"] = 0.3;
    s["positive"] = -1;
  }));
  EXPECT_FALSE(refused([](json &s) { s["threshold"] = 0.3; }));
  // The training rows' class shares (an evaluation's majority baseline): one
  // per class, each from 0 to 1, summing to 1; blobs before 0.2.0 have none.
  for (const json &p : {json::array({0.5}), json::array({0.5, 0.5, 0.0}), json::array({-0.1, 1.1}),
                        json::array({0.0, 0.0}), json::array({0.9, 0.9}), json::array({"a", "b"}), json(0.5)})
    EXPECT_TRUE(refused([&](json &s) { s["prior"] = p; })) << p.dump();
  EXPECT_FALSE(refused([](json &s) { s.erase("prior"); }));
}

TEST(ModelValidation, TrainingOverTheMemoryLimitIsRefusedUpFront) {
  const double limit = 8.0 * 1024 * 1024;
  try {
    train_forecaster(weekly_rows(),
                     parse_forecast_options("gru", 3, R"({"epochs": 1, "hidden": 1024, "layers": 4, "ensemble": 8})"),
                     cpu(limit), {});
    FAIL() << "trained";
  } catch (const Error &e) {
    EXPECT_EQ(e.kind(), ErrorKind::ResourceLimit);
    EXPECT_NE(std::string(e.what()).find("over the limit of 8 MB"), std::string::npos) << e.what();
  }
  try {
    train_classifier(products(), parse_tabular_options(true, R"({"epochs": 1, "hidden": [4096, 4096]})"), cpu(limit),
                     {});
    FAIL() << "trained";
  } catch (const Error &e) {
    EXPECT_EQ(e.kind(), ErrorKind::ResourceLimit);
  }
  EXPECT_NO_THROW(
      train_classifier(products(), parse_tabular_options(true, R"({"epochs": 1, "hidden": [4]})"), cpu(limit), {}));
}

TEST(ModelValidation, AClassifierStateIsReadStrictly) {
  const std::string blob =
      train_classifier(products(), parse_tabular_options(true, R"({"epochs": 1, "hidden": [4], "seed": 2})"), cpu(), {})
          .blob;
  const auto refused = [&](const std::function<void(json &)> &change) {
    try {
      TabularScorer::load(reseal(blob, change), cpu());
      return false;
    } catch (const Error &e) {
      return e.kind() == ErrorKind::CorruptModel;
    }
  };
  // Integers that a lenient read would wrap into a valid index or count.
  EXPECT_TRUE(refused([](json &s) { s["positive"] = std::int64_t(1) << 53; }));
  EXPECT_TRUE(refused([](json &s) { s["positive"] = std::numeric_limits<std::uint64_t>::max(); }));
  EXPECT_TRUE(refused([](json &s) { s["members"] = 1.5; }));
  EXPECT_TRUE(refused([](json &s) { s["members"] = (std::int64_t(1) << 32) + 1; }));
  // Scoring turns labels into numbers: text classes cannot be read as integers.
  EXPECT_TRUE(refused([](json &s) { s["label_type"] = "integer"; }));
  EXPECT_TRUE(refused([](json &s) { s["label_type"] = "boolean"; }));
  EXPECT_TRUE(refused([](json &s) { s["target_std"] = 0; }));
  EXPECT_NO_THROW(TabularScorer::load(reseal(blob, [](json &s) { s["positive"] = 0; }), cpu()));
}

TEST(ModelValidation, NonFiniteOutputsAreRefused) {
  const auto data_exception = [](const std::function<void()> &f) {
    try {
      f();
      return false;
    } catch (const Error &e) {
      return e.kind() == ErrorKind::DataException;
    }
  };
  // Prices near the double range overflow the network's float input: each
  // row is refused or gives probabilities, never NaN or inf, and at least
  // one of them does overflow (a softmax of infinite logits is NaN).
  TabularRows three_classes = products();
  for (std::size_t i = 0; i < three_classes.labels.size(); ++i) three_classes.labels[i] = std::string(1, 'a' + i % 3);
  const auto scorer = TabularScorer::load(
      train_classifier(three_classes, parse_tabular_options(true, R"({"epochs": 1, "hidden": [4], "seed": 2})"), cpu(),
                       {})
          .blob,
      cpu());
  int refused = 0;
  for (double price : {1e300, -1e300, 3e38, -3e38, 1e30, -1e30}) {
    TabularColumn colour{"colour", false, {}, {std::string("red")}}, prices{"price", true, {price}, {}};
    if (data_exception([&] {
          const TabularPrediction p = scorer->predict({colour, prices}).at(0);
          EXPECT_TRUE(std::isfinite(p.label_probability) && p.label_probability >= 0 && p.label_probability <= 1)
              << "price " << price << ": " << p.label_probability;
        }))
      ++refused;
  }
  EXPECT_GT(refused, 0);

  const std::string network =
      train_forecaster(weekly_rows(), parse_forecast_options("gru", 3, R"({"epochs": 1, "hidden": 4, "seed": 1})"),
                       cpu(), {})
          .blob;
  EXPECT_NO_THROW(forecast(network, 0, cpu(), {}));
  // Each finite, their product (the interval's half-width) is not.
  EXPECT_TRUE(data_exception([&] {
    forecast(reseal(network,
                    [](json &s) {
                      s["series"][0]["scaler"][1] = 1e300;
                      s["conformal_q"][0] = 1e300;
                    }),
             0, cpu(), {});
  }));

  const std::string statistical =
      train_forecaster(weekly_rows(), parse_forecast_options("auto", 3, R"({"networks": false})"), cpu(), {}).blob;
  EXPECT_NO_THROW(forecast(statistical, 0, cpu(), {}));
  EXPECT_TRUE(data_exception([&] {
    forecast(reseal(statistical,
                    [](json &s) {
                      s["conformal_q"][0] = 1e300;
                      s["series"][0]["scale"] = 1e300;
                    }),
             0, cpu(), {});
  }));
}

// An export carries its version's metrics (reported_metrics): every kind
// still loads and forecasts or scores as before, describe_model shows them,
// and a forged list (too long, an unknown split, a non-number, a label with
// control characters) is refused like any other damage.
TEST(ModelValidation, ReportedMetricsTravelWithTheBlobAndAreChecked) {
  const TrainedForecaster net =
      train_forecaster(weekly_rows(), parse_forecast_options("gru", 3, R"({"epochs": 1, "lookback": 6})"), cpu(), {});
  const TrainedForecaster stat = train_forecaster(weekly_rows(), parse_forecast_options("snaive", 3, "{}"), cpu(), {});
  const std::string reco =
      train_classifier(products(), parse_tabular_options(true, R"({"epochs": 2, "hidden": [4]})"), cpu(), {}).blob;
  for (const TrainedForecaster *m : {&net, &stat}) {
    const std::string exported = with_reported_metrics(m->blob, m->metrics);
    const json info = json::parse(describe_model(exported, cpu()));
    ASSERT_EQ(info.at("reported_metrics").size(), m->metrics.size());
    EXPECT_EQ(info.at("reported_metrics")[0].at("split"), m->metrics[0].split);
    const auto before = forecast(m->blob, 0, cpu(), {}), after = forecast(exported, 0, cpu(), {});
    ASSERT_EQ(before.size(), after.size());
    for (std::size_t i = 0; i < before.size(); ++i) EXPECT_EQ(before[i].yhat, after[i].yhat);
    EXPECT_FALSE(json::parse(describe_model(m->blob, cpu())).contains("reported_metrics"));
  }
  const std::string reco_exported = with_reported_metrics(reco, {{"test", "model", "accuracy", 0.75}});
  EXPECT_EQ(json::parse(describe_model(reco_exported, cpu())).at("reported_metrics")[0].at("value"), 0.75);
  EXPECT_NO_THROW(TabularScorer::load(reco_exported, cpu()));

  const auto refused = [&](const json &rows) {
    try {
      describe_model(reseal(reco, [&](json &s) { s["reported_metrics"] = rows; }), cpu());
      return false;
    } catch (const Error &e) {
      return e.kind() == ErrorKind::CorruptModel;
    }
  };
  const json good = {{"split", "test"}, {"estimator", "model"}, {"metric", "accuracy"}, {"value", 0.7}};
  EXPECT_FALSE(refused(json::array({good})));
  EXPECT_FALSE(
      refused(json::array({json{{"split", "cv"}, {"estimator", "majority"}, {"metric", "f1"}, {"value", nullptr}}})));
  EXPECT_TRUE(
      refused(json::array({json{{"split", "future"}, {"estimator", "model"}, {"metric", "f1"}, {"value", 1}}})));
  EXPECT_TRUE(
      refused(json::array({json{{"split", "test"}, {"estimator", "model"}, {"metric", "f1"}, {"value", "1"}}})));
  EXPECT_TRUE(
      refused(json::array({json{{"split", "test"}, {"estimator", "mo\ndel"}, {"metric", "f1"}, {"value", 1}}})));
  EXPECT_TRUE(refused(json::array(
      {json{{"split", "test"}, {"estimator", "model"}, {"metric", std::string(5000, 'x')}, {"value", 1}}})));
  EXPECT_FALSE(refused(json::array({json{{"split", "test"},
                                         {"estimator", "model"},
                                         {"metric", "confusion:actual=caf\u00e9,predicted=th\u00e9"},
                                         {"value", 3}}})));  // class names in any language
  EXPECT_TRUE(refused(json{{"split", "test"}}));
  EXPECT_TRUE(refused(json::array({good, 7})));
  json many = json::array();
  for (std::size_t i = 0; i <= kMaxReportedMetrics; ++i) many.push_back(good);
  EXPECT_TRUE(refused(many));
}

// Interval levels beside the trained one: each a level strictly between 0
// and 1 with a finite non-negative width per step, at most 16 of them, no
// level twice; anything else is refused as damage. Without them (blobs
// before 0.2.0) only the trained level is offered, by name.
TEST(ModelValidation, IntervalLevelsAreCheckedAndOldBlobsKeepTheirTrainedLevel) {
  for (const std::string arch : {"gru", "snaive"}) {
    const std::string blob =
        train_forecaster(weekly_rows(),
                         parse_forecast_options(arch, 3, arch == "gru" ? R"({"epochs": 1, "lookback": 6})" : "{}"),
                         cpu(), {})
            .blob;
    const auto refused = [&](const std::function<void(json &)> &change) {
      try {
        forecast(reseal(blob, change), 0, cpu(), {});
        return false;
      } catch (const Error &e) {
        return e.kind() == ErrorKind::CorruptModel;
      }
    };
    EXPECT_FALSE(refused([](json &) {})) << arch;
    EXPECT_TRUE(refused([](json &s) { s["interval_levels"][0][0] = 1.5; })) << arch;
    EXPECT_TRUE(refused([](json &s) { s["interval_levels"][0][1] = json::array({1.0}); })) << arch;
    EXPECT_TRUE(refused([](json &s) { s["interval_levels"][0][1][0] = -1.0; })) << arch;
    EXPECT_TRUE(refused([](json &s) { s["interval_levels"][1][0] = s["interval_levels"][0][0]; })) << arch;
    EXPECT_TRUE(refused([](json &s) {
      for (int i = 0; i < 20; ++i) s["interval_levels"].push_back(s["interval_levels"][0]);
    })) << arch;
    EXPECT_TRUE(refused([](json &s) { s["interval_levels"] = "0.8"; })) << arch;

    const std::string old = reseal(blob, [](json &s) { s.erase("interval_levels"); });
    FutureInputs at80;
    at80.level = 0.8;
    EXPECT_NO_THROW(forecast(old, 0, cpu(), {})) << arch;
    try {
      forecast(old, 0, cpu(), {}, at80);
      FAIL() << arch << ": a level the blob does not have";
    } catch (const Error &e) {
      EXPECT_EQ(e.kind(), ErrorKind::InvalidParameter);
      EXPECT_NE(e.hint().find("trained before 0.2.0"), std::string::npos) << e.hint();
    }
  }
}
