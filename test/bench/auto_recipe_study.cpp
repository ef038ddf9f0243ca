// How auto's recipe was chosen: Walmart's 45 stores cut at an earlier week
// CUT (never the last 13 weeks that the bar scores), xb's internal split of
// that history (test 10% but at least H, validation the same), candidates
// scored on validation origins one horizon apart, then the recipes scored on
// weeks CUT+1..CUT+13. Prints each recipe's WAPE and MASE and the choice a
// global validation score would make.
//   g++ -std=c++17 -O2 -Isrc test/bench/auto_recipe_study.cpp src/core/forecast/{ets,stl,theta,naive}.cpp
//   ./a.out ../shared/data/walmart_weekly.csv CUT [ORIGINS [STRIDE]]
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <numeric>
#include <sstream>
#include <string>
#include <vector>
#include "core/forecast/stat_member.hpp"
using namespace std;
const int H = 13, M = 52;
int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s WALMART_CSV CUT [ORIGINS [STRIDE]]\n", argv[0]);
    return 2;
  }
  int CUT = atoi(argv[2]);
  int V = argc > 3 ? atoi(argv[3]) : 2;
  int STRIDE = argc > 4 ? atoi(argv[4]) : H;
  ifstream f(argv[1]);
  string line;
  getline(f, line);
  map<int, vector<double>> ys;
  while (getline(f, line)) {
    stringstream ss(line);
    string a, b, c;
    getline(ss, a, ',');
    getline(ss, b, ',');
    getline(ss, c, ',');
    ys[stoi(a)].push_back(stod(c));
  }
  vector<string> mem = {"snaive", "ets", "theta", "stlf"};
  int K = mem.size();
  map<string, double> abs_err;
  map<string, double> gval;
  map<int, map<string, vector<double>>> keep;
  double abs_act = 0;
  map<string, double> mase_sum;
  for (auto &[store, yall] : ys) {
    vector<double> y(yall.begin(), yall.begin() + CUT);
    vector<double> act(yall.begin() + CUT, yall.begin() + CUT + H);
    long n = y.size();
    long test = max<long>(lround(0.1 * n), H), val = max<long>(lround(0.1 * n), H);
    long val_end = n - test;
    double scale = 0;
    for (long t = M; t < CUT; ++t) scale += fabs(y[t] - y[t - M]);
    scale /= (CUT - M);
    // validation error per member
    vector<double> verr(K, 0);
    vector<vector<double>> vfc(K);
    for (int j = 0; j < V; ++j) {
      long o = val_end - 1 - H - j * STRIDE;
      if (o < 10) break;
      vector<double> yy(y.begin(), y.begin() + o + 1);
      for (int k = 0; k < K; ++k) {
        auto fc = xb::stat::fit_and_forecast(mem[k], yy, M, H).mean;
        for (int h = 0; h < H; ++h) verr[k] += fabs(fc[h] - y[o + 1 + h]);
      }
    }
    vector<vector<double>> fc(K);
    for (int k = 0; k < K; ++k) fc[k] = xb::stat::fit_and_forecast(mem[k], y, M, H).mean;
    vector<int> order(K);
    iota(order.begin(), order.end(), 0);
    sort(order.begin(), order.end(), [&](int a, int b) { return verr[a] < verr[b]; });
    auto add = [&](const string &name, const vector<double> &p) {
      double e = 0;
      for (int h = 0; h < H; ++h) e += fabs(p[h] - act[h]);
      abs_err[name] += e;
      mase_sum[name] += e / H / scale;
    };
    auto mean_of = [&](vector<int> ks) {
      vector<double> p(H, 0);
      for (int k : ks)
        for (int h = 0; h < H; ++h) p[h] += fc[k][h] / ks.size();
      return p;
    };
    // candidate recipes: members and fixed combos; val error per recipe
    vector<pair<string, vector<int>>> recipes = {{"snaive", {0}},
                                                 {"ets", {1}},
                                                 {"theta", {2}},
                                                 {"stlf", {3}},
                                                 {"comb theta+stlf", {2, 3}},
                                                 {"comb ets+theta+stlf", {1, 2, 3}},
                                                 {"comb all4", {0, 1, 2, 3}},
                                                 {"comb snaive+theta+stlf", {0, 2, 3}}};
    for (auto &[nm, ks] : recipes) {
      double e = 0;
      for (int j = 0; j < V; ++j) {
        long o = val_end - 1 - H - j * STRIDE;
        if (o < 10) break;
        vector<double> yy(y.begin(), y.begin() + o + 1);
        vector<double> p(H, 0);
        for (int k : ks) {
          auto f2 = xb::stat::fit_and_forecast(mem[k], yy, M, H).mean;
          for (int h = 0; h < H; ++h) p[h] += f2[h] / ks.size();
        }
        for (int h = 0; h < H; ++h) e += fabs(p[h] - y[o + 1 + h]);
      }
      gval[nm] += e / scale;
      keep[store][nm] = mean_of(ks);
    }
    for (int k = 0; k < K; ++k) add(mem[k], fc[k]);
    add("comb theta+stlf", mean_of({2, 3}));
    add("comb ets+theta+stlf", mean_of({1, 2, 3}));
    add("comb all4", mean_of({0, 1, 2, 3}));
    add("comb snaive+theta+stlf", mean_of({0, 2, 3}));
    add("best1", fc[order[0]]);
    add("top2", mean_of({order[0], order[1]}));
    add("top3", mean_of({order[0], order[1], order[2]}));
    {
      vector<double> p(H, 0);
      double ws = 0;
      for (int k = 0; k < K; ++k) {
        double w = 1 / max(verr[k], 1e-9);
        ws += w;
        for (int h = 0; h < H; ++h) p[h] += w * fc[k][h];
      }
      for (auto &v : p) v /= ws;
      add("inverr all", p);
    }
    for (double a : act) abs_act += a;
  }
  {
    string best;
    double bv = 1e300;
    for (auto &[k, v] : gval) {
      printf("  val %-24s %.3f\n", k.c_str(), v);
      if (v < bv) {
        bv = v;
        best = k;
      }
    }
    printf("global choice: %s\n", best.c_str());
  }
  printf("CUT %d V %d stride %d\n", CUT, V, STRIDE);
  vector<pair<double, string>> rows;
  for (auto &[k, v] : abs_err) rows.push_back({v / abs_act, k});
  sort(rows.begin(), rows.end());
  for (auto &[w, k] : rows) printf("  %-24s WAPE %.4f  MASE %.3f\n", k.c_str(), w, mase_sum[k] / ys.size());
}
