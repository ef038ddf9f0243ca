// Accuracy and speed of xb's statistical members on Walmart (45 stores,
// train on weeks 1..130, forecast 13, m = 52), optionally next to R's
// forecasts for the same split, plus a single-threaded throughput run on
// synthetic weekly series. Driven by test/bench/stat_vs_r.sh.
//
//   stat_members_bench WALMART_CSV [R_FORECASTS_CSV R_TIMES_TXT] [--series N]
//
// WAPE = sum |a - f| / sum |a| over all stores and steps.
// MASE = mean over stores of MAE_store / scale_store, scale_store = mean
//        |y_t - y_{t-52}| over the store's 130 training weeks (t = 53..130).
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "core/forecast/stat_member.hpp"

namespace {

constexpr int kTrain = 130, kH = 13, kM = 52;
const char *kMembers[] = {"snaive", "ets", "theta", "stlf"};

std::map<int, std::vector<double>> load_walmart(const std::string &path) {
  std::ifstream f(path);
  std::map<int, std::vector<double>> out;
  std::string line;
  std::getline(f, line);
  while (std::getline(f, line)) {
    std::stringstream ss(line);
    std::string store, date, sales;
    std::getline(ss, store, ',');
    std::getline(ss, date, ',');
    std::getline(ss, sales, ',');
    out[std::stoi(store)].push_back(std::stod(sales));
  }
  return out;
}

// store -> method -> 13 forecasts, from stat_reference.R's bench mode.
std::map<int, std::map<std::string, std::vector<double>>> load_r(const std::string &path) {
  std::ifstream f(path);
  std::map<int, std::map<std::string, std::vector<double>>> out;
  std::string line;
  std::getline(f, line);
  while (std::getline(f, line)) {
    std::stringstream ss(line);
    std::string store, method, step, actual, fc;
    std::getline(ss, store, ',');
    std::getline(ss, method, ',');
    std::getline(ss, step, ',');
    std::getline(ss, actual, ',');
    std::getline(ss, fc, ',');
    if (method.size() >= 2 && method.front() == '"') method = method.substr(1, method.size() - 2);
    out[std::stoi(store)][method].push_back(std::stod(fc));
  }
  return out;
}

struct Score {
  double wape, mase;
};

Score score(const std::map<int, std::vector<double>> &data, const std::map<int, std::vector<double>> &fc) {
  double abs_err = 0, abs_act = 0, mase_sum = 0;
  int stores = 0;
  for (const auto &[store, y] : data) {
    const auto it = fc.find(store);
    if (it == fc.end()) continue;
    double scale = 0;
    for (int t = kM; t < kTrain; ++t) scale += std::fabs(y[t] - y[t - kM]);
    scale /= kTrain - kM;
    double mae = 0;
    for (int i = 0; i < kH; ++i) {
      const double e = std::fabs(y[kTrain + i] - it->second[i]);
      abs_err += e;
      abs_act += std::fabs(y[kTrain + i]);
      mae += e;
    }
    mase_sum += (mae / kH) / scale;
    ++stores;
  }
  return {abs_err / abs_act, mase_sum / stores};
}

// Deterministic generator for the throughput run (no <random> distributions,
// whose output is implementation-defined): splitmix64 + Box–Muller.
struct Rng {
  uint64_t s;
  double uniform() {
    uint64_t z = (s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    z ^= z >> 31;
    return ((z >> 11) + 0.5) * (1.0 / 9007199254740992.0);
  }
  double normal() {
    const double u1 = uniform(), u2 = uniform();
    return std::sqrt(-2 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }
};

std::vector<double> synthetic(Rng &rng, int n) {
  const double level = 5e5 + 2e6 * rng.uniform();                 // U(5e5, 2.5e6)
  const double slope = level * (-0.001 + 0.003 * rng.uniform());  // per week
  const double amp = level * (0.05 + 0.20 * rng.uniform());       // yearly amplitude
  const double phase = 6.283185307179586 * rng.uniform();
  const double noise = level * 0.04;  // noise sd
  std::vector<double> y(n);
  for (int t = 0; t < n; ++t) {
    const double season =
        amp * std::sin(6.283185307179586 * t / 52.0 + phase) + 0.5 * amp * std::cos(4 * 3.141592653589793 * t / 52.0);
    const double holiday = (t % 52 == 46 || t % 52 == 50) ? 0.3 * level : 0.0;
    y[t] = level + slope * t + season + holiday + noise * rng.normal();
  }
  return y;
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

int main(int argc, char **argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s WALMART_CSV [R_FORECASTS_CSV R_TIMES_TXT] [--series N]\n", argv[0]);
    return 2;
  }
  std::string r_csv, r_times;
  int n_series = 10000;
  std::vector<std::string> pos;
  for (int i = 2; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--series" && i + 1 < argc)
      n_series = std::stoi(argv[++i]);
    else
      pos.push_back(a);
  }
  if (pos.size() >= 2) {
    r_csv = pos[0];
    r_times = pos[1];
  }
  const auto data = load_walmart(argv[1]);
  if (data.size() != 45) {
    std::fprintf(stderr, "expected 45 stores in %s\n", argv[1]);
    return 1;
  }

  // xb on the Walmart split.
  std::map<std::string, std::map<int, std::vector<double>>> xb_fc;
  std::map<std::string, double> xb_time;
  std::map<std::string, int> ets_models;
  for (const char *member : kMembers) {
    const auto t0 = std::chrono::steady_clock::now();
    for (const auto &[store, y] : data) {
      const std::vector<double> train(y.begin(), y.begin() + kTrain);
      const xb::stat::StatForecast f = xb::stat::fit_and_forecast(member, train, kM, kH);
      xb_fc[member][store] = f.mean;
      if (std::string(member) == "ets") ++ets_models[f.method];
    }
    xb_time[member] = seconds_since(t0);
  }

  std::map<std::string, std::map<int, std::vector<double>>> r_fc;
  std::map<std::string, double> r_time;
  if (!r_csv.empty()) {
    for (const auto &[store, methods] : load_r(r_csv))
      for (const auto &[method, f] : methods) r_fc[method][store] = f;
    std::ifstream tf(r_times);
    std::string tag, name;
    double secs;
    while (tf >> tag >> name >> secs)
      if (tag == "R_TIME") r_time[name] = secs;
  }

  std::printf("Walmart weekly sales, 45 stores, train weeks 1-130, h = 13, m = 52\n");
  std::printf(
      "WAPE = sum|e|/sum|a| over all stores and steps; MASE = mean over stores of MAE / in-sample\n"
      "seasonal-naive (lag 52) MAE of the store's 130 training weeks\n\n");
  std::printf("%-8s | %9s %9s %10s | %9s %9s %10s\n", "member", "xb WAPE", "xb MASE", "xb time s", "R WAPE", "R MASE",
              "R time s");
  std::printf("---------+--------------------------------+--------------------------------\n");
  for (const char *member : kMembers) {
    const Score xs = score(data, xb_fc[member]);
    std::printf("%-8s | %9.4f %9.4f %10.4f |", member, xs.wape, xs.mase, xb_time[member]);
    if (r_fc.count(member)) {
      const Score rs = score(data, r_fc[member]);
      std::printf(" %9.4f %9.4f %10.4f\n", rs.wape, rs.mase, r_time[member]);
    } else {
      std::printf(" %9s %9s %10s\n", "-", "-", "-");
    }
  }
  std::printf("\nxb ETS models chosen:");
  for (const auto &[name, count] : ets_models) std::printf(" %s x%d", name.c_str(), count);
  std::printf("\n");
  if (!r_fc.empty()) {
    // Per-series agreement with R: max over steps of |xb - R| / |R|.
    for (const char *member : kMembers) {
      if (!r_fc.count(member)) continue;
      int within_1e6 = 0, within_1pct = 0, within_3pct = 0;
      double worst = 0;
      int worst_store = 0;
      for (const auto &[store, f] : xb_fc[member]) {
        const auto &rf = r_fc[member][store];
        double d = 0;
        for (int i = 0; i < kH; ++i) d = std::max(d, std::fabs(f[i] - rf[i]) / std::fabs(rf[i]));
        within_1e6 += d <= 1e-6;
        within_1pct += d <= 0.01;
        within_3pct += d <= 0.03;
        if (d > worst) {
          worst = d;
          worst_store = store;
        }
      }
      std::printf(
          "per-series vs R %-7s: %2d/45 within 1e-6, %2d/45 within 1%%, %2d/45 within 3%%, worst %.2e "
          "(store %d)\n",
          member, within_1e6, within_1pct, within_3pct, worst, worst_store);
    }
  }

  // Throughput on synthetic series.
  Rng rng{20240601};
  std::vector<std::vector<double>> series(n_series);
  for (auto &s : series) s = synthetic(rng, 156);
  std::printf("\nThroughput: %d synthetic weekly series x 156 points, h = 13, m = 52, single thread\n", n_series);
  std::printf(
      "generator: splitmix64 seed 20240601; level U(5e5,2.5e6); slope level*U(-0.001,0.002)/week;\n"
      "yearly sin amplitude level*U(0.05,0.25) random phase + half-amplitude 2nd harmonic cos;\n"
      "+0.3*level in weeks 47 and 51 of each year; Gaussian noise sd 0.04*level\n");
  double total = 0;
  double checksum = 0;
  for (const char *member : kMembers) {
    const auto t0 = std::chrono::steady_clock::now();
    for (const auto &s : series) checksum += xb::stat::fit_and_forecast(member, s, kM, kH).mean[kH - 1];
    const double secs = seconds_since(t0);
    total += secs;
    std::printf("  %-7s %8.3f s  %10.0f series/s\n", member, secs, n_series / secs);
  }
  std::printf("  %-7s %8.3f s  %10.0f series/s (all four members per series)\n", "all", total, n_series / total);
  std::printf("  (checksum %.6e)\n", checksum);
  return 0;
}
