#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <functional>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>

#include "core/forecast/calendar.hpp"
#include "core/common/blob.hpp"
#include "core/common/error.hpp"
#include "core/common/torch_api.hpp"
#include "core/forecast/forecast.hpp"
#include "core/forecast/forecaster.hpp"
#include "core/forecast/trainer.hpp"
#include "core/model_info.hpp"
#include "unit_runtime.hpp"

using namespace xb;
using xb::unit::cpu;
using xb::unit::device_under_test;

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

}  // namespace

TEST(Forecaster, EachArchitectureTrainsAndForecasts) {
  for (const auto &arch : forecast_architectures()) {
    TrainedForecaster m = train_forecaster(synthetic(), small(arch), device_under_test(), {});
    EXPECT_EQ(m.series_used, 3) << arch;
    EXPECT_FALSE(m.epochs.empty()) << arch;
    auto points = forecast(m.blob, 0, device_under_test(), {});
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

// precision bf16: each step's forward pass under bf16 autocast. Every
// architecture trains and forecasts finite values, learns as fp32 does (its
// training loss falls as far, within bf16's coarser rounding), the weights
// stay fp32 (a plain forecast reads them), and autocast is off afterwards.
TEST(Forecaster, Bf16AutocastTrainsEveryArchitectureAsFp32Does) {
  for (const auto &arch : forecast_architectures()) {
    ForecastOptions fp32 = parse_forecast_options(arch, 4, R"({"epochs": 6, "lookback": 8, "hidden": 16, "seed": 3})");
    ForecastOptions bf16 = parse_forecast_options(
        arch, 4, R"({"epochs": 6, "lookback": 8, "hidden": 16, "seed": 3, "precision": "bf16"})");
    const TrainedForecaster a = train_forecaster(synthetic(), fp32, device_under_test(), {});
    const TrainedForecaster b = train_forecaster(synthetic(), bf16, device_under_test(), {});
    EXPECT_NE(b.hyperparameters_json.find("\"precision\":\"bf16\""), std::string::npos) << b.hyperparameters_json;
    ASSERT_EQ(a.epochs.size(), b.epochs.size()) << arch;
    // bf16's rounding shows in the losses: autocast did run.
    EXPECT_NE(a.epochs.back().train_loss, b.epochs.back().train_loss) << arch;
    const double fell_a = a.epochs.front().train_loss - a.epochs.back().train_loss;
    const double fell_b = b.epochs.front().train_loss - b.epochs.back().train_loss;
    EXPECT_GT(fell_b, 0.5 * fell_a) << arch << ": fp32 " << fell_a << ", bf16 " << fell_b;
    EXPECT_LT(std::abs(b.epochs.back().train_loss - a.epochs.back().train_loss), 0.1 * a.epochs.front().train_loss)
        << arch;
    for (const auto &p : forecast(b.blob, 0, device_under_test(), {})) EXPECT_TRUE(std::isfinite(p.yhat)) << arch;
    EXPECT_FALSE(xb_torch::autocast_on(torch::kCPU)) << arch;
    EXPECT_FALSE(xb_torch::autocast_on(torch::Device(torch::kCUDA, 0))) << arch;
  }
}

TEST(Forecaster, SameSeedSameForecast) {
  auto a = forecast(train_forecaster(synthetic(), small("gru"), cpu(), {}).blob, 0, cpu(), {});
  auto b = forecast(train_forecaster(synthetic(), small("gru"), cpu(), {}).blob, 0, cpu(), {});
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].yhat, b[i].yhat);
}

// Two threads split each mini-batch into two shards (core/common/data_parallel),
// dropout drawn per shard: a seed still gives one model, and the shards'
// gradient is the batch's, so the model learns as well as on one thread.
TEST(Forecaster, TwoThreadsTrainInShardsTheSameForASeed) {
  const RuntimeSettings two{"cpu", 2};
  const ForecastOptions o = parse_forecast_options(
      "gru", 4, R"({"epochs": 8, "lookback": 8, "hidden": 16, "seed": 3, "batch_size": 32, "dropout": 0.2})");
  const TrainedForecaster a = train_forecaster(synthetic(), o, two, {});
  const TrainedForecaster b = train_forecaster(synthetic(), o, two, {});
  const TrainedForecaster one = train_forecaster(synthetic(), o, cpu(), {});
  const auto fa = forecast(a.blob, 0, cpu(), {}), fb = forecast(b.blob, 0, cpu(), {});
  ASSERT_EQ(fa.size(), fb.size());
  for (std::size_t i = 0; i < fa.size(); ++i) EXPECT_EQ(fa[i].yhat, fb[i].yhat);
  ASSERT_EQ(a.epochs.size(), one.epochs.size());
  // Not the same numbers as one thread (other dropout draws, other sums),
  // but the same descent: the last epoch's training loss within 25 %.
  EXPECT_NE(a.epochs.back().train_loss, one.epochs.back().train_loss);
  EXPECT_NEAR(a.epochs.back().train_loss, one.epochs.back().train_loss, 0.25 * one.epochs.back().train_loss);
  EXPECT_LT(a.epochs.back().train_loss, a.epochs.front().train_loss);
}

// An ensemble's members train side by side on two threads, one each
// (forecaster.cpp): without dropout the ensemble one thread gives, and with
// it one ensemble per seed; progress comes on the calling thread, and an
// interrupt asked there ends the training.
TEST(Forecaster, EnsembleMembersTrainSideBySideOnTwoThreads) {
  const RuntimeSettings two{"cpu", 2};
  const auto options = [](double dropout) {
    return parse_forecast_options(
        "gru", 4,
        R"({"epochs": 5, "lookback": 8, "hidden": 16, "seed": 3, "ensemble": 3, "dropout": )" +
            std::to_string(dropout) + "}");
  };
  xb::unit::ProgressOnCaller progress;
  const TrainedForecaster side = train_forecaster(synthetic(), options(0), two, progress.hooks());
  const TrainedForecaster one = train_forecaster(synthetic(), options(0), cpu(), {});
  EXPECT_EQ(progress.epochs, static_cast<int>(side.epochs.size()));
  EXPECT_FALSE(progress.elsewhere);
  ASSERT_EQ(side.epochs.size(), one.epochs.size());
  for (std::size_t i = 0; i < one.epochs.size(); ++i) {
    EXPECT_EQ(side.epochs[i].member, one.epochs[i].member);
    EXPECT_EQ(side.epochs[i].train_loss, one.epochs[i].train_loss) << i;
  }
  const auto fs = forecast(side.blob, 0, cpu(), {}), fo = forecast(one.blob, 0, cpu(), {});
  ASSERT_EQ(fs.size(), fo.size());
  for (std::size_t i = 0; i < fs.size(); ++i) EXPECT_EQ(fs[i].yhat, fo[i].yhat);

  const auto fa = forecast(train_forecaster(synthetic(), options(0.2), two, {}).blob, 0, cpu(), {});
  const auto fb = forecast(train_forecaster(synthetic(), options(0.2), two, {}).blob, 0, cpu(), {});
  ASSERT_EQ(fa.size(), fb.size());
  for (std::size_t i = 0; i < fa.size(); ++i) EXPECT_EQ(fa[i].yhat, fb[i].yhat);

  int asked = 0;
  TrainHooks cancel;
  cancel.interrupted = [&] { return ++asked > 3; };
  ForecastOptions long_one = options(0);
  long_one.epochs = 100000;
  long_one.patience = 100000;
  try {
    train_forecaster(synthetic(), long_one, two, cancel);
    ADD_FAILURE() << "not interrupted";
  } catch (const Error &e) {
    EXPECT_EQ(e.kind(), ErrorKind::Interrupted);
  }
}

// Predictions split over two threads (core/common/data_parallel) are those
// of one thread.
TEST(Forecaster, PredictionsOnTwoThreadsAreThoseOfOne) {
  NetShape shape;
  shape.arch = "gru";
  shape.past_dim = 3;
  shape.future_dim = 2;
  shape.lookback = 6;
  shape.horizon = 4;
  shape.hidden = 8;
  shape.layers = 1;
  shape.dropout = 0.1;
  torch::manual_seed(5);
  ForecastNet net(shape);
  WindowBatch b{torch::randn({1300, 6, 3}), torch::randn({1300, 4, 2}), torch::randn({1300, 4}),
                torch::zeros({1300}, torch::kLong)};
  const int was = at::get_num_threads();
  at::set_num_threads(1);
  const auto one = predict(net, b, torch::kCPU, {});
  at::set_num_threads(2);
  const auto two = predict(net, b, torch::kCPU, {});
  EXPECT_EQ(at::get_num_threads(), 2);
  at::set_num_threads(was);
  ASSERT_EQ(two.sizes(), one.sizes());
  EXPECT_TRUE(torch::allclose(one, two, 1e-5, 1e-6));
}

TEST(Forecaster, MetricsCoverEverySplitAndTheBaseline) {
  TrainedForecaster m = train_forecaster(synthetic(), small("gru"), device_under_test(), {});
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
  train_forecaster(synthetic(), small("gru"), device_under_test(), hooks);
  EXPECT_EQ(seen, 3);

  TrainHooks stop;
  stop.interrupted = [] { return true; };
  try {
    train_forecaster(synthetic(), small("gru"), device_under_test(), stop);
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
}

namespace {

bool any_notice(const std::vector<std::string> &notices, const std::string &part) {
  return std::any_of(notices.begin(), notices.end(),
                     [&](const std::string &n) { return n.find(part) != std::string::npos; });
}

}  // namespace

// issue 13's one rule for short series, for the networks: a series too
// short for the windows is forecast by auto's statistical members, named in
// a NOTICE, never dropped; when no series is long enough the whole model is
// statistical. Its points come with the network's, at any interval level;
// explanations stay the network's; a blob that gives a series to both is
// refused.
TEST(Forecaster, SeriesTooShortForTheNetworkAreForecastByTheStatisticalMembers) {
  std::vector<std::string> notices;
  TrainHooks hooks;
  hooks.notice = [&](const std::string &n) { notices.push_back(n); };
  const TrainedForecaster none = train_forecaster(synthetic(12), small("gru"), cpu(), hooks);
  EXPECT_EQ(none.arch, "auto");
  EXPECT_EQ(forecast(none.blob, 0, cpu(), {}).size(), 3u * 4u);
  EXPECT_TRUE(any_notice(notices,
                         "no series is long enough for lookback 8 and horizon 4 of arch gru: every series "
                         "is forecast by auto's statistical members instead"));

  SeriesRows r = synthetic();
  for (int t = 0; t < 3; ++t) {
    r.series_key.push_back("tiny");
    r.time.push_back(static_cast<Micros>(t) * 7 * kMicrosPerDay);
    r.target.push_back(10 + t);
    r.features.push_back(1);
  }
  notices.clear();
  const TrainedForecaster m = train_forecaster(r, small("gru"), cpu(), hooks);
  EXPECT_EQ(m.arch, "gru");
  EXPECT_EQ(m.series_used, 3);
  EXPECT_EQ(m.series_skipped, 1);
  EXPECT_TRUE(any_notice(notices,
                         "1 series too short for lookback 8 and horizon 4 of arch gru are forecast by auto's "
                         "statistical members instead: \"tiny\" (3 points)"));
  for (const double level : {0.0, 0.8}) {
    FutureInputs at;
    at.level = level;
    const auto points = forecast(m.blob, 0, cpu(), {}, at);
    ASSERT_EQ(points.size(), 4u * 4u) << level;
    long tiny = 0;
    for (const auto &p : points) {
      EXPECT_TRUE(std::isfinite(p.yhat) && p.lo <= p.yhat && p.yhat <= p.hi) << p.series;
      if (p.series == "tiny") {
        EXPECT_EQ(p.ts, (3 + tiny) * 7 * kMicrosPerDay) << "the steps after its own last point";
        ++tiny;
      }
    }
    EXPECT_EQ(tiny, 4) << level;
  }
  const auto info = nlohmann::json::parse(describe_model(m.blob, cpu()));
  EXPECT_EQ(info.at("series"), 4);
  EXPECT_TRUE(info.at("fallback_recipes").contains("tiny")) << info.dump();
  for (const auto &row : explain_forecast(m.blob, 0, cpu(), {})) EXPECT_NE(row.series, "tiny");

  ModelBlob b = decode_blob(m.blob);
  auto state = nlohmann::json::parse(b.state_json);
  state["fallback"]["series"][0]["key"] = state["series"][0]["key"];
  b.state_json = state.dump();
  try {
    forecast(encode_blob(b), 0, cpu(), {});
    ADD_FAILURE() << "a series given twice";
  } catch (const Error &e) {
    EXPECT_EQ(e.kind(), ErrorKind::CorruptModel) << e.what();
  }
}

TEST(Forecaster, HorizonBeyondTrainedAndCorruptBlobAreRefused) {
  TrainedForecaster m = train_forecaster(synthetic(), small("gru"), device_under_test(), {});
  EXPECT_EQ(forecast(m.blob, 2, device_under_test(), {}).size(), 3u * 2u);
  EXPECT_THROW(forecast(m.blob, 5, device_under_test(), {}), Error);
  EXPECT_THROW(forecast(m.blob, -1, device_under_test(), {}), Error);
  std::string bad = m.blob;
  bad[bad.size() / 2] ^= 1;
  try {
    forecast(bad, 0, device_under_test(), {});
    FAIL();
  } catch (const Error &e) {
    EXPECT_EQ(e.kind(), ErrorKind::CorruptModel);
  }
}

// A blob holds no device: a network trained on one loads and forecasts on
// another, to float precision. With XB_UNIT_DEVICE=cuda this is CUDA to CPU
// and CPU to "auto" (CUDA where there is one). On a CPU-only build both
// sides are the CPU: it then proves only that the device setting is not part
// of the model and that "auto" loads what "cpu" trained.
TEST(Forecaster, ANetworkTrainedOnOneDeviceForecastsOnAnother) {
  const auto expect_close = [](const std::vector<ForecastPoint> &a, const std::vector<ForecastPoint> &b,
                               const std::string &what) {
    ASSERT_EQ(a.size(), b.size()) << what;
    for (std::size_t i = 0; i < a.size(); ++i) {
      EXPECT_EQ(a[i].series, b[i].series) << what;
      EXPECT_EQ(a[i].ts, b[i].ts) << what;
      EXPECT_NEAR(a[i].yhat, b[i].yhat, 1e-3 + 1e-4 * std::abs(a[i].yhat)) << what << " point " << i;
      EXPECT_NEAR(a[i].lo, b[i].lo, 1e-3 + 1e-4 * std::abs(a[i].lo)) << what << " point " << i;
      EXPECT_NEAR(a[i].hi, b[i].hi, 1e-3 + 1e-4 * std::abs(a[i].hi)) << what << " point " << i;
    }
  };
  for (const auto &arch : {"gru", "transformer"}) {
    const TrainedForecaster there = train_forecaster(synthetic(), small(arch), device_under_test(), {});
    expect_close(forecast(there.blob, 0, device_under_test(), {}), forecast(there.blob, 0, cpu(), {}),
                 std::string(arch) + ": trained on " + device_under_test().device + ", forecast on cpu");
    const TrainedForecaster here = train_forecaster(synthetic(), small(arch), cpu(), {});
    expect_close(forecast(here.blob, 0, cpu(), {}), forecast(here.blob, 0, RuntimeSettings{"auto", 1}, {}),
                 std::string(arch) + ": trained on cpu, forecast on auto");
  }
}

TEST(Forecaster, FutureCovariatesAndOverridesMoveTheForecast) {
  ForecastOptions o = parse_forecast_options("gru", 4, R"({"epochs": 30, "lookback": 8, "hidden": 16, "seed": 3})");
  TrainedForecaster m = train_forecaster(synthetic(), o, cpu(), {});
  auto mean = [](const std::vector<ForecastPoint> &p) {
    double s = 0;
    for (const auto &x : p) s += x.yhat;
    return s / static_cast<double>(p.size());
  };
  const double base = mean(forecast(m.blob, 0, cpu(), {}));
  FutureInputs cheap;
  cheap.overrides_json = R"({"price": {"mul": 0.5}})";
  EXPECT_GT(mean(forecast(m.blob, 0, cpu(), {}, cheap)), base);  // the synthetic price effect is -30

  // Future rows equal to an override give the same forecast.
  SeriesRows future;
  future.feature_names = {"price"};
  for (int k = 0; k < 3; ++k)
    for (int t = 60; t < 64; ++t) {
      future.series_key.push_back("store" + std::to_string(k));
      future.time.push_back(static_cast<Micros>(t) * 7 * kMicrosPerDay);
      future.target.push_back(std::nan(""));
      future.features.push_back(2.0);
    }
  FutureInputs given;
  given.rows = &future;
  FutureInputs set;
  set.overrides_json = R"({"price": 2})";
  auto a = forecast(m.blob, 0, cpu(), {}, given), b = forecast(m.blob, 0, cpu(), {}, set);
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].yhat, b[i].yhat);

  // A step future_source lacks, or gives with a NaN (a NULL), is named in the NOTICE.
  std::vector<std::string> notices;
  TrainHooks hooks;
  hooks.notice = [&](const std::string &n) { notices.push_back(n); };
  future.features[1] = std::nan("");  // store0, week 61
  forecast(m.blob, 0, cpu(), hooks, given);
  ASSERT_EQ(notices.size(), 1u);
  EXPECT_NE(notices[0].find("1 future steps have no complete row in future_source (the first: series \"store0\" at "
                            "2001-03-03 00:00:00 has a NULL or non-finite covariate)"),
            std::string::npos)
      << notices[0];

  auto table = sensitivity(m.blob, "price", {-0.2, 0, 0.2}, true, false, cpu(), {});
  ASSERT_EQ(table.size(), 3u);
  EXPECT_EQ(table[1].relative_change, 0.0);
  EXPECT_GT(table[0].relative_change, 0.0);
  EXPECT_LT(table[2].elasticity, 0.0);
  EXPECT_EQ(sensitivity(m.blob, "price", {0.1}, true, true, cpu(), {}).size(), 3u);
  EXPECT_THROW(sensitivity(m.blob, "cost", {0.1}, true, false, cpu(), {}), Error);
}

TEST(Forecaster, InvalidRowsAreDroppedOnRequestAndCounted) {
  SeriesRows r = synthetic();
  r.target[10] = std::nan("");
  r.features[20] = std::numeric_limits<double>::infinity();
  ForecastOptions o = small("gru");
  EXPECT_THROW(train_forecaster(r, o, cpu(), {}), Error);
  o.invalid = "drop";
  TrainedForecaster m = train_forecaster(r, o, cpu(), {});
  EXPECT_EQ(m.rows_dropped, 2);
}

TEST(Forecaster, TooLargeForTheMemoryLimitIsRefusedUpFront) {
  RuntimeSettings tiny = cpu();
  tiny.max_memory_bytes = 1000;
  try {
    train_forecaster(synthetic(), small("gru"), tiny, {});
    FAIL();
  } catch (const Error &e) {
    EXPECT_EQ(e.kind(), ErrorKind::ResourceLimit);
  }
}

TEST(Forecaster, ResidualsHoldEveryTestPointAndBacktestsCoverEveryFold) {
  TrainedForecaster m = train_forecaster(synthetic(), small("gru"), device_under_test(), {});
  // 60 weeks, test 10% = 6 points, horizon 4: the first window gives points
  // 1-4 at steps 1-4, the window ending at the last point gives 5-6 at its
  // steps 3-4. Every test point once per series, in time order.
  ASSERT_EQ(m.residuals.size(), 3u * 6u);
  const std::vector<int> steps = {1, 2, 3, 4, 3, 4};
  for (std::size_t i = 0; i < steps.size(); ++i) {
    EXPECT_EQ(m.residuals[i].step, steps[i]) << i;
    if (i > 0) {
      EXPECT_EQ(m.residuals[i].ts - m.residuals[i - 1].ts, 7 * kMicrosPerDay) << i;
    }
  }
  auto rows = backtest(synthetic(), small("gru"), 2, 3, device_under_test(), {});
  EXPECT_EQ(rows.size(), 2u * 4u * 2u);
  EXPECT_EQ(rows.front().cutoff - rows.back().cutoff, 3 * 7 * kMicrosPerDay);
  EXPECT_THROW(backtest(synthetic(), small("gru"), 0, 3, device_under_test(), {}), Error);
  EXPECT_THROW(backtest(synthetic(), small("gru"), 30, 3, device_under_test(), {}), Error);
}

TEST(Forecaster, NetsKeepsTheBestArchitectureOnValidation) {
  ForecastOptions o = parse_forecast_options("nets", 4, R"({"epochs": 2, "lookback": 8, "hidden": 16, "seed": 3})");
  TrainedForecaster m = train_forecaster(synthetic(), o, device_under_test(), {});
  double best = 1e300, chosen = -1;
  for (const auto &r : m.metrics)
    if (r.split == "validation" && r.metric == "wape" && r.estimator != "model" && r.estimator != "seasonal_naive") {
      best = std::min(best, r.value);
      if (r.estimator == m.arch) chosen = r.value;
    }
  EXPECT_EQ(chosen, best);
  EXPECT_EQ(forecast(m.blob, 0, device_under_test(), {}).size(), 12u);
}

TEST(Forecaster, ModelInfoDescribesALoadableBlobAndRefusesADamagedOne) {
  TrainedForecaster m = train_forecaster(synthetic(), small("gru"), device_under_test(), {});
  const auto info = nlohmann::json::parse(describe_model(m.blob, device_under_test()));
  EXPECT_EQ(info.at("kind"), "forecaster");
  EXPECT_EQ(info.at("arch"), "gru");
  EXPECT_EQ(info.at("horizon"), 4);
  EXPECT_EQ(info.at("lookback"), 8);
  EXPECT_EQ(info.at("series"), 3);
  EXPECT_EQ(info.at("features"), nlohmann::json::array({"price"}));
  EXPECT_EQ(info.at("bytes"), m.blob.size());
  // The options as training resolved them, not zeros for what a forecast
  // does not need (issue 14, item 8).
  EXPECT_EQ(info.at("options").at("epochs"), 3);
  EXPECT_DOUBLE_EQ(info.at("options").at("lr").get<double>(), 0.001);
  EXPECT_EQ(info.at("options").at("loss"), "mse");
  EXPECT_EQ(info.at("options").at("fill"), "interpolate");
  std::string bad = m.blob;
  bad[bad.size() / 3] ^= 4;
  try {
    describe_model(bad, device_under_test());
    FAIL();
  } catch (const Error &e) {
    EXPECT_EQ(e.kind(), ErrorKind::CorruptModel);
  }
}

namespace {

// auto without its network candidate, which joins when the rows have
// covariates (synthetic() has one); AutoWithANetwork below tests it.
ForecastOptions stat_options(const std::string &arch, int horizon = 4) {
  return parse_forecast_options(arch, horizon, arch == "auto" ? R"({"networks": false})" : "{}");
}

// One weekly series per value list, from week 0.
SeriesRows weekly(const std::vector<std::vector<double>> &series) {
  SeriesRows r;
  for (std::size_t k = 0; k < series.size(); ++k)
    for (std::size_t t = 0; t < series[k].size(); ++t) {
      r.series_key.push_back("s" + std::to_string(k));
      r.time.push_back(static_cast<Micros>(t) * 7 * kMicrosPerDay);
      r.target.push_back(series[k][t]);
    }
  return r;
}

}  // namespace

TEST(StatisticalForecaster, EachMemberAndAutoTrainForecastAndDescribeThemselves) {
  for (const std::string arch : {"snaive", "ets", "theta", "stlf", "croston", "auto"}) {
    TrainedForecaster m = train_forecaster(synthetic(), stat_options(arch), cpu(), {});
    EXPECT_EQ(m.arch, arch);
    EXPECT_TRUE(m.epochs.empty()) << arch;
    auto points = forecast(m.blob, 0, cpu(), {});
    ASSERT_EQ(points.size(), 12u) << arch;
    for (const auto &p : points) {
      EXPECT_TRUE(std::isfinite(p.yhat)) << arch;
      EXPECT_LE(p.lo, p.yhat);
      EXPECT_GE(p.hi, p.yhat);
    }
    EXPECT_EQ(points[0].ts, 60 * 7 * kMicrosPerDay);
    EXPECT_EQ(forecast(m.blob, 2, cpu(), {}).size(), 6u);
    EXPECT_THROW(forecast(m.blob, 5, cpu(), {}), Error);
    const auto info = nlohmann::json::parse(describe_model(m.blob, cpu()));
    EXPECT_EQ(info.at("recipes").size(), 3u) << arch;
    EXPECT_FALSE(info.at("options").contains("epochs")) << "a statistical model shows only what it uses";
    EXPECT_EQ(info.at("options").at("fill"), "interpolate") << arch << ": as resolved, not empty";
    EXPECT_EQ(info.at("options").at("invalid"), "error") << arch;
    EXPECT_GT(info.at("options").at("test_fraction").get<double>(), 0) << arch;
    bool has_test_mase = false;
    for (const auto &r : m.metrics) has_test_mase |= r.split == "test" && r.estimator == "model" && r.metric == "mase";
    EXPECT_TRUE(has_test_mase) << arch;
  }
}

TEST(StatisticalForecaster, AutoScoresEveryMemberAndRecordsItsRecipe) {
  TrainedForecaster m = train_forecaster(synthetic(), stat_options("auto"), cpu(), {});
  ASSERT_EQ(m.trials.size(), 6u);  // snaive, ets, theta, stlf, croston, and the combination
  EXPECT_EQ(m.trials.back().arch, "theta+stlf");
  EXPECT_TRUE(m.trials.back().chosen);
  for (const auto &t : m.trials) EXPECT_TRUE(std::isfinite(t.val_wape)) << t.arch;
  // Test points tile the test split from its first point to the series' end.
  EXPECT_EQ(m.residuals.size(), 3u * 6u);
}

// time_budget: once it is spent, the series not yet started get seasonal
// naive (no other candidate runs for them) and one NOTICE counts them; the
// forecast is whole. 100 weekly series of 3 years take auto about 2 s on
// one thread here, so 50 ms runs out whatever the machine. Without a budget
// no such NOTICE comes.
TEST(StatisticalForecaster, TimeBudgetLeavesTheRestToSeasonalNaive) {
  std::vector<std::vector<double>> many;
  for (int k = 0; k < 100; ++k) {
    std::vector<double> y;
    for (int t = 0; t < 156; ++t) y.push_back(100 + k + 0.8 * t + 10 * std::sin(t * 6.2831853 / 52) + (t * k) % 7);
    many.push_back(y);
  }
  for (const double budget : {0.0, 0.05}) {
    std::vector<std::string> notices;
    TrainHooks hooks;
    hooks.notice = [&](const std::string &n) { notices.push_back(n); };
    const ForecastOptions o = parse_forecast_options("auto", 13, budget > 0 ? R"({"time_budget": 0.05})" : "{}");
    // Two worker threads, as a server uses: each checks the budget before a series.
    const TrainedForecaster m = train_forecaster(weekly(many), o, RuntimeSettings{"cpu", 2}, hooks);
    const auto info = nlohmann::json::parse(describe_model(m.blob, cpu()));
    long naive = 0;
    for (const auto &[key, r] : info.at("recipes").items()) naive += r.at("recipe") == "snaive" ? 1 : 0;
    std::string budget_notice;
    for (const auto &n : notices)
      if (n.find("time_budget") != std::string::npos) budget_notice = n;
    const auto points = forecast(m.blob, 0, cpu(), {});
    ASSERT_EQ(points.size(), 100u * 13u);
    for (const auto &p : points) EXPECT_TRUE(std::isfinite(p.yhat) && std::isfinite(p.lo) && std::isfinite(p.hi));
    if (budget == 0) {
      EXPECT_EQ(budget_notice, "");
      EXPECT_LT(naive, 50) << "auto keeps seasonal naive for few of these series";
    } else {
      // "... the other K get seasonal naive": K > 0, and each of them has it
      // (auto may have chosen it for some of the others too).
      const auto at = budget_notice.find("the other ");
      ASSERT_NE(at, std::string::npos) << budget_notice;
      const long left = std::stol(budget_notice.substr(at + 10));
      EXPECT_GT(left, 0) << budget_notice;
      EXPECT_GE(naive, left) << budget_notice;
      EXPECT_NE(budget_notice.find(" get seasonal naive"), std::string::npos) << budget_notice;
    }
  }
}

// A network stops at the time budget after at least one epoch, keeps its
// best weights so far and says so; 100,000 epochs would take minutes.
TEST(Forecaster, TimeBudgetStopsTheEpochs) {
  std::vector<std::string> notices;
  TrainHooks hooks;
  hooks.notice = [&](const std::string &n) { notices.push_back(n); };
  const ForecastOptions o = parse_forecast_options(
      "gru", 4,
      R"({"epochs": 100000, "patience": 100000, "lookback": 8, "hidden": 8, "ensemble": 2, "seed": 3,
          "time_budget": 0.3})");
  const TrainedForecaster m = train_forecaster(synthetic(), o, device_under_test(), hooks);
  EXPECT_LT(m.epochs.size(), 100000u);
  EXPECT_EQ(m.best_epochs.size(), 2u) << "both members trained";
  bool said = false;
  for (const auto &n : notices)
    said = said || n.find("time_budget of 0.3 s: 2 of 2 networks stopped") != std::string::npos;
  EXPECT_TRUE(said);
  for (const auto &p : forecast(m.blob, 0, device_under_test(), {})) EXPECT_TRUE(std::isfinite(p.yhat));
  EXPECT_NE(m.hyperparameters_json.find("\"time_budget\":0.3"), std::string::npos) << m.hyperparameters_json;
}

TEST(StatisticalForecaster, DegenerateSeriesForecastWithoutNaN) {
  std::vector<double> constant(40, 7.0), zeros(40, 0.0), intermittent(40, 0.0), short_one{3, 4}, single{5};
  for (std::size_t t = 0; t < intermittent.size(); t += 9) intermittent[t] = 3;
  std::vector<std::string> notices;
  TrainHooks hooks;
  hooks.notice = [&](const std::string &n) { notices.push_back(n); };
  TrainedForecaster m =
      train_forecaster(weekly({constant, zeros, intermittent, short_one, single}), stat_options("auto"), cpu(), hooks);
  EXPECT_EQ(m.series_used, 5);
  auto points = forecast(m.blob, 0, cpu(), {});
  ASSERT_EQ(points.size(), 5u * 4u);
  for (const auto &p : points) {
    EXPECT_TRUE(std::isfinite(p.yhat) && std::isfinite(p.lo) && std::isfinite(p.hi)) << p.series;
    if (p.series == "s0") {
      EXPECT_NEAR(p.yhat, 7.0, 1e-6);
    }
    if (p.series == "s1") {
      EXPECT_NEAR(p.yhat, 0.0, 1e-6);
    }
  }
  bool named = false;
  for (const auto &n : notices) named |= n.find("\"s4\" (1 points") != std::string::npos;
  EXPECT_TRUE(named) << "the NOTICE names the short series and what it got";
}

TEST(StatisticalForecaster, BacktestAndSensitivity) {
  const auto rows = backtest(synthetic(), stat_options("auto"), 2, 4, cpu(), {});
  ASSERT_EQ(rows.size(), 2u * 4u * 2u);
  for (const auto &r : rows) EXPECT_GT(r.points, 0) << r.fold << " " << r.step;
  TrainedForecaster m = train_forecaster(synthetic(), stat_options("theta"), cpu(), {});
  EXPECT_THROW(sensitivity(m.blob, "price", {0.1}, true, false, cpu(), {}), Error);
}

TEST(StatisticalForecaster, ACorruptedStateIsRefused) {
  TrainedForecaster m = train_forecaster(synthetic(), stat_options("ets"), cpu(), {});
  ModelBlob b = decode_blob(m.blob);
  auto state = nlohmann::json::parse(b.state_json);
  state["series"][0]["yhat"].push_back(1.0);  // one step more than the horizon
  b.state_json = state.dump();
  EXPECT_THROW(forecast(encode_blob(b), 0, cpu(), {}), Error);
  b = decode_blob(m.blob);
  b.weights = "XBW1";  // weights on a statistical model
  EXPECT_THROW(forecast(encode_blob(b), 0, cpu(), {}), Error);
}

// Like ML.EXPLAIN_FORECAST for ARIMA_PLUS: a statistical forecast comes back
// as "trend" (level and trend) and "seasonal" rows that add up to it. Three
// years of a weekly series with a rising trend and a yearly wave of
// amplitude 20: the members that model the season give it a share of that
// size, ETS (no season at period 52, as R) none, and the trend rises.
// A version trained before the split was kept says to retrain; a forged
// split of the wrong length is refused as corrupt.
TEST(StatisticalForecaster, ExplanationsSplitEachForecastIntoTrendAndSeason) {
  std::vector<std::vector<double>> two(2);
  for (int k = 0; k < 2; ++k)
    for (int t = 0; t < 156; ++t)
      two[k].push_back(200 + 50 * k + 0.2 * t + 40 * std::sin(t * 6.283185307179586 / 52) + (t * (k + 3)) % 5);
  for (const std::string arch : {"auto", "stlf", "theta", "snaive", "ets"}) {
    const TrainedForecaster m = train_forecaster(weekly(two), stat_options(arch, 12), cpu(), {});
    const auto points = forecast(m.blob, 0, cpu(), {});
    const auto rows = explain_forecast(m.blob, 0, cpu(), {});
    ASSERT_EQ(rows.size(), 2 * points.size()) << arch;
    double largest_season = 0;
    for (std::size_t i = 0; i < points.size(); ++i) {
      const ExplanationRow &trend = rows[2 * i], &season = rows[2 * i + 1];
      EXPECT_EQ(trend.feature, "trend");
      EXPECT_EQ(season.feature, "seasonal");
      EXPECT_EQ(trend.series, points[i].series);
      EXPECT_EQ(season.ts, points[i].ts);
      EXPECT_DOUBLE_EQ(trend.yhat, points[i].yhat);
      EXPECT_NEAR(trend.contribution + season.contribution, points[i].yhat, 1e-9 * std::fabs(points[i].yhat)) << arch;
      largest_season = std::max(largest_season, std::fabs(season.contribution));
    }
    if (arch == "ets" || arch == "theta")    // as in R: ETS has no season at period 52, and
      EXPECT_EQ(largest_season, 0) << arch;  // Theta's test finds none in three years
    else
      EXPECT_GT(largest_season, arch == "auto" ? 10 : 20) << arch << ": the yearly wave has amplitude 40";
    if (arch == "auto" || arch == "stlf") EXPECT_GT(rows[2 * 11].contribution, rows[0].contribution) << arch;
    EXPECT_EQ(explain_forecast(m.blob, 3, cpu(), {}).size(), 2u * 2u * 3u);
  }
  const TrainedForecaster m = train_forecaster(weekly(two), stat_options("auto", 12), cpu(), {});
  const auto with_trend = [&](const std::function<void(nlohmann::json &)> &change) {
    ModelBlob b = decode_blob(m.blob);
    auto state = nlohmann::json::parse(b.state_json);
    for (auto &s : state["series"]) change(s);
    b.state_json = state.dump();
    return encode_blob(b);
  };
  const std::string before = with_trend([](nlohmann::json &s) { s.erase("trend"); });
  EXPECT_EQ(forecast(before, 0, cpu(), {}).size(), 24u) << "an older version still forecasts";
  try {
    explain_forecast(before, 0, cpu(), {});
    ADD_FAILURE() << "an older version explained";
  } catch (const Error &e) {
    EXPECT_EQ(e.kind(), ErrorKind::InvalidParameter);
    EXPECT_NE(e.hint().find("xb_retrain"), std::string::npos) << e.hint();
  }
  try {
    forecast(with_trend([](nlohmann::json &s) { s["trend"].push_back(1.0); }), 0, cpu(), {});
    ADD_FAILURE() << "a forged split accepted";
  } catch (const Error &e) {
    EXPECT_EQ(e.kind(), ErrorKind::CorruptModel);
  }
}

// A 0/1 flag without a future value takes its value from one season earlier:
// from the stored tail, or, for a horizon longer than the season (daily, h
// 14), from the forecast's own earlier step; with a tail shorter than the
// season (lookback 3, no seasonal lag) the first steps carry the last value.
// All three branches run here, and the sanitizer build would catch a read
// past the tail.
TEST(Forecaster, FlagsFromOneSeasonBackStayInsideTheTail) {
  SeriesRows r;
  r.feature_names = {"holiday"};
  for (int k = 0; k < 2; ++k)
    for (int t = 0; t < 67; ++t) {  // ends on a holiday: a tail of 3 days still holds a 1
      const double flag = t % 7 == 3 ? 1.0 : 0.0;
      r.series_key.push_back("s" + std::to_string(k));
      r.time.push_back(static_cast<Micros>(t) * kMicrosPerDay);
      r.target.push_back(50 + 10 * k + 20 * flag + t % 7);
      r.features.push_back(flag);
    }
  for (const char *extra : {R"("lookback": 8)", R"("lookback": 3, "seasonal_lag": false)"}) {
    const ForecastOptions o =
        parse_forecast_options("gru", 14, std::string(R"({"epochs": 2, "hidden": 8, "seed": 3, )") + extra + "}");
    const TrainedForecaster m = train_forecaster(r, o, cpu(), {});
    std::vector<std::string> notices;
    TrainHooks hooks;
    hooks.notice = [&](const std::string &n) { notices.push_back(n); };
    const auto points = forecast(m.blob, 0, cpu(), hooks);
    ASSERT_EQ(points.size(), 2u * 14u) << extra;
    for (const auto &p : points)
      EXPECT_TRUE(std::isfinite(p.yhat) && std::isfinite(p.lo) && std::isfinite(p.hi)) << extra;
    // The notice names the flag; only the short tail carries some steps.
    const bool short_tail = std::string(extra).find("seasonal_lag") != std::string::npos;
    bool named = false, carried = false;
    for (const auto &n : notices) {
      named = named || n.find("0/1 flags (holiday)") != std::string::npos;
      carried = carried || n.find("otherwise carried forward") != std::string::npos;
    }
    EXPECT_TRUE(named) << extra;
    EXPECT_EQ(carried, short_tail) << extra;
  }
}

// A blob's time_zone is metadata, held to the option's rule (1 to 255
// printable ASCII characters): a forged one is refused as corrupt, for a
// statistical and a network forecaster alike.
TEST(Forecaster, ABlobsTimeZoneFollowsTheOptionsRule) {
  for (const std::string arch : {"theta", "gru"}) {
    const TrainedForecaster m =
        train_forecaster(synthetic(), arch == "gru" ? small("gru") : stat_options(arch), cpu(), {});
    const auto with_zone = [&](const nlohmann::json &zone) {
      ModelBlob b = decode_blob(m.blob);
      auto state = nlohmann::json::parse(b.state_json);
      state["options"]["time_zone"] = zone;
      b.state_json = state.dump();
      return encode_blob(b);
    };
    EXPECT_NO_THROW(forecast(with_zone("<+05>-05"), 0, cpu(), {})) << arch;
    for (const nlohmann::json &forged :
         {nlohmann::json(""), nlohmann::json("UTC\n"), nlohmann::json(std::string(256, 'A')), nlohmann::json(5),
          nlohmann::json("Europe/\u00e9")}) {
      try {
        forecast(with_zone(forged), 0, cpu(), {});
        ADD_FAILURE() << arch << ": accepted " << forged.dump();
      } catch (const Error &e) {
        EXPECT_EQ(e.kind(), ErrorKind::CorruptModel) << arch << " " << forged.dump() << ": " << e.what();
      }
    }
  }
}

TEST(StatisticalForecaster, NetworkOptionsAreNamedNotSilentlyUsedAndSearchesNeedANetwork) {
  EXPECT_EQ(parse_forecast_options("auto", 4, R"({"epochs": 5, "seed": 2, "hidden": 8})").unused_options,
            (std::vector<std::string>{"epochs", "hidden"}));
  std::vector<std::string> notices;
  TrainHooks hooks;
  hooks.notice = [&](const std::string &n) { notices.push_back(n); };
  train_forecaster(synthetic(), parse_forecast_options("ets", 4, R"({"epochs": 5})"), cpu(), hooks);
  bool named = false;
  for (const auto &n : notices) named |= n.find("options epochs were not used") != std::string::npos;
  EXPECT_TRUE(named);
  EXPECT_THROW(parse_forecast_options("auto", 4, R"({"lr": [0.1, 0.01]})"), Error);
}

TEST(StatisticalForecaster, AutoUsesSeasonalNaiveWhenTheHistoryHoldsOneToTwoSeasons) {
  std::vector<double> one_and_a_half, three;
  for (int t = 0; t < 80; ++t)
    one_and_a_half.push_back(100 + 40 * std::sin(t * 2 * M_PI / 52) + (t % 52 == 47 ? 60 : 0));
  // A trend that seasonal naive lags behind: on three seasons the combination wins validation.
  for (int t = 0; t < 160; ++t) three.push_back(100 + 3.0 * t + 40 * std::sin(t * 2 * M_PI / 52));
  TrainedForecaster m = train_forecaster(weekly({one_and_a_half, three}), stat_options("auto"), cpu(), {});
  const auto recipes = nlohmann::json::parse(describe_model(m.blob, cpu())).at("recipes");
  EXPECT_EQ(recipes.at("s0").at("recipe"), "snaive") << recipes.dump();
  EXPECT_EQ(recipes.at("s1").at("recipe"), "theta+stlf") << recipes.dump();
  // Seasonal naive continues last year's spike in week 47.
  const auto points = forecast(m.blob, 0, cpu(), {});
  EXPECT_NEAR(points[0].yhat, one_and_a_half[80 - 52], 1e-9);
}

// A forecast may ask for another interval level than the trained one (0.9):
// every forecaster keeps 0.5, 0.8, 0.9, 0.95 and 0.99. The point forecast
// stays; 0.8 lies inside 0.95; a level it lacks is an error naming the ones
// it has.
TEST(Forecaster, IntervalLevelsPerCall) {
  for (const std::string arch : {"gru", "snaive", "auto"}) {
    const TrainedForecaster m =
        train_forecaster(synthetic(), arch == "gru" ? small("gru") : stat_options(arch), cpu(), {});
    FutureInputs at80, at95, at90;
    at80.level = 0.8;
    at95.level = 0.95;
    at90.level = 0.9;
    const auto trained = forecast(m.blob, 0, cpu(), {}), a = forecast(m.blob, 0, cpu(), {}, at80),
               b = forecast(m.blob, 0, cpu(), {}, at95), c = forecast(m.blob, 0, cpu(), {}, at90);
    ASSERT_EQ(a.size(), trained.size());
    bool narrower = false;
    for (std::size_t i = 0; i < a.size(); ++i) {
      EXPECT_EQ(a[i].yhat, trained[i].yhat) << arch;
      EXPECT_GE(a[i].lo, b[i].lo) << arch;
      EXPECT_LE(a[i].hi, b[i].hi) << arch;
      EXPECT_EQ(c[i].lo, trained[i].lo) << arch;
      narrower = narrower || a[i].hi - a[i].lo < b[i].hi - b[i].lo;
    }
    EXPECT_TRUE(narrower) << arch;
    FutureInputs odd;
    odd.level = 0.85;
    try {
      forecast(m.blob, 0, cpu(), {}, odd);
      FAIL() << arch;
    } catch (const Error &e) {
      EXPECT_EQ(e.kind(), ErrorKind::InvalidParameter);
      EXPECT_NE(e.hint().find("0.9 (trained), 0.5, 0.8, 0.95, 0.99"), std::string::npos) << e.hint();
    }
  }
}

// Explanations: one row per series, step and numeric covariate, beside the
// forecast; a price above its recent mean takes sales away in the synthetic
// data (its effect is -30 per unit of price); statistical models and
// networks without numeric covariates have nothing to explain by.
TEST(Forecaster, ExplanationsSayWhatEachCovariateAdds) {
  ForecastOptions o = parse_forecast_options("gru", 4, R"({"epochs": 30, "lookback": 8, "hidden": 16, "seed": 3})");
  const TrainedForecaster m = train_forecaster(synthetic(), o, cpu(), {});
  FutureInputs dear;
  dear.overrides_json = R"({"price": 2})";
  const auto rows = explain_forecast(m.blob, 0, cpu(), {}, dear);
  const auto points = forecast(m.blob, 0, cpu(), {}, dear);
  ASSERT_EQ(rows.size(), points.size());
  double sum = 0;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    EXPECT_EQ(rows[i].series, points[i].series);
    EXPECT_EQ(rows[i].ts, points[i].ts);
    EXPECT_EQ(rows[i].yhat, points[i].yhat);
    EXPECT_EQ(rows[i].feature, "price");
    sum += rows[i].contribution;
  }
  EXPECT_LT(sum, 0.0);
  EXPECT_EQ(explain_forecast(m.blob, 2, cpu(), {}, dear).size(), 6u);
  SeriesRows plain = synthetic();
  plain.feature_names.clear();
  plain.features.clear();
  EXPECT_THROW(explain_forecast(train_forecaster(plain, small("gru"), cpu(), {}).blob, 0, cpu(), {}), Error);
}

// A handful of rows far apart in time at a fine step would build a grid of
// millions and fill it point by point: refused before anything is allocated.
TEST(Forecaster, ATimeGridMuchLongerThanItsRowsIsRefused) {
  SeriesRows r;
  for (Micros t : {Micros{0}, Micros{3600} * 1000000 * 24 * 365 * 100}) {  // a century apart
    r.series_key.push_back("a");
    r.time.push_back(t);
    r.target.push_back(1);
  }
  try {
    train_forecaster(r, parse_forecast_options("auto", 1, R"({"freq": "hourly"})"), cpu(), {});
    FAIL() << "trained on an hourly grid of a century";
  } catch (const Error &e) {
    EXPECT_EQ(e.kind(), ErrorKind::DataException) << e.what();
    EXPECT_NE(std::string(e.what()).find("would span"), std::string::npos) << e.what();
  }
  // Within the steps a row may take, the grid still has to fit the memory limit.
  r.time[1] = Micros{3600} * 1000000 * 1500;
  RuntimeSettings small = cpu();
  small.max_memory_bytes = 1000;
  try {
    train_forecaster(r, parse_forecast_options("auto", 1, R"({"freq": "hourly"})"), small, {});
    FAIL() << "a grid over the memory limit";
  } catch (const Error &e) {
    EXPECT_EQ(e.kind(), ErrorKind::ResourceLimit) << e.what();
  }
}

// Gaps between values near the double range are filled with finite values.
TEST(Forecaster, InterpolatingNearTheDoubleRangeStaysFinite) {
  SeriesRows r;
  for (int t = 0; t < 40; ++t) {
    if (t % 3 == 1) continue;  // a gap every third day
    r.series_key.push_back("a");
    r.time.push_back(static_cast<Micros>(t) * kMicrosPerDay);
    r.target.push_back(t % 2 ? 1.7e308 : -1.7e308);
  }
  try {
    const TrainedForecaster m = train_forecaster(r, parse_forecast_options("snaive", 2, "{}"), cpu(), {});
    for (const auto &p : forecast(m.blob, 2, cpu(), {})) EXPECT_TRUE(std::isfinite(p.yhat));
  } catch (const Error &e) {
    EXPECT_EQ(e.kind(), ErrorKind::DataException) << e.what();  // a clear refusal, never a model that cannot load
  }
}

// A cancel stops a long series mid-fit, even when it is the only one (it
// used to be checked between series only).
TEST(StatisticalForecaster, ACancelStopsALongSeriesMidFit) {
  SeriesRows r;
  for (int t = 0; t < 20000; ++t) {
    r.series_key.push_back("long");
    r.time.push_back(static_cast<Micros>(t) * kMicrosPerDay);
    r.target.push_back(100 + 10 * std::sin(t * 0.9) + (t * 7919 % 13));
  }
  const auto start = std::chrono::steady_clock::now();
  TrainHooks hooks;
  hooks.interrupted = [&] { return std::chrono::steady_clock::now() - start > std::chrono::milliseconds(300); };
  EXPECT_THROW(
      try { train_forecaster(r, parse_forecast_options("ets", 1, "{}"), cpu(), hooks); } catch (const Error &e) {
        EXPECT_EQ(e.kind(), ErrorKind::Interrupted) << e.what();
        throw;
      },
      Error);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
}

// Values near the double range overflow a member's sums: a clear error,
// never a model whose stored forecast cannot be read back.
TEST(StatisticalForecaster, AForecastThatOverflowsIsRefusedAtTraining) {
  SeriesRows r;
  for (int t = 0; t < 60; ++t) {
    r.series_key.push_back("huge");
    r.time.push_back(static_cast<Micros>(t) * kMicrosPerDay);
    r.target.push_back(1e308 * (1 + (t % 7) / 10.0));
  }
  for (const char *arch : {"auto", "theta", "ets"}) {
    try {
      const TrainedForecaster m = train_forecaster(r, parse_forecast_options(arch, 3, "{}"), cpu(), {});
      for (const auto &p : forecast(m.blob, 3, cpu(), {})) EXPECT_TRUE(std::isfinite(p.yhat)) << arch;
    } catch (const Error &e) {
      EXPECT_EQ(e.kind(), ErrorKind::DataException) << arch << ": " << e.what();
    }
  }
}

// What the boundary's model cache relies on: a forecaster decoded once
// forecasts, explains and moves as its blob does, call after call.
TEST(Forecaster, ADecodedForecasterAppliesAsItsBlobDoesCallAfterCall) {
  SeriesRows r = synthetic();
  for (int t = 0; t < 3; ++t) {  // one series too short for the network: the fallback too
    r.series_key.push_back("tiny");
    r.time.push_back(static_cast<Micros>(t) * 7 * kMicrosPerDay);
    r.target.push_back(10 + t);
    r.features.push_back(1);
  }
  const auto same = [](const std::vector<ForecastPoint> &a, const std::vector<ForecastPoint> &b) {
    ASSERT_EQ(a.size(), b.size());
    for (std::size_t i = 0; i < a.size(); ++i) {
      EXPECT_EQ(a[i].series, b[i].series);
      EXPECT_EQ(a[i].ts, b[i].ts);
      EXPECT_EQ(a[i].yhat, b[i].yhat);
      EXPECT_EQ(a[i].lo, b[i].lo);
      EXPECT_EQ(a[i].hi, b[i].hi);
    }
  };
  for (const std::string arch : {"gru", "auto"}) {
    const ForecastOptions o =
        arch == "gru" ? small(arch) : parse_forecast_options(arch, 4, R"({"seed": 3, "networks": false})");
    const TrainedForecaster m = train_forecaster(r, o, cpu(), {});
    EXPECT_GT(m.prepare_seconds, 0) << arch;
    EXPECT_LT(m.prepare_seconds, m.seconds) << arch << ": preparing is part of the training's time";
    const SharedForecaster decoded = decode_forecaster(m.blob, cpu());
    FutureInputs at80;
    at80.level = 0.8;
    for (int call = 0; call < 2; ++call) {
      same(forecast(*decoded, 0, cpu(), {}), forecast(m.blob, 0, cpu(), {}));
      same(forecast(*decoded, 2, cpu(), {}, at80), forecast(m.blob, 2, cpu(), {}, at80));
      const auto e1 = explain_forecast(*decoded, 0, cpu(), {});
      const auto e2 = explain_forecast(m.blob, 0, cpu(), {});
      ASSERT_EQ(e1.size(), e2.size()) << arch;
      for (std::size_t i = 0; i < e1.size(); ++i) EXPECT_EQ(e1[i].contribution, e2[i].contribution);
    }
    if (arch == "gru") {
      const auto s1 = sensitivity(*decoded, "price", {-0.1, 0.1}, true, true, cpu(), {});
      const auto s2 = sensitivity(m.blob, "price", {-0.1, 0.1}, true, true, cpu(), {});
      ASSERT_EQ(s1.size(), s2.size());
      for (std::size_t i = 0; i < s1.size(); ++i) EXPECT_EQ(s1[i].mean_forecast, s2[i].mean_forecast);
    } else {
      EXPECT_THROW(sensitivity(*decoded, "price", {0.1}, true, false, cpu(), {}), Error);
    }
  }
  EXPECT_THROW(decode_forecaster("not a model", cpu()), Error);
}

namespace {

// Weekly series whose sales jump on promotion weeks (a 0/1 covariate drawn
// from a fixed sequence), over a level, a trend and noise: only a model that
// sees the covariate can forecast the jumps. strength 0: the covariate
// carries nothing. `step` and `shape` (the trend and any wave at step t)
// make other data of the same kind.
SeriesRows promotions(
    double strength, int series = 4, int weeks = 100, Micros step = 7 * kMicrosPerDay,
    const std::function<double(int)> &shape = [](int t) { return 0.5 * t; }) {
  SeriesRows r;
  r.feature_names = {"promo"};
  std::uint32_t state = 12345;
  auto next = [&] {
    state = state * 1664525u + 1013904223u;
    return static_cast<double>(state >> 8) / 16777216.0;
  };
  for (int k = 0; k < series; ++k)
    for (int t = 0; t < weeks; ++t) {
      const double promo = next() < 0.3 ? 1 : 0;
      r.series_key.push_back("p" + std::to_string(k));
      r.time.push_back(static_cast<Micros>(t) * step);
      r.target.push_back(200 + 50 * k + shape(t) + strength * promo + 4 * (next() - 0.5));
      r.features.push_back(promo);
    }
  return r;
}

const char *kSmallNetwork = R"({"epochs": 40, "lookback": 8, "hidden": 16, "ensemble": 1, "seed": 3})";

}  // namespace

// An epoch at a tiny learning rate: a network that has learned nothing.
const char *kUntrainedNetwork = R"({"epochs": 1, "lr": 1e-6, "lookback": 8, "hidden": 4, "ensemble": 1, "seed": 3})";

// auto with covariates trains its network candidate and compares it with
// the statistical members on the same validation points (two more trials,
// exactly one chosen): where the covariate drives the sales a trained
// network wins and is the model (its arch and epochs); an untrained one
// loses and the statistical members stay the model.
TEST(AutoWithANetwork, TheBetterOnTheSameValidationPointsIsTheModel) {
  for (const bool trained : {true, false}) {
    const double strength = 120;
    std::vector<std::string> notices;
    TrainHooks hooks;
    hooks.notice = [&](const std::string &n) { notices.push_back(n); };
    const TrainedForecaster m =
        train_forecaster(promotions(strength),
                         parse_forecast_options("auto", 4, trained ? kSmallNetwork : kUntrainedNetwork), cpu(), hooks);
    ASSERT_EQ(m.trials.size(), 9u) << trained;  // six statistical, then the three on the network's windows
    const TrialRecord &stat = m.trials[6], &net = m.trials[7], &mix = m.trials[8];
    EXPECT_EQ(stat.arch, "auto");
    EXPECT_EQ(net.arch, "gru");
    EXPECT_EQ(mix.arch, "gru+statistical");
    EXPECT_NE(net.options_json.find("compared_on"), std::string::npos);
    EXPECT_NE(mix.options_json.find("\"network_weight\": 0.5"), std::string::npos) << mix.options_json;
    EXPECT_EQ(std::count_if(m.trials.begin(), m.trials.end(), [](const TrialRecord &t) { return t.chosen; }), 1);
    // The lowest validation WAPE on the same points wins; a tie keeps the simpler.
    const bool combined = mix.val_wape < std::min(stat.val_wape, net.val_wape);
    const bool network_won = combined || net.val_wape < stat.val_wape;
    EXPECT_EQ(mix.chosen, combined);
    EXPECT_EQ(net.chosen, network_won && !combined);
    EXPECT_EQ(m.arch, combined ? "gru+statistical" : network_won ? "gru" : "auto");
    EXPECT_EQ(m.epochs.empty(), !network_won);
    EXPECT_EQ(nlohmann::json::parse(describe_model(m.blob, cpu())).contains("combination"), combined);
    bool told = false;
    for (const auto &n : notices)
      told |= n.rfind("auto: ", 0) == 0 && n.find("on validation (WAPE") != std::string::npos;
    EXPECT_TRUE(told) << trained;
    EXPECT_EQ(network_won, trained) << "network " << net.val_wape << " statistical " << stat.val_wape;
    EXPECT_EQ(forecast(m.blob, 0, cpu(), {}).size(), 4u * 4u);
  }
}

// auto's combination, applied: a network blob given a statistical state
// for its series forecasts half the network's and half the recipe's
// forecast, with the blob's own interval widths around the mix; a
// covariate's contribution and what-if move only the network's half. A
// recipe from another end of history is not mixed in; a forged weight, a
// series the network lacks, a series twice or another horizon is refused.
TEST(AutoWithANetwork, ACombinationForecastsTheMixOfNetworkAndRecipe) {
  const TrainedForecaster net = train_forecaster(synthetic(), small("gru"), cpu(), {});
  const TrainedForecaster stat =
      train_forecaster(synthetic(), parse_forecast_options("auto", 4, R"({"networks": false})"), cpu(), {});
  const auto combined = [&](const std::function<void(nlohmann::json &)> &change) {
    ModelBlob b = decode_blob(net.blob);
    auto state = nlohmann::json::parse(b.state_json);
    state["blend"] = {{"network_weight", 0.5},
                      {"statistical", nlohmann::json::parse(decode_blob(stat.blob).state_json)}};
    change(state);
    b.state_json = state.dump();
    return encode_blob(b);
  };
  const std::string mix = combined([](nlohmann::json &) {});
  std::map<std::pair<std::string, Micros>, ForecastPoint> alone, recipe;
  for (const auto &p : forecast(net.blob, 0, cpu(), {})) alone[{p.series, p.ts}] = p;
  for (const auto &p : forecast(stat.blob, 0, cpu(), {})) recipe[{p.series, p.ts}] = p;
  const auto points = forecast(mix, 0, cpu(), {});
  ASSERT_EQ(points.size(), 3u * 4u);
  for (const auto &p : points) {
    const ForecastPoint &n = alone.at({p.series, p.ts}), &r = recipe.at({p.series, p.ts});
    EXPECT_NEAR(p.yhat, 0.5 * n.yhat + 0.5 * r.yhat, 1e-9 * std::fabs(p.yhat)) << p.series;
    EXPECT_NEAR(p.hi - p.yhat, n.hi - n.yhat, 1e-9 * std::fabs(p.yhat)) << "the blob's widths";
  }
  const auto info = nlohmann::json::parse(describe_model(mix, cpu()));
  EXPECT_EQ(info.at("combination").at("network_weight"), 0.5);
  EXPECT_EQ(info.at("combination").at("recipes").size(), 3u) << info.dump();

  const auto explained = explain_forecast(mix, 0, cpu(), {}), by_network = explain_forecast(net.blob, 0, cpu(), {});
  ASSERT_EQ(explained.size(), by_network.size());
  for (std::size_t i = 0; i < explained.size(); ++i)
    EXPECT_NEAR(explained[i].contribution, 0.5 * by_network[i].contribution, 1e-6 * (1 + std::fabs(explained[i].yhat)));
  const auto moved = sensitivity(mix, "price", {0.0, 0.2}, true, false, cpu(), {});
  const auto moved_alone = sensitivity(net.blob, "price", {0.0, 0.2}, true, false, cpu(), {});
  double recipe_mean = 0;
  for (const auto &[at, p] : recipe) recipe_mean += p.yhat / static_cast<double>(recipe.size());
  for (std::size_t i = 0; i < moved.size(); ++i)
    EXPECT_NEAR(moved[i].mean_forecast, 0.5 * moved_alone[i].mean_forecast + 0.5 * recipe_mean, 1e-6 * recipe_mean);

  // One series' recipe ends a step early: that series is the network's alone.
  const std::string shifted = combined([](nlohmann::json &st) {
    auto &s = st["blend"]["statistical"]["series"][0];
    s["length"] = s["length"].get<long>() - 1;
  });
  const std::string first = nlohmann::json::parse(decode_blob(stat.blob).state_json)["series"][0]["key"];
  for (const auto &p : forecast(shifted, 0, cpu(), {}))
    if (p.series == first) {
      EXPECT_DOUBLE_EQ(p.yhat, alone.at({p.series, p.ts}).yhat);
    }

  for (const auto &[why, change] : std::vector<std::pair<std::string, std::function<void(nlohmann::json &)>>>{
           {"weight 1", [](nlohmann::json &st) { st["blend"]["network_weight"] = 1.0; }},
           {"weight 0", [](nlohmann::json &st) { st["blend"]["network_weight"] = 0.0; }},
           {"no weight", [](nlohmann::json &st) { st["blend"].erase("network_weight"); }},
           {"an unknown series", [](nlohmann::json &st) { st["blend"]["statistical"]["series"][0]["key"] = "nowhere"; }},
           {"a series twice",
            [](nlohmann::json &st) {
              auto &series = st["blend"]["statistical"]["series"];
              series.push_back(series[0]);
            }},
           {"another horizon",
            [](nlohmann::json &st) {
              auto &mixed = st["blend"]["statistical"];
              mixed["options"]["horizon"] = 3;
              mixed["conformal_q"].erase(3);
              mixed.erase("interval_levels");
              for (auto &s : mixed["series"]) {
                s["yhat"].erase(3);
                s.erase("trend");
              }
            }}}) {
    try {
      forecast(combined(change), 0, cpu(), {});
      ADD_FAILURE() << why;
    } catch (const Error &e) {
      EXPECT_EQ(e.kind(), ErrorKind::CorruptModel) << why << ": " << e.what();
    }
  }
}

// Daily sales over a steep trend and a weekly wave, with promotion days:
// the statistical members follow the trend and the wave, a briefly trained
// network sees the promotions; neither is good at both.
SeriesRows promotions_on_a_trend() {
  return promotions(20, 4, 100, kMicrosPerDay, [](int t) { return 3 * t + 40 * std::sin(t * 2 * M_PI / 7); });
}

// Where the combination beats both on the same validation points, it is
// the model: arch gru+statistical, the network's blob with each series'
// recipe, forecasting their equal mix; its test metrics and intervals are
// the mix's, and a backtest scores what each fold chose.
TEST(AutoWithANetwork, WhereTheCombinationWinsOnValidationItIsTheModel) {
  const ForecastOptions o =
      parse_forecast_options("auto", 4, R"({"epochs": 10, "lookback": 8, "hidden": 16, "ensemble": 1, "seed": 3})");
  std::vector<std::string> notices;
  TrainHooks hooks;
  hooks.notice = [&](const std::string &n) { notices.push_back(n); };
  const TrainedForecaster m = train_forecaster(promotions_on_a_trend(), o, cpu(), hooks);
  ASSERT_EQ(m.trials.size(), 9u);
  EXPECT_TRUE(m.trials[8].chosen);
  EXPECT_LT(m.trials[8].val_wape, std::min(m.trials[6].val_wape, m.trials[7].val_wape));
  EXPECT_EQ(m.arch, "gru+statistical");
  EXPECT_TRUE(any_notice(notices, "auto: the equal-weight combination of gru and the statistical members won"));

  ModelBlob b = decode_blob(m.blob);
  auto state = nlohmann::json::parse(b.state_json);
  ASSERT_TRUE(state.contains("blend"));
  EXPECT_EQ(state["blend"]["network_weight"], 0.5);
  std::map<std::string, std::vector<double>> recipe;
  for (const auto &s : state["blend"]["statistical"]["series"]) recipe[s["key"]] = s["yhat"].get<std::vector<double>>();
  EXPECT_EQ(recipe.size(), 4u);
  state.erase("blend");
  b.state_json = state.dump();
  std::map<std::pair<std::string, Micros>, double> alone;
  for (const auto &p : forecast(encode_blob(b), 0, cpu(), {})) alone[{p.series, p.ts}] = p.yhat;
  std::map<std::string, int> step;
  for (const auto &p : forecast(m.blob, 0, cpu(), {})) {
    const double expected = 0.5 * alone.at({p.series, p.ts}) + 0.5 * recipe.at(p.series).at(step[p.series]++);
    EXPECT_NEAR(p.yhat, expected, 1e-9 * std::fabs(expected)) << p.series;
    EXPECT_LT(p.lo, p.yhat);
  }
  double coverage = std::nan(""), validation = std::nan("");
  for (const MetricRow &r : m.metrics) {
    if (r.split == "test" && r.estimator == "model" && r.metric == "coverage") coverage = r.value;
    if (r.split == "validation" && r.estimator == "model" && r.metric == "wape") validation = r.value;
  }
  // The model's validation split is the compared windows, mixed as the contest mixed them.
  EXPECT_NEAR(validation, m.trials[8].val_wape, 1e-5 * m.trials[8].val_wape);
  EXPECT_EQ(nlohmann::json::parse(describe_model(m.blob, cpu())).at("arch"), "gru+statistical");
  EXPECT_TRUE(coverage >= 0 && coverage <= 1) << coverage;
  EXPECT_FALSE(m.residuals.empty());
  const auto rows = backtest(promotions_on_a_trend(), o, 1, 4, cpu(), {});
  EXPECT_EQ(std::count_if(rows.begin(), rows.end(), [](const BacktestRow &r) { return r.estimator == "model"; }), 4);
  for (const BacktestRow &r : rows) EXPECT_TRUE(std::isfinite(r.wape)) << r.estimator << " step " << r.step;
}

// Which rows bring the candidate: covariates, or the option; "networks"
// belongs to auto alone. A backtest of auto runs the contest in every fold.
TEST(AutoWithANetwork, JoinsWithCovariatesOrOnRequestAndBacktests) {
  EXPECT_TRUE(network_joins_auto(parse_forecast_options("auto", 4, "{}"), true));
  EXPECT_FALSE(network_joins_auto(parse_forecast_options("auto", 4, "{}"), false));
  EXPECT_FALSE(network_joins_auto(parse_forecast_options("auto", 4, R"({"networks": false})"), true));
  EXPECT_TRUE(network_joins_auto(parse_forecast_options("auto", 4, R"({"networks": true})"), false));
  EXPECT_FALSE(network_joins_auto(parse_forecast_options("gru", 4, "{}"), true));
  EXPECT_THROW(parse_forecast_options("gru", 4, R"({"networks": true})"), Error);
  EXPECT_THROW(parse_forecast_options("auto", 4, R"({"networks": 1})"), Error);
  // The preset under what auto was given: the given keys win.
  const ForecastOptions net =
      auto_network_options(parse_forecast_options("auto", 4, R"({"epochs": 7, "networks": true})"));
  EXPECT_EQ(net.arch, "gru");
  EXPECT_EQ(net.epochs, 7);
  EXPECT_GE(net.ensemble, 1);

  // No room for the network under xb.max_train_memory: auto stays statistical and says why.
  RuntimeSettings tight = cpu();
  tight.max_memory_bytes = 100000;
  std::vector<std::string> notices;
  TrainHooks hooks;
  hooks.notice = [&](const std::string &n) { notices.push_back(n); };
  const TrainedForecaster squeezed =
      train_forecaster(promotions(120), parse_forecast_options("auto", 4, "{}"), tight, hooks);
  EXPECT_EQ(squeezed.arch, "auto");
  EXPECT_EQ(squeezed.trials.size(), 6u);
  bool why = false;
  for (const auto &n : notices) why |= n.rfind("auto trained no network: training would need", 0) == 0;
  EXPECT_TRUE(why);

  // 130 weeks: the network's validation windows start from 104 weeks or
  // less, where auto's recipe cannot be seasonal (two seasons), unlike on
  // all 130: no fair comparison, so no network, and the NOTICE says why.
  notices.clear();
  const TrainedForecaster unfair =
      train_forecaster(promotions(120, 4, 130), parse_forecast_options("auto", 13, kSmallNetwork), cpu(), hooks);
  EXPECT_EQ(unfair.arch, "auto");
  EXPECT_EQ(unfair.trials.size(), 6u);
  why = false;
  for (const auto &n : notices) why |= n.find("too few to compare the two") != std::string::npos;
  EXPECT_TRUE(why);

  const TrainedForecaster plain = train_forecaster(promotions(120), stat_options("auto"), cpu(), {});
  EXPECT_EQ(plain.trials.size(), 6u) << "networks false: the statistical members alone";
  EXPECT_EQ(plain.arch, "auto");
  const auto rows = backtest(promotions(120), parse_forecast_options("auto", 4, kSmallNetwork), 2, 4, cpu(), {});
  ASSERT_EQ(rows.size(), 2u * 4u * 2u);  // folds x steps x (model, seasonal naive)
  for (const auto &r : rows) EXPECT_TRUE(std::isfinite(r.wape)) << r.fold << " " << r.step << " " << r.estimator;
}
