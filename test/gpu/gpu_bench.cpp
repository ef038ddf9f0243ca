// Issue 19's GPU benchmark of the core, through its public API only: a
// global GRU and a Transformer trained on synthetic daily series for a fixed
// number of epochs on the CPU (all cores) and on the device, seconds per
// epoch and test WAPE on each; then a regressor's batched scoring in rows/s
// on each. Prints "RESULT" lines to paste into the README, each bar beside
// its measurement. Built only with -DXB_GPU_BENCH=ON; run by test/gpu/run 1.
//   xb_gpu_bench [--device cuda] [--scale full|small] [--threads N] [--epochs N]
//                [--cpu-budget SECONDS] [--cpu-series N]
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <thread>
#include <vector>

#include "core/common/error.hpp"
#include "core/forecast/forecaster.hpp"
#include "core/forecast/options.hpp"
#include "core/tabular/model.hpp"
#include "core/tabular/options.hpp"
#include "core/tabular/scorer.hpp"

using namespace xb;

namespace {

struct BenchSettings {
  std::string device = "cuda";
  std::string scale = "full";
  int threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  int epochs = 2;
  // The CPU's training may stop after its first epoch past this many seconds
  // (time_budget), so that a full-scale run fits a 5-minute stage; the
  // seconds per epoch stay a measurement of the epochs it did run.
  double cpu_budget = 30;
  int series = 2000, steps = 1000;
  int cpu_series = 100;  // what the CPU trains on (see main)
  long score_rows = 2000000;
};

constexpr Micros kMicrosPerDay = 86400LL * 1000000LL;

// A deterministic noise in [-1, 1) from a counter, the same on every machine.
double noise(std::uint64_t k) {
  k = (k ^ (k >> 33)) * 0xff51afd7ed558ccdULL;
  k = (k ^ (k >> 33)) * 0xc4ceb9fe1a85ec53ULL;
  k ^= k >> 33;
  return static_cast<double>(k >> 11) / static_cast<double>(1ULL << 52) - 1.0;
}

// Daily series with their own level, trend, weekly and yearly season.
SeriesRows synthetic_series(int series, int steps) {
  SeriesRows rows;
  rows.reserve(static_cast<std::size_t>(series) * steps);
  for (int s = 0; s < series; ++s) {
    const double level = 100 + 5 * (s % 40), trend = 0.02 * (s % 7 - 3), weekly = 10 + s % 13;
    const std::string key = "s" + std::to_string(s);
    for (int t = 0; t < steps; ++t) {
      rows.series_key.push_back(key);
      rows.time.push_back(static_cast<Micros>(t) * kMicrosPerDay);
      rows.target.push_back(level + trend * t + weekly * std::sin(2 * M_PI * t / 7) +
                            8 * std::sin(2 * M_PI * t / 365.25) + 4 * noise(static_cast<std::uint64_t>(s) * steps + t));
    }
  }
  return rows;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

double test_metric(const std::vector<MetricRow> &metrics, const std::string &estimator, const std::string &name) {
  for (const auto &m : metrics)
    if (m.split == "test" && m.estimator == estimator && m.metric == name) return m.value;
  return NAN;
}

struct TrainingRun {
  bool ran = false;
  std::string why_not;
  int epochs = 0;
  double seconds_per_epoch = NAN, wape = NAN, naive_wape = NAN, total_seconds = NAN;
};

TrainingRun train_once(const SeriesRows &rows, const std::string &arch, const std::string &device,
                       const BenchSettings &bench, double budget, const std::string &precision = "fp32") {
  // Fixed epochs (no early stop); a batch large enough to keep a GPU busy,
  // the same on both devices.
  std::string options = R"({"epochs": )" + std::to_string(bench.epochs) +
                        R"(, "patience": 1000, "batch_size": 1024, "lookback": 56, "seed": 7)";
  if (budget > 0) options += R"(, "time_budget": )" + std::to_string(budget);
  if (precision != "fp32") options += R"(, "precision": ")" + precision + "\"";
  options += "}";
  TrainingRun run;
  try {
    const ForecastOptions parsed = parse_forecast_options(arch, 28, options);
    const TrainedForecaster m = train_forecaster(rows, parsed, RuntimeSettings{device, bench.threads}, {});
    run.ran = true;
    run.epochs = static_cast<int>(m.epochs.size());
    run.total_seconds = m.seconds;
    // EpochRecord::seconds counts from the start of training: what follows
    // prepare_seconds is the epochs themselves, validation included.
    if (run.epochs > 0) run.seconds_per_epoch = (m.epochs.back().seconds - m.prepare_seconds) / run.epochs;
    run.wape = test_metric(m.metrics, "model", "wape");
    run.naive_wape = test_metric(m.metrics, "seasonal_naive", "wape");
  } catch (const std::exception &e) {
    run.why_not = e.what();
  }
  return run;
}

// A regressor 8 -> 16 -> 1 (issue 15's scoring network), scored on rows
// already in memory, as xb_score hands them over: rows per second.
struct ScoringRun {
  bool ran = false;
  std::string why_not;
  double rows_per_second = NAN;
};

TabularRows regression_rows(long rows) {
  TabularRows r;
  r.label_name = "y";
  for (int f = 0; f < 8; ++f) r.features.push_back(TabularColumn{"x" + std::to_string(f), true, {}, {}});
  for (long i = 0; i < rows; ++i) {
    double y = 0;
    for (int f = 0; f < 8; ++f) {
      const double x = noise(static_cast<std::uint64_t>(i) * 8 + f);
      r.features[f].numbers.push_back(x);
      y += (f + 1) * x;
    }
    r.targets.push_back(y + 0.1 * noise(1000000007ULL + i));
  }
  return r;
}

ScoringRun score_once(const std::string &blob, const std::vector<TabularColumn> &columns, const std::string &device,
                      const BenchSettings &bench) {
  ScoringRun run;
  try {
    const auto scorer = TabularScorer::load(blob, RuntimeSettings{device, bench.threads});
    // Warm-up on a few rows: the first call pays for the device's context and kernels.
    std::vector<TabularColumn> few = columns;
    for (auto &column : few) column.numbers.resize(std::min<std::size_t>(column.numbers.size(), 1000));
    scorer->predict(few);
    double best = INFINITY;
    for (int repeat = 0; repeat < 3; ++repeat) {
      const auto start = std::chrono::steady_clock::now();
      const auto predictions = scorer->predict(columns);
      best = std::min(best, seconds_since(start));
      if (predictions.size() != columns[0].size()) throw Error(ErrorKind::Internal, "scored the wrong number of rows");
    }
    run.ran = true;
    run.rows_per_second = static_cast<double>(columns[0].size()) / best;
  } catch (const std::exception &e) {
    run.why_not = e.what();
  }
  return run;
}

std::string bar_verdict(bool met) { return met ? "met" : "NOT met"; }

BenchSettings parse_arguments(int argc, char **argv) {
  BenchSettings bench;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string key = argv[i], value = argv[i + 1];
    if (key == "--device")
      bench.device = value;
    else if (key == "--scale")
      bench.scale = value;
    else if (key == "--threads")
      bench.threads = std::atoi(value.c_str());
    else if (key == "--epochs")
      bench.epochs = std::atoi(value.c_str());
    else if (key == "--cpu-series")
      bench.cpu_series = std::atoi(value.c_str());
    else if (key == "--cpu-budget")
      bench.cpu_budget = std::atof(value.c_str());
    else {
      std::fprintf(stderr, "unknown argument %s\n", key.c_str());
      std::exit(2);
    }
  }
  if (bench.scale == "small") {
    // Minutes on 2 cores: proves the program, measures nothing of the GPU.
    bench.series = 16;
    bench.cpu_series = 16;
    bench.steps = 300;
    bench.score_rows = 100000;
  } else if (bench.scale != "full") {
    std::fprintf(stderr, "--scale is full or small\n");
    std::exit(2);
  }
  bench.cpu_series = std::clamp(bench.cpu_series, 1, bench.series);
  return bench;
}

}  // namespace

int main(int argc, char **argv) {
  const BenchSettings bench = parse_arguments(argc, argv);
  std::printf(
      "gpu_bench: %d series (the cpu: %d) x %d daily steps, horizon 28, lookback 56, batch 1024, %d epochs, cpu "
      "threads %d\n",
      bench.series, bench.cpu_series, bench.steps, bench.epochs, bench.threads);
  const SeriesRows rows = synthetic_series(bench.series, bench.steps);
  bool all_ran = true;

  // The CPU trains on the first cpu_series series only (a full-scale CPU
  // epoch takes minutes: more than a stage has), and the device on the same
  // rows, so the ratio compares the same work; the device then trains on
  // every series as well.
  const SeriesRows cpu_rows = synthetic_series(bench.cpu_series, bench.steps);
  struct Bar {
    std::string arch;
    double speedup;
  };
  for (const Bar &bar : {Bar{"transformer", 10}, Bar{"gru", 5}}) {
    const TrainingRun on_cpu = train_once(cpu_rows, bar.arch, "cpu", bench, bench.cpu_budget);
    const TrainingRun same_rows = train_once(cpu_rows, bar.arch, bench.device, bench, 0);
    const TrainingRun all_rows =
        bench.cpu_series < bench.series ? train_once(rows, bar.arch, bench.device, bench, 0) : TrainingRun{};
    // Mixed precision on the device, every series: the option's speed and accuracy against fp32.
    const TrainingRun bf16 =
        bench.device != "cpu" ? train_once(rows, bar.arch, bench.device, bench, 0, "bf16") : TrainingRun{};
    const std::string subset = std::to_string(bench.cpu_series) + " series";
    const std::string everything = std::to_string(bench.series) + " series";
    for (const auto &[name, run] :
         {std::pair{"cpu, " + subset, on_cpu}, std::pair{bench.device + ", " + subset, same_rows},
          std::pair{bench.device + ", " + everything, all_rows},
          std::pair{bench.device + ", " + everything + ", precision bf16", bf16}}) {
      if (run.ran)
        std::printf(
            "RESULT %s on %s: %.3f s per epoch (%d epochs), test WAPE %.4f (seasonal naive %.4f), %.1f s in all\n",
            bar.arch.c_str(), name.c_str(), run.seconds_per_epoch, run.epochs, run.wape, run.naive_wape,
            run.total_seconds);
      else if (!run.why_not.empty())
        std::printf("RESULT %s on %s: did not run: %s\n", bar.arch.c_str(), name.c_str(), run.why_not.c_str());
      all_ran = all_ran && (run.ran || run.why_not.empty());
    }
    const TrainingRun &fp32 = bench.cpu_series < bench.series ? all_rows : same_rows;
    if (bf16.ran && fp32.ran)
      std::printf("RESULT %s on %s, %s: bf16 against fp32 %.2fx per epoch, test WAPE %.4f against %.4f\n",
                  bar.arch.c_str(), bench.device.c_str(), everything.c_str(),
                  fp32.seconds_per_epoch / bf16.seconds_per_epoch, bf16.wape, fp32.wape);
    if (on_cpu.ran && same_rows.ran) {
      const double ratio = on_cpu.seconds_per_epoch / same_rows.seconds_per_epoch;
      std::printf("RESULT %s per epoch on %s, %s against cpu (%d threads): %.2fx (bar >= %.0fx: %s)\n",
                  bar.arch.c_str(), subset.c_str(), bench.device.c_str(), bench.threads, ratio, bar.speedup,
                  bar_verdict(ratio >= bar.speedup).c_str());
    }
  }

  // Scoring: one small regressor, trained on the CPU (its training is not
  // what is measured), scored in one batch of all rows on each device.
  const TabularRows train_rows = regression_rows(20000);
  const TabularOptions options =
      parse_tabular_options(false, R"({"epochs": 5, "hidden": [16], "seed": 3, "importance_repeats": 1})");
  std::string blob;
  try {
    blob = train_regressor(train_rows, options, RuntimeSettings{"cpu", bench.threads}, {}).blob;
  } catch (const std::exception &e) {
    std::printf("RESULT scoring: the regressor did not train: %s\n", e.what());
    return 1;
  }
  const std::vector<TabularColumn> columns = regression_rows(bench.score_rows).features;
  for (const std::string &device : {std::string("cpu"), bench.device}) {
    const ScoringRun run = score_once(blob, columns, device, bench);
    if (run.ran)
      std::printf(
          "RESULT batched scoring on %s: %.0f rows/s (%ld rows, 8 features, MLP 8-16-1; bar >= 10M rows/s: %s)\n",
          device.c_str(), run.rows_per_second, bench.score_rows, bar_verdict(run.rows_per_second >= 1e7).c_str());
    else
      std::printf("RESULT batched scoring on %s: did not run: %s\n", device.c_str(), run.why_not.c_str());
    all_ran = all_ran && run.ran;
    if (device == bench.device && device == "cpu") break;
  }
  return all_ran ? 0 : 1;
}
