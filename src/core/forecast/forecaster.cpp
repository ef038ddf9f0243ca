// Training a forecaster (the statistical members and auto in
// stat_forecaster; here one network, or nets: each, keeping the best on
// validation) and rolling-origin backtests, which retrain the same way.
#include "core/forecast/forecaster.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <set>

#include "core/common/blob.hpp"
#include "core/forecast/cold_start.hpp"
#include "core/forecast/covariates.hpp"
#include "core/common/error.hpp"
#include "core/common/phase_clock.hpp"
#include "core/common/limits.hpp"
#include "core/forecast/forecast_state.hpp"
#include "core/forecast/metrics.hpp"
#include "core/common/runtime.hpp"
#include "core/common/search.hpp"
#include "core/forecast/stat_forecaster.hpp"
#include "core/forecast/trainer.hpp"
#include "core/common/weights.hpp"

namespace xb {
namespace {

// Seasonal lag input: on when asked, or (auto) when the frequency has a season
// and most series are long enough to learn from it.
int choose_season(const Panel &panel, const ForecastOptions &o) {
  int m = panel.freq.season_length();
  if (o.seasonal_lag == 0) return 0;
  if (o.seasonal_lag == 1) {
    if (m <= 1)
      throw Error(ErrorKind::InvalidParameter,
                  "option \"seasonal_lag\" needs a seasonal frequency, not " + panel.freq.name());
    return m;
  }
  if (m <= 1) return 0;
  long enough = 0;
  for (const auto &s : panel.series) {
    SeriesSplit sp = split_temporal(static_cast<long>(s.length()), o);
    if (sp.train_end - (o.lookback + m) >= 2L * o.horizon) ++enough;
  }
  return 2 * enough >= static_cast<long>(panel.series.size()) ? m : 0;
}

// Target value the seasonal-naive baseline predicts for step h from origin t.
double seasonal_naive(const Series &s, long origin, int h, int season) {
  long back = static_cast<long>((h + season - 1) / season) * season;
  long idx = origin + h - back;
  return season > 1 && idx >= 0 ? s.y[idx] : s.y[origin];
}

// Encoded rows on their time grid, with notices for what was changed.
Panel panel_of(const SeriesRows &rows, const ForecastOptions &o, const TextEncoding &text,
               const RuntimeSettings &runtime, const TrainHooks &hooks) {
  Panel panel = rows.text_feature_names.empty()
                    ? build_panel(rows, o.freq, o.fill, o.invalid, runtime.max_memory_bytes)
                    : build_panel(encode_text_columns(rows, text), o.freq, o.fill, o.invalid, runtime.max_memory_bytes);
  if (panel.dropped_rows > 0 && hooks.notice)
    hooks.notice("dropped " + std::to_string(panel.dropped_rows) +
                 " rows with a NULL or non-finite target or feature (invalid: drop)");
  if (panel.filled_points > 0 && hooks.notice)
    hooks.notice("filled " + std::to_string(panel.filled_points) + " missing " + panel.freq.name() +
                 " steps (fill: " + o.fill + ")");
  return panel;
}

// Everything the candidates share: usable series, splits, scalers, windows.
struct Prepared {
  Panel panel;
  WindowLayout layout;
  std::vector<SeriesSplit> splits;
  std::vector<Scaler> target_scalers;
  std::vector<double> mase_scale;
  std::vector<Window> train_w, val_w, test_w;
  WindowBatch train_b, val_b, test_b;
  std::vector<Series> too_short;  // for the windows: forecast by the statistical members
  double window_bytes = 0;        // of every split's windows
  double memory_limit = 0;        // xb.max_train_memory
};

std::vector<ForecastOptions> trial_candidates(const ForecastOptions &o, const std::string &doc);

// Before anything is allocated for them: the windows, and each candidate's
// network with its gradients, optimiser state and best copy.
void check_memory(const Prepared &p, const std::vector<ForecastOptions> &candidates) {
  double net_bytes = 0;
  for (const ForecastOptions &c : candidates)
    net_bytes =
        std::max(net_bytes,
                 static_cast<double>(parameter_count(net_shape(c, p.layout, static_cast<int>(p.panel.series.size())))) *
                     c.ensemble * limits::kTrainBytesPerParameter);
  limits::check_training_memory(p.window_bytes + net_bytes, p.memory_limit, "its windows and network");
}

Prepared prepare(Panel panel, const ForecastOptions &o, const RuntimeSettings &runtime) {
  Prepared p;
  p.layout.lookback = o.lookback;
  p.layout.horizon = o.horizon;
  p.layout.freq = panel.freq;
  p.layout.season = choose_season(panel, o);

  // Keep the series long enough for one training window after the split;
  // the others go to the statistical members (train_forecaster).
  std::vector<Series> usable;
  for (auto &s : panel.series) {
    SeriesSplit sp = split_temporal(static_cast<long>(s.length()), o);
    if (p.layout.first_origin() + o.horizon <= sp.train_end - 1) {
      p.splits.push_back(sp);
      usable.push_back(std::move(s));
    } else {
      p.too_short.push_back(std::move(s));
    }
  }
  panel.series = std::move(usable);
  p.panel = std::move(panel);
  if (p.panel.series.empty()) return p;
  // Forecasts continue each series by the horizon: those times must exist too.
  for (const Series &s : p.panel.series) p.panel.time_at(s, static_cast<long>(s.length()) - 1 + o.horizon);

  const std::size_t nf = p.panel.feature_count();
  std::vector<double> train_x;
  for (std::size_t k = 0; k < p.panel.series.size(); ++k) {
    const Series &s = p.panel.series[k];
    p.target_scalers.push_back(fit_scaler(s.y.data(), static_cast<std::size_t>(p.splits[k].train_end)));
    train_x.insert(train_x.end(), s.x.begin(), s.x.begin() + p.splits[k].train_end * static_cast<long>(nf));
    p.mase_scale.push_back(seasonal_naive_scale(s.y, p.splits[k].val_end, p.panel.freq.season_length()));
  }
  for (std::size_t f = 0; f < nf; ++f)
    p.layout.feature_scalers.push_back(fit_scaler(train_x.data() + f, train_x.size() / nf, nf));

  p.train_w = windows_between(p.panel, p.splits, p.layout, nullptr, &SeriesSplit::train_end);
  p.val_w = windows_between(p.panel, p.splits, p.layout, &SeriesSplit::train_end, &SeriesSplit::val_end);
  p.test_w = windows_between(p.panel, p.splits, p.layout, &SeriesSplit::val_end, &SeriesSplit::length);
  // Every value a search may try (a bayes search's combinations are checked
  // again as it draws them).
  p.window_bytes = window_bytes(p.layout, static_cast<long>(p.train_w.size() + p.val_w.size() + p.test_w.size()));
  p.memory_limit = training_memory_limit(runtime);
  std::vector<ForecastOptions> candidates;
  for (const std::string &doc : o.search == "none"
                                    ? std::vector<std::string>{o.user_json}
                                    : OptionSearch(o.user_json, searchable_forecast_options()).documents_to_check())
    for (ForecastOptions &c :
         o.search == "none" && o.arch != "nets" ? std::vector<ForecastOptions>{o} : trial_candidates(o, doc))
      candidates.push_back(std::move(c));
  check_memory(p, candidates);
  p.train_b = make_windows(p.panel, p.target_scalers, p.layout, p.train_w);
  p.val_b = make_windows(p.panel, p.target_scalers, p.layout, p.val_w);
  p.test_b = make_windows(p.panel, p.target_scalers, p.layout, p.test_w);
  return p;
}

struct SplitEval {
  ForecastPoints model, naive;
  std::vector<int> step;  // per point
};

SplitEval evaluate(const Prepared &p, const std::vector<Window> &windows, const torch::Tensor &pred,
                   const std::vector<double> *q) {
  SplitEval e;
  auto pa = pred.accessor<float, 2>();
  const int H = static_cast<int>(pred.size(1));
  const int season = p.panel.freq.season_length();
  for (std::size_t i = 0; i < windows.size(); ++i) {
    const Series &s = p.panel.series[windows[i].series];
    const Scaler &sc = p.target_scalers[windows[i].series];
    double scale = p.mase_scale[windows[i].series];
    for (int h = 1; h <= H; ++h) {
      double actual = s.y[windows[i].origin + h];
      double yhat = sc.invert(pa[i][h - 1]);
      e.model.add(actual, yhat, scale);
      e.naive.add(actual, seasonal_naive(s, windows[i].origin, h, season), scale);
      e.step.push_back(h);
      if (q) {
        e.model.lo.push_back(yhat - (*q)[h - 1] * sc.std);
        e.model.hi.push_back(yhat + (*q)[h - 1] * sc.std);
      }
    }
  }
  return e;
}

// Split-conformal half-widths per step, in scaled units, from validation residuals.
std::vector<double> conformal_quantiles(const torch::Tensor &pred, const torch::Tensor &target, double level) {
  auto res = (pred - target).abs();
  const long n = res.size(0);
  std::vector<double> q(static_cast<std::size_t>(res.size(1)), 0.0);
  if (n == 0) return q;
  long rank = std::min<long>(n - 1, static_cast<long>(std::ceil((n + 1) * level)) - 1);
  auto sorted = std::get<0>(res.sort(0));
  for (long h = 0; h < res.size(1); ++h) q[h] = sorted[std::max<long>(rank, 0)][h].item<double>();
  return q;
}

struct Candidate {
  ForecastOptions options;
  ForecastEnsemble net{nullptr};
  std::vector<EpochRecord> epochs;
  std::vector<int> best_epochs;
  torch::Tensor val_pred, test_pred;
  torch::Tensor val_target;  // what val_pred is scored against (a combination's: fewer windows)
  std::vector<double> q;
  SplitEval val, test;
  int members_out_of_time = 0;  // members the time budget stopped early
};

// The k-th of n equal shares of the time from `begin` to `until`.
Deadline share_of(Deadline begin, Deadline until, std::size_t k, std::size_t n) {
  if (until == kNoDeadline) return kNoDeadline;
  return begin + (until - begin) * static_cast<long>(k) / static_cast<long>(n);
}

// An ensemble's members side by side, each on a thread of its own with one
// intra-op thread and no shards (issue 15: two members on two threads ran
// 1.5x as fast as one after the other, where shards gained 0.9-1.3x).
// Member i draws each epoch's order from the seed + i, as one after the
// other on the global generator would, and its dropout from a generator of
// its own (seeded as shard 0's of a sharded member): a seed gives the same
// ensemble for every thread count from two up, and, without dropout, the
// one a single thread gives. Progress and the interrupt check stay on this
// thread; each round of `threads` members gets an equal share of the time.
std::vector<FitResult> fit_members_side_by_side(ForecastEnsembleImpl &net, const Prepared &p, const ForecastOptions &o,
                                                const torch::Device &device, const TrainHooks &hooks, Deadline begin,
                                                Deadline until, int threads) {
  const std::size_t M = net.size(), T = std::min<std::size_t>(M, static_cast<std::size_t>(threads));
  const std::size_t rounds = (M + T - 1) / T;
  const auto seed = static_cast<std::uint64_t>(o.seed);
  std::vector<FitResult> fitted(M);
  train_side_by_side(M, static_cast<int>(T), hooks, [&](std::size_t i, const TrainHooks &on_member) {
    ForecastNet &member = net.member(i);
    struct DropoutBack {  // the member draws as before once trained, whatever happens
      ForecastNet &net;
      ~DropoutBack() { net->set_dropout_generator(std::nullopt); }
    } back{member};
    member->set_dropout_generator(at::make_generator<at::CPUGeneratorImpl>(seed * 1000003u + i * 1009u));
    fitted[i] = fit(member, p.train_b, p.val_b, o, device, on_member, static_cast<int>(i),
                    share_of(begin, until, i / T + 1, rounds), at::make_generator<at::CPUGeneratorImpl>(seed + i));
  });
  return fitted;
}

Candidate train_candidate(const Prepared &p, const ForecastOptions &o, const torch::Device &device,
                          const TrainHooks &hooks, Deadline until = kNoDeadline) {
  Candidate c;
  c.options = o;
  torch::manual_seed(static_cast<std::uint64_t>(o.seed));
  c.net = ForecastEnsemble(net_shape(o, p.layout, static_cast<int>(p.panel.series.size())), o.ensemble, o.seed);
  c.net->to(device);
  const Deadline begin = std::chrono::steady_clock::now();
  const int threads = at::get_num_threads();
  std::vector<FitResult> fitted;
  if (device.is_cpu() && threads >= 2 && c.net->size() >= 2 && c.net->member(0)->draws_only_from_own_generator()) {
    fitted = fit_members_side_by_side(*c.net, p, o, device, hooks, begin, until, threads);
  } else {
    for (std::size_t i = 0; i < c.net->size(); ++i) {
      torch::manual_seed(static_cast<std::uint64_t>(o.seed) + i);
      // Each member trains until its share of the candidate's time is spent.
      fitted.push_back(fit(c.net->member(i), p.train_b, p.val_b, o, device, hooks, static_cast<int>(i),
                           share_of(begin, until, i + 1, c.net->size())));
    }
  }
  for (const FitResult &f : fitted) {
    c.epochs.insert(c.epochs.end(), f.epochs.begin(), f.epochs.end());
    c.best_epochs.push_back(f.best_epoch);
    c.members_out_of_time += f.out_of_time ? 1 : 0;
  }
  c.val_pred = predict(c.net, p.val_b, device, hooks);
  c.test_pred = predict(c.net, p.test_b, device, hooks);
  c.val_target = p.val_b.target;
  c.q = conformal_quantiles(c.val_pred, c.val_target, o.interval);
  c.val = evaluate(p, p.val_w, c.val_pred, nullptr);
  c.test = evaluate(p, p.test_w, c.test_pred, &c.q);
  return c;
}

// The architectures a trial of options trains: its own, or each network for nets.
std::vector<ForecastOptions> trial_candidates(const ForecastOptions &o, const std::string &doc) {
  if (o.arch != "nets") return {parse_forecast_options(o.arch, o.horizon, doc)};
  std::vector<ForecastOptions> out;
  for (const auto &arch : forecast_architectures()) out.push_back(parse_forecast_options(arch, o.horizon, doc));
  return out;
}

// Trains each candidate (each trial of a search, times each network for
// nets); returns the best on validation WAPE and, through `trials`, how each
// scored. `others` gets each architecture's validation and test metrics for
// nets without a search (estimator: the architecture).
Candidate train_best(const Prepared &p, const ForecastOptions &o, const torch::Device &device, const TrainHooks &hooks,
                     std::vector<MetricRow> *others, std::vector<TrialRecord> *trials) {
  OptionSearch search(o.search == "none" ? std::string("{}") : o.user_json, searchable_forecast_options());
  const std::size_t per_trial = o.arch == "nets" ? forecast_architectures().size() : 1;
  const std::size_t total = static_cast<std::size_t>(search.size()) * per_trial;
  const std::string what = o.search == "none" ? "nets" : "search";
  // time_budget: each candidate gets its share of what is left, each member
  // of its ensemble a share of that; every one trains at least an epoch.
  const Deadline until = deadline_after(o.time_budget);
  int out_of_time = 0, trained = 0;
  Candidate best;
  double best_score = 0;
  std::size_t best_index = 0, i = 0;
  for (int t = 0; t < search.size(); ++t) {
    const std::string doc = search.next();
    const std::vector<ForecastOptions> options = o.search == "none" && o.arch != "nets"
                                                     ? std::vector<ForecastOptions>{o}
                                                     : trial_candidates(o, o.search == "none" ? o.user_json : doc);
    check_memory(p, options);
    double trial_score = std::numeric_limits<double>::quiet_NaN();
    for (const ForecastOptions &candidate : options) {
      if (total > 1 && hooks.notice)
        hooks.notice(what + ": training " + candidate.arch + " (" + std::to_string(i + 1) + " of " +
                     std::to_string(total) + ")");
      const auto start = std::chrono::steady_clock::now();
      Candidate c = train_candidate(p, candidate, device, hooks, share_of(start, until, 1, total - i));
      out_of_time += c.members_out_of_time;
      trained += static_cast<int>(c.net->size());
      double score = weighted_ape(c.val.model);
      if (!std::isfinite(score)) score = mean_absolute_error(c.val.model);
      if (std::isfinite(score) && !(trial_score <= score)) trial_score = score;
      if (others && total > 1 && o.search == "none") {
        for (const auto &[name, value] : forecast_metrics(c.val.model))
          others->push_back({"validation", c.options.arch, name, value});
        for (const auto &[name, value] : forecast_metrics(c.test.model))
          others->push_back({"test", c.options.arch, name, value});
      }
      if (trials && total > 1) {
        TrialRecord r;
        r.trial = static_cast<int>(i + 1);
        r.arch = c.options.arch;
        r.options_json = c.options.to_json();
        r.metric = std::isfinite(weighted_ape(c.val.model)) ? "wape" : "mae";  // WAPE is undefined on all-zero actuals
        r.score = score;
        r.val_wape = weighted_ape(c.val.model);
        r.val_mase = mean_absolute_scaled_error(c.val.model);
        r.val_smape = symmetric_mape(c.val.model);
        r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        trials->push_back(r);
      }
      if (i == 0 || score < best_score) {
        best_score = score;
        best_index = i;
        best = std::move(c);
      }
      ++i;
    }
    search.report(trial_score);
  }
  if (trials && total > 1) (*trials)[best_index].chosen = true;
  if (out_of_time > 0 && hooks.notice) {
    hooks.notice(time_budget_text(o.time_budget) + ": " + std::to_string(out_of_time) + " of " +
                 std::to_string(trained) +
                 " networks stopped before their epochs or patience ran out, with their best weights so far");
  }
  if (total > 1 && hooks.notice)
    hooks.notice(what + ": chose " + best.options.arch +
                 (o.search == "none" ? "" : ", trial " + std::to_string(best_index + 1)));
  return best;
}

// Every test point once, at the step that forecast it: the test split tiled
// by horizon-long windows from its first point, and where the tiles stop
// short of the end, the window that ends at the last point for the rest (at
// its later steps).
std::vector<ResidualPoint> residuals_of(const Prepared &p, const Candidate &c) {
  std::vector<ResidualPoint> out;
  const int H = p.layout.horizon;
  std::size_t series = p.panel.series.size();
  long covered = 0;  // the last point of the current series already given
  for (std::size_t i = 0; i < p.test_w.size(); ++i) {
    const Window &w = p.test_w[i];
    const SeriesSplit &sp = p.splits[w.series];
    if (w.series != series) {
      series = w.series;
      covered = sp.val_end - 1;
    }
    const long last_origin = sp.length - 1 - H;
    if ((w.origin - (sp.val_end - 1)) % H != 0 && w.origin != last_origin) continue;
    const Series &s = p.panel.series[w.series];
    for (int h = 1; h <= H; ++h) {
      if (w.origin + h <= covered) continue;
      std::size_t point = i * static_cast<std::size_t>(H) + static_cast<std::size_t>(h - 1);
      out.push_back({s.key, p.panel.time_at(s, w.origin + h), h, c.test.model.actual[point],
                     c.test.model.predicted[point], c.test.model.lo[point], c.test.model.hi[point]});
    }
    covered = std::max(covered, w.origin + H);
  }
  return out;
}

Error no_series_long_enough(const ForecastOptions &o, const Frequency &freq) {
  return Error(ErrorKind::InsufficientData,
               "no series is long enough for lookback " + std::to_string(o.lookback) + ", horizon " +
                   std::to_string(o.horizon) + " and the validation and test periods",
               "Each series needs about lookback + 3 x horizon " + freq.name() +
                   " points; lower lookback or horizon, or supply more history.");
}

// The series a NOTICE names: the first five, with their lengths.
std::vector<std::pair<std::string, std::string>> points_of(const std::vector<Series> &series) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const Series &s : series) out.emplace_back(s.key, std::to_string(s.length()) + " points");
  return out;
}

// issue 13's one rule for short series: a series too short for the
// network's windows is forecast by the next candidate that can, auto's
// statistical members (which fall back to seasonal naive, naive or the mean
// on the shortest), never dropped; the NOTICE names it and what it got.
TrainedForecaster train_too_short(const Prepared &p, const ForecastOptions &o, const RuntimeSettings &runtime,
                                  const TrainHooks &hooks, bool none_long_enough) {
  Panel panel;
  panel.freq = p.panel.freq;
  panel.feature_names = p.panel.feature_names;
  panel.series = p.too_short;
  panel.filled_points = p.panel.filled_points;
  panel.dropped_rows = p.panel.dropped_rows;
  ForecastOptions stat = o;
  stat.arch = "auto";
  stat.search = "none";
  stat.trials = 1;
  if (hooks.notice)
    hooks.notice((none_long_enough ? "no series is long enough for lookback "
                                   : std::to_string(panel.series.size()) + " series too short for lookback ") +
                 std::to_string(o.lookback) + " and horizon " + std::to_string(o.horizon) + " of arch " + o.arch +
                 (none_long_enough ? ": every series is" : " are") +
                 " forecast by auto's statistical members instead: " + first_series_named(points_of(panel.series)));
  return train_statistical(panel, stat, runtime, hooks);
}

// Series forecast as if they were new, each borrowing from the others
// (core/forecast/cold_start): for each series of `sample`, the window whose
// targets start `back` steps before its test split, with a history borrowed
// from the other series' points before the same place in theirs.
struct ColdWindows {
  WindowBatch batch;
  std::vector<Scaler> scalers;  // each window's borrowed scaler
};

ColdWindows cold_windows(const Prepared &p, const std::vector<int> &static_columns, std::size_t numeric_columns,
                         std::size_t neighbours, const std::vector<std::size_t> &sample, long back) {
  const long H = p.layout.horizon;
  const long nf = static_cast<long>(p.panel.feature_count());
  std::vector<long> ends;
  for (const SeriesSplit &sp : p.splits) ends.push_back(sp.val_end - back);
  ColdWindows out;
  Panel cold;
  cold.freq = p.panel.freq;
  cold.feature_names = p.panel.feature_names;
  std::vector<std::int64_t> nearest;
  std::vector<Window> windows;
  for (std::size_t k : sample) {
    const Series &s = p.panel.series[k];
    const long start = p.splits[k].val_end - back;
    const double *x = s.x.data() + start * nf;
    const Borrowing b = borrow_from(p.panel, static_columns, p.layout.feature_scalers, numeric_columns, neighbours, x,
                                    static_cast<long>(k));
    BorrowedSeries bs =
        borrowed_series(p.panel, p.target_scalers, p.layout, b, &ends, s.key, x, p.panel.time_at(s, start),
                        std::vector<double>(s.y.begin() + start, s.y.begin() + start + H),
                        std::vector<double>(s.x.begin() + start * nf, s.x.begin() + (start + H) * nf));
    windows.push_back({cold.series.size(), p.layout.history_needed() - 1});
    cold.series.push_back(std::move(bs.series));
    out.scalers.push_back(bs.scaler);
    nearest.push_back(static_cast<std::int64_t>(b.series.front()));  // its learned vector, with series_embedding
  }
  out.batch = make_windows(cold, out.scalers, p.layout, windows);
  out.batch.series = torch::tensor(nearest, torch::kLong);
  return out;
}

// At most this many series are forecast as if new to measure cold start:
// borrowing compares each with every other.
constexpr std::size_t kColdStartSample = 1000;

// Cold start measured on the training data, each sampled series forecast as
// if it were new from its last validation window: how many neighbours to
// borrow from (the choice with the lowest WAPE; every series alike on a tie)
// and the interval half-widths of that choice. Then test metrics from each
// one's first test window: estimator cold_start, and cold_start_all (every
// series alike, as a model without static covariates would) to show what
// the static covariates add.
void measure_cold_start(const Prepared &p, Candidate &best, const torch::Device &device, const TrainHooks &hooks,
                        ForecastState &st, std::vector<MetricRow> &metrics) {
  const std::size_t S = p.panel.series.size();
  if (S < 2) return;  // nothing to borrow from
  st.static_columns = find_static_columns(p.panel);
  std::vector<std::size_t> sample;
  const std::size_t every = (S + kColdStartSample - 1) / kColdStartSample;
  for (std::size_t k = 0; k < S; k += every) sample.push_back(k);
  const int H = p.layout.horizon;
  const std::size_t numeric = st.numeric_features.size();
  const auto forecast_as_new = [&](std::size_t neighbours, long back) {
    ColdWindows w = cold_windows(p, st.static_columns, numeric, neighbours, sample, back);
    torch::Tensor pred = predict(best.net, w.batch, device, hooks);
    return std::make_pair(std::move(w), pred);
  };

  std::vector<std::size_t> choices = {0};
  if (!st.static_columns.empty())
    for (std::size_t n : neighbour_choices())
      if (n < S) choices.push_back(n);
  double best_wape = std::numeric_limits<double>::infinity();
  torch::Tensor val_pred, val_target;
  for (std::size_t n : choices) {
    auto [w, pred] = forecast_as_new(n, H);
    const torch::Tensor spread = torch::tensor(std::vector<double>(w.scalers.size()), torch::kDouble);
    auto sa = spread.accessor<double, 1>();
    for (std::size_t i = 0; i < w.scalers.size(); ++i) sa[static_cast<long>(i)] = w.scalers[i].std;
    const torch::Tensor target = w.batch.target.to(torch::kDouble);
    double actual = 0;
    for (std::size_t i = 0; i < sample.size(); ++i)
      for (int h = 0; h < H; ++h)
        actual += std::abs(p.panel.series[sample[i]].y[static_cast<std::size_t>(p.splits[sample[i]].val_end - H + h)]);
    const double error = ((pred.to(torch::kDouble) - target).abs() * spread.unsqueeze(1)).sum().item<double>();
    const double wape = error / std::max(actual, 1e-12);
    if (wape < best_wape) {  // strictly: a tie keeps the fewer assumptions
      best_wape = wape;
      st.cold_start_neighbours = n;
      val_pred = pred;
      val_target = w.batch.target;
    }
  }
  st.cold_start_q = conformal_quantiles(val_pred, val_target, best.options.interval);
  for (double level : kIntervalLevels)
    st.cold_start_levels.push_back({level, conformal_quantiles(val_pred, val_target, level)});

  const auto score = [&](std::size_t neighbours, const std::string &estimator) {
    const auto [test, pred] = forecast_as_new(neighbours, 0);
    auto pa = pred.accessor<float, 2>();
    ForecastPoints points;
    for (std::size_t i = 0; i < sample.size(); ++i) {
      const std::size_t k = sample[i];
      for (int h = 0; h < H; ++h) {
        const double yhat = test.scalers[i].invert(pa[static_cast<long>(i)][h]);
        points.add(p.panel.series[k].y[static_cast<std::size_t>(p.splits[k].val_end + h)], yhat, p.mase_scale[k]);
        const double half = st.cold_start_q[static_cast<std::size_t>(h)] * test.scalers[i].std;
        points.lo.push_back(yhat - half);
        points.hi.push_back(yhat + half);
      }
    }
    for (const auto &[name, value] : forecast_metrics(points)) metrics.push_back({"test", estimator, name, value});
  };
  score(st.cold_start_neighbours, "cold_start");
  if (!st.static_columns.empty()) score(0, "cold_start_all");
}

// The training split's metrics (a check for overfitting, beside the
// validation and test splits' complete ones) come from at most this many of
// its windows, evenly spread: predicting all of 10,000 series' 320,000
// windows took longer than the metrics are worth (after the epoch, 9.9 s
// with them, 3.2 s with the sample).
constexpr std::size_t kTrainMetricWindows = 20000;

// At most `most` of windows `w` (batch `b`), evenly spread, in their order.
std::pair<std::vector<Window>, WindowBatch> sample_of(const std::vector<Window> &w, const WindowBatch &b,
                                                      std::size_t most) {
  if (w.size() <= most) return {w, b};
  std::vector<Window> out;
  std::vector<std::int64_t> rows;
  for (std::size_t i = 0; i < most; ++i) {
    const std::size_t row = i * w.size() / most;
    out.push_back(w[row]);
    rows.push_back(static_cast<std::int64_t>(row));
  }
  const torch::Tensor at = torch::tensor(rows, torch::kLong);
  return {std::move(out), WindowBatch{b.past.index_select(0, at), b.future.index_select(0, at),
                                      b.target.index_select(0, at), b.series.index_select(0, at)}};
}

// The trained network `best` as the model: its metrics, residuals, the
// state a forecast needs, cold start, and auto's statistical members for
// the series too short for its windows. `out` brings what the training
// recorded already (other candidates' metrics, trials). `blend`: where auto
// chose to combine the network with its statistical recipe, the recipe's
// state for the network's series (best's predictions are then the mix).
TrainedForecaster network_model(const Prepared &p, Candidate &best, const std::vector<std::string> &numeric_features,
                                const TextEncoding &text, const torch::Device &device, const RuntimeSettings &runtime,
                                const TrainHooks &hooks, TrainedForecaster out, const std::string &blend = {},
                                double network_weight = 1) {
  out.epochs = best.epochs;
  out.best_epochs = best.best_epochs;

  auto record = [&](const std::string &split, const SplitEval &e) {
    for (const auto &[name, value] : forecast_metrics(e.model)) out.metrics.push_back({split, "model", name, value});
    for (const auto &[name, value] : forecast_metrics(e.naive))
      out.metrics.push_back({split, "seasonal_naive", name, value});
  };
  {
    const auto [train_w, train_b] = sample_of(p.train_w, p.train_b, kTrainMetricWindows);
    record("train", evaluate(p, train_w, predict(best.net, train_b, device, hooks), nullptr));
  }
  record("validation", best.val);
  record("test", best.test);
  out.residuals = residuals_of(p, best);

  // The state a forecast needs: preprocessing and the tail of every series.
  ForecastState st;
  st.options = best.options;
  st.layout = p.layout;
  st.target_scalers = p.target_scalers;
  st.numeric_features = numeric_features;
  st.text = text;
  st.conformal_q = best.q;
  for (double level : kIntervalLevels)
    st.interval_levels.push_back({level, conformal_quantiles(best.val_pred, best.val_target, level)});
  st.flags_from_last_season = true;
  st.blend = blend;
  st.network_weight = blend.empty() ? 1 : network_weight;
  st.panel.freq = p.panel.freq;
  st.panel.feature_names = p.panel.feature_names;
  const long keep = p.layout.history_needed();
  const long nf = static_cast<long>(p.panel.feature_count());
  out.time_from = p.panel.series.front().start;
  for (const Series &s : p.panel.series) {
    const long n = static_cast<long>(s.length());
    const long from = std::max<long>(0, n - keep);
    out.time_from = std::min(out.time_from, s.start);
    out.time_to = std::max(out.time_to, p.panel.time_at(s, n - 1));
    Series tail;
    tail.key = s.key;
    tail.start = p.panel.time_at(s, from);
    tail.y.assign(s.y.begin() + from, s.y.end());
    tail.x.assign(s.x.begin() + from * nf, s.x.end());
    st.panel.series.push_back(std::move(tail));
  }
  measure_cold_start(p, best, device, hooks, st, out.metrics);
  if (!p.too_short.empty()) {
    const TrainedForecaster fallback = train_too_short(p, best.options, runtime, hooks, false);
    st.fallback = decode_blob(fallback.blob).state_json;
    out.residuals.insert(out.residuals.end(), fallback.residuals.begin(), fallback.residuals.end());
    for (const Series &s : p.too_short) {
      out.time_from = std::min(out.time_from, s.start);
      out.time_to = std::max(out.time_to, p.panel.time_at(s, static_cast<long>(s.length()) - 1));
    }
  }

  best.net->to(torch::kCPU);
  out.blob = encode_blob(ModelBlob{ModelKind::Forecaster, best.options.arch, st.to_json(), save_weights(*best.net)});
  out.arch = blend.empty() ? best.options.arch : combination_arch(best.options.arch);
  out.hyperparameters_json = best.options.to_json();
  out.series_used = static_cast<long>(p.panel.series.size());
  out.series_skipped = static_cast<long>(p.too_short.size());
  out.rows_dropped = p.panel.dropped_rows;
  out.frequency = p.panel.freq.name();
  out.device = runtime_description(device);
  return out;
}

// auto with a network candidate (issue 13, item 2): the statistical members
// per series, and one global network with auto's preset trained on the
// covariates too, scored on the same points: the last two validation
// windows of each series the network forecasts (origins one step apart),
// where each series' statistical recipe is refitted at the same origins.
// So is their equal-weight combination (the network's forecast and the
// recipe's, half each). The lowest total absolute error (the same points:
// the lowest WAPE) wins.
// Only origins where the recipe runs as it does on the whole history count
// (recipe_forecasts_at): on Walmart's 130 weeks the validation windows hold
// two seasons or less, where auto's recipe is seasonal naive, and comparing
// with that chose the network (WAPE 0.043-0.044 on the 13 weeks after,
// against 0.0314 for the statistical members). With no such origin the
// statistical members stay.
struct AutoContest {
  TrainedForecaster statistical;  // auto's model without the network
  Prepared p;                     // the network's windows (empty when none trained)
  Candidate net;
  bool network_won = false;  // the network is in the model: alone, or ...
  std::string blend;         // ... combined with this statistical state (its series)
};

// The network's weight in auto's combination: equal weights, which need no
// estimate from the few validation points (the "forecast combination
// puzzle": estimated weights seldom beat them).
constexpr double kNetworkWeight = 0.5;

// Network predictions `pred` (scaled, one row per window) mixed with the
// statistical recipe's forecasts at the same windows (`recipe[i]`, in the
// target's units; empty: the network alone there), in the same scaled units.
torch::Tensor mixed_predictions(const Prepared &p, const std::vector<Window> &windows, const torch::Tensor &pred,
                                const std::vector<std::vector<double>> &recipe) {
  torch::Tensor out = pred.to(torch::kFloat).clone();
  auto oa = out.accessor<float, 2>();
  for (std::size_t i = 0; i < windows.size(); ++i) {
    if (recipe[i].empty()) continue;
    const Scaler &sc = p.target_scalers[windows[i].series];
    for (long h = 0; h < out.size(1); ++h)
      oa[static_cast<long>(i)][h] =
          static_cast<float>(kNetworkWeight * oa[static_cast<long>(i)][h] +
                             (1 - kNetworkWeight) * sc.apply(recipe[i][static_cast<std::size_t>(h)]));
  }
  return out;
}

// c as auto's combination: its validation (the compared windows `rows` of
// p.val_w, with the recipe's forecasts there), intervals and test split
// become the mix's; test_recipe: the recipe's forecast at each window of
// p.test_w (empty where it would not run as on the whole history).
void combine_with_recipe(Candidate &c, const Prepared &p, const std::vector<std::size_t> &rows,
                         const std::vector<std::vector<double>> &val_recipe,
                         const std::vector<std::vector<double>> &test_recipe) {
  std::vector<Window> compared;
  std::vector<std::int64_t> at;
  for (std::size_t i : rows) {
    compared.push_back(p.val_w[i]);
    at.push_back(static_cast<std::int64_t>(i));
  }
  const torch::Tensor index = torch::tensor(at, torch::kLong);
  c.val_pred = mixed_predictions(p, compared, c.val_pred.index_select(0, index), val_recipe);
  c.val_target = p.val_b.target.index_select(0, index);
  c.q = conformal_quantiles(c.val_pred, c.val_target, c.options.interval);
  c.val = evaluate(p, compared, c.val_pred, nullptr);
  c.test_pred = mixed_predictions(p, p.test_w, c.test_pred, test_recipe);
  c.test = evaluate(p, p.test_w, c.test_pred, &c.q);
}

// The panel without its covariates, which the statistical members ignore.
Panel without_covariates(const Panel &panel) {
  Panel out;
  out.freq = panel.freq;
  out.filled_points = panel.filled_points;
  out.dropped_rows = panel.dropped_rows;
  for (const Series &s : panel.series) {
    Series t;
    t.key = s.key;
    t.start = s.start;
    t.y = s.y;
    out.series.push_back(std::move(t));
  }
  return out;
}

// Points of a comparison: per series, the last `kComparedOrigins` of its
// validation windows.
constexpr std::size_t kComparedOrigins = 2;

AutoContest auto_contest(const Panel &panel, const ForecastOptions &o, const torch::Device &device,
                         const RuntimeSettings &runtime, const TrainHooks &hooks) {
  AutoContest c;
  const Deadline until = deadline_after(o.time_budget);
  ForecastOptions stat = o;
  stat.unused_options.clear();  // the network uses them
  // The statistical model's own notices are said only when it is kept.
  std::vector<std::string> stat_notices;
  TrainHooks quiet = hooks;
  quiet.notice = [&stat_notices](const std::string &n) { stat_notices.push_back(n); };
  c.statistical = train_statistical(without_covariates(panel), stat, runtime, quiet);
  const auto say_statistical = [&] {
    if (hooks.notice)
      for (const std::string &n : stat_notices) hooks.notice(n);
  };
  // No network: what it would have used goes unused, and the NOTICE says so.
  const auto no_network = [&](const std::string &why) {
    say_statistical();
    if (!hooks.notice) return;
    std::string unused;
    for (const auto &k : o.unused_options) unused += (unused.empty() ? "" : ", ") + k;
    hooks.notice("auto trained no network: " + why + "; its statistical members use no covariates (" +
                 std::to_string(panel.feature_names.size()) + " feature columns were not used)" +
                 (unused.empty() ? std::string() : " and no network options (" + unused + " were not used)"));
    c.p = Prepared{};
  };
  if (is_past(until)) {
    no_network(time_budget_text(o.time_budget) + " was spent by the statistical members");
    return c;
  }
  ForecastOptions net_options = auto_network_options(o);
  net_options.time_budget = 0;  // the deadline below: what the statistical members left
  try {
    c.p = prepare(panel, net_options, runtime);
  } catch (const Error &e) {  // a default training must not fail for want of room for its candidate
    if (e.kind() != ErrorKind::ResourceLimit) throw;
    no_network(e.what());
    return c;
  }
  if (c.p.panel.series.empty() || c.p.val_w.empty()) {
    no_network("no series is long enough for lookback " + std::to_string(net_options.lookback) + " and horizon " +
               std::to_string(o.horizon) + " with validation and test periods");
    return c;
  }
  // The compared windows: val_w holds each series' windows in origin order.
  const std::size_t S = c.p.panel.series.size();
  std::vector<std::vector<std::size_t>> windows(S);
  for (std::size_t i = 0; i < c.p.val_w.size(); ++i) windows[c.p.val_w[i].series].push_back(i);
  std::vector<std::vector<long>> origins(S);
  for (std::size_t k = 0; k < S; ++k) {
    auto &w = windows[k];
    w.erase(w.begin(), w.end() - static_cast<long>(std::min(w.size(), kComparedOrigins)));
    for (std::size_t i : w) origins[k].push_back(c.p.val_w[i].origin);
  }
  const StatState st = StatState::from_json(decode_blob(c.statistical.blob).state_json);
  const auto stat_forecasts = recipe_forecasts_at(st, c.p.panel, origins, runtime, hooks, until);
  // The winner forecasts every series: at least half of them must be compared.
  const std::size_t compared_series =
      std::count_if(stat_forecasts.begin(), stat_forecasts.end(), [](const auto &series) {
        return std::any_of(series.begin(), series.end(), [](const auto &f) { return !f.empty(); });
      });
  if (compared_series == 0 || 2 * compared_series < S) {
    no_network("at its validation windows the statistical recipe runs as on the whole history for " +
               std::to_string(compared_series) + " of " + std::to_string(S) +
               " series (at two seasons of history or less it is seasonal naive), too few to compare the two");
    return c;
  }
  if (hooks.notice) hooks.notice("auto: training " + net_options.arch + " as a candidate");
  const auto start = std::chrono::steady_clock::now();
  c.net = train_candidate(c.p, net_options, device, hooks, until);
  const double net_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  const int H = o.horizon;
  ForecastPoints net_points, stat_points;
  for (std::size_t k = 0; k < S; ++k)
    for (std::size_t j = 0; j < windows[k].size(); ++j)
      for (int h = 0; h < H && !stat_forecasts[k][j].empty(); ++h) {
        const std::size_t point = windows[k][j] * static_cast<std::size_t>(H) + static_cast<std::size_t>(h);
        const double actual = c.net.val.model.actual[point], scale = c.net.val.model.mase_scale[point];
        net_points.add(actual, c.net.val.model.predicted[point], scale);
        stat_points.add(actual, stat_forecasts[k][j][static_cast<std::size_t>(h)], scale);
      }
  ForecastPoints mix_points;  // the combination, on the same points
  for (std::size_t i = 0; i < net_points.actual.size(); ++i)
    mix_points.add(net_points.actual[i],
                   kNetworkWeight * net_points.predicted[i] + (1 - kNetworkWeight) * stat_points.predicted[i],
                   net_points.mase_scale[i]);
  // The lowest error wins; a tie keeps the simpler model.
  const double stat_error = mean_absolute_error(stat_points), net_error = mean_absolute_error(net_points),
               mix_error = mean_absolute_error(mix_points);
  const bool combined = mix_error < std::min(stat_error, net_error);
  c.network_won = combined || net_error < stat_error;

  // Three trials more: the statistical model, the network and their combination on these points.
  int last = 0;
  for (const TrialRecord &t : c.statistical.trials) last = std::max(last, t.trial);
  const auto trial = [&](const std::string &arch, const std::string &options, const ForecastPoints &points,
                         double seconds, bool chosen) {
    TrialRecord r;
    r.trial = ++last;
    r.arch = arch;
    r.options_json = options;
    r.metric = std::isfinite(weighted_ape(points)) ? "wape" : "mae";
    r.val_wape = weighted_ape(points);
    r.score = std::isfinite(r.val_wape) ? r.val_wape : mean_absolute_error(points);
    r.val_mase = mean_absolute_scaled_error(points);
    r.val_smape = symmetric_mape(points);
    r.seconds = seconds;
    r.chosen = chosen;
    return r;
  };
  const std::string compared = "\"compared_on\": \"the network's last " + std::to_string(kComparedOrigins) +
                               " validation windows of each series\"";
  double stat_seconds = 0;
  for (TrialRecord &t : c.statistical.trials) {
    stat_seconds += t.seconds;
    if (c.network_won) t.chosen = false;
  }
  std::vector<TrialRecord> &trials = c.statistical.trials;
  trials.push_back(
      trial("auto", "{\"recipe\": \"each series' own\", " + compared + "}", stat_points, stat_seconds, false));
  std::string net_json = net_options.to_json();
  net_json.insert(net_json.size() - 1, ", " + compared);
  trials.push_back(trial(net_options.arch, net_json, net_points, net_seconds, c.network_won && !combined));
  char weight[64];
  std::snprintf(weight, sizeof weight, "{\"network_weight\": %g, ", kNetworkWeight);
  trials.push_back(trial(combination_arch(net_options.arch),
                         weight + std::string("\"recipe\": \"each series' own\", ") + compared + "}", mix_points,
                         stat_seconds + net_seconds, combined));

  if (combined) {  // the recipe's forecasts at the network's test windows too, and its state for the network's series
    std::vector<std::vector<long>> test_origins(S);
    std::vector<std::vector<std::size_t>> test_windows(S);
    for (std::size_t i = 0; i < c.p.test_w.size(); ++i) {
      test_origins[c.p.test_w[i].series].push_back(c.p.test_w[i].origin);
      test_windows[c.p.test_w[i].series].push_back(i);
    }
    const auto at_test = recipe_forecasts_at(st, c.p.panel, test_origins, runtime, hooks, until);
    std::vector<std::vector<double>> test_recipe(c.p.test_w.size());
    for (std::size_t k = 0; k < S; ++k)
      for (std::size_t j = 0; j < test_windows[k].size(); ++j) test_recipe[test_windows[k][j]] = at_test[k][j];
    std::vector<std::size_t> rows;
    std::vector<std::vector<double>> val_recipe;
    for (std::size_t k = 0; k < S; ++k)
      for (std::size_t j = 0; j < windows[k].size(); ++j)
        if (!stat_forecasts[k][j].empty()) {
          rows.push_back(windows[k][j]);
          val_recipe.push_back(stat_forecasts[k][j]);
        }
    combine_with_recipe(c.net, c.p, rows, val_recipe, test_recipe);
    std::set<std::string> network_series;
    for (const Series &s : c.p.panel.series) network_series.insert(s.key);
    StatState mix = st;
    mix.series.clear();
    for (const StatSeriesState &s : st.series)
      if (network_series.count(s.key) > 0) mix.series.push_back(s);
    c.blend = mix.to_json();
  }
  if (!c.network_won) say_statistical();
  if (hooks.notice) {
    const double chosen_error = combined        ? weighted_ape(mix_points)
                                : c.network_won ? weighted_ape(net_points)
                                                : weighted_ape(stat_points);
    char scores[240];
    std::snprintf(scores, sizeof scores,
                  " on validation (WAPE %.4f; the statistical members %.4f, %s %.4f, their equal-weight combination "
                  "%.4f; the last %zu windows of %zu of %zu series)",
                  chosen_error, weighted_ape(stat_points), net_options.arch.c_str(), weighted_ape(net_points),
                  weighted_ape(mix_points), kComparedOrigins, compared_series, S);
    const std::string with_covariates =
        " and forecasts every series long enough for its windows, with the covariates: give their future values "
        "with future_source, or their last values are carried forward";
    hooks.notice(combined ? "auto: the equal-weight combination of " + net_options.arch +
                                " and the statistical members won" + scores + with_covariates
                 : c.network_won ? "auto: " + net_options.arch + " won" + scores + with_covariates
                                 : "auto: the statistical members won" + std::string(scores) +
                                       "; they use no covariates: " + std::to_string(panel.feature_names.size()) +
                                       " feature columns were not used");
    if (c.network_won && c.net.members_out_of_time > 0)
      hooks.notice(time_budget_text(o.time_budget) + ": " + std::to_string(c.net.members_out_of_time) + " of " +
                   std::to_string(c.net.net->size()) +
                   " networks stopped before their epochs or patience ran out, with their best weights so far");
  }
  return c;
}

}  // namespace

TrainedForecaster train_forecaster(const SeriesRows &rows, const ForecastOptions &o, const RuntimeSettings &runtime,
                                   const TrainHooks &given_hooks) {
  PhaseClock clock;
  const TrainHooks hooks = clock.watch(given_hooks);
  const auto timed = [&clock](TrainedForecaster out) {
    out.seconds = clock.seconds();
    out.prepare_seconds = clock.prepare_seconds();
    return out;
  };
  if (is_statistical(o.arch)) {
    const TextEncoding text = fit_text_encoding(rows);
    const Panel panel = panel_of(rows, o, text, runtime, hooks);
    if (panel.series.empty()) throw Error(ErrorKind::InsufficientData, "the source has no rows to train on");
    clock.mark_prepared();
    if (!network_joins_auto(o, !panel.feature_names.empty())) return timed(train_statistical(panel, o, runtime, hooks));
    const torch::Device device = prepare_runtime(runtime);
    AutoContest c = auto_contest(panel, o, device, runtime, hooks);
    if (!c.network_won) return timed(std::move(c.statistical));
    TrainedForecaster out;
    out.trials = std::move(c.statistical.trials);
    return timed(network_model(c.p, c.net, rows.feature_names, text, device, runtime, hooks, std::move(out), c.blend,
                               kNetworkWeight));
  }
  torch::Device device = prepare_runtime(runtime);
  const TextEncoding text = fit_text_encoding(rows);
  Prepared p = prepare(panel_of(rows, o, text, runtime, hooks), o, runtime);
  if (p.panel.series.empty()) {
    if (p.too_short.empty()) throw Error(ErrorKind::InsufficientData, "the source has no rows to train on");
    clock.mark_prepared();
    return timed(train_too_short(p, o, runtime, hooks, true));  // nothing skipped: all statistical
  }

  TrainedForecaster out;
  Candidate best = train_best(p, o, device, hooks, &out.metrics, &out.trials);
  return timed(network_model(p, best, rows.feature_names, text, device, runtime, hooks, std::move(out)));
}

void append_backtest_rows(std::vector<BacktestRow> &out, int fold, Micros cutoff, int horizon,
                          const ForecastPoints &model, const ForecastPoints &naive, const std::vector<int> &steps) {
  for (int h = 1; h <= horizon; ++h) {
    for (const bool is_model : {true, false}) {
      const ForecastPoints &all = is_model ? model : naive;
      ForecastPoints at;
      for (std::size_t i = 0; i < all.actual.size(); ++i) {
        if (steps[i] != h) continue;
        at.add(all.actual[i], all.predicted[i], all.mase_scale[i]);
        if (is_model) {
          at.lo.push_back(all.lo[i]);
          at.hi.push_back(all.hi[i]);
        }
      }
      BacktestRow r;
      r.fold = fold;
      r.cutoff = cutoff;
      r.step = h;
      r.estimator = is_model ? "model" : "seasonal_naive";
      r.points = static_cast<long>(at.actual.size());
      r.mae = mean_absolute_error(at);
      r.rmse = root_mean_squared_error(at);
      r.smape = symmetric_mape(at);
      r.wape = weighted_ape(at);
      r.mase = mean_absolute_scaled_error(at);
      r.coverage = is_model ? interval_coverage(at) : std::nan("");
      out.push_back(r);
    }
  }
}

std::vector<BacktestRow> backtest(const SeriesRows &rows, const ForecastOptions &given, int folds, int step,
                                  const RuntimeSettings &runtime, const TrainHooks &hooks) {
  // A backtest measures the recipe, so every fold runs it whole: a
  // time_budget would hand some folds' series to seasonal naive, or cut some
  // folds' epochs, by the machine's load rather than by the data.
  ForecastOptions o = given;
  o.time_budget = 0;
  if (folds < 1 || folds > 100)
    throw Error(ErrorKind::InvalidParameter, "folds must be from 1 to 100, not " + std::to_string(folds));
  if (step < 1) throw Error(ErrorKind::InvalidParameter, "step must be at least 1, not " + std::to_string(step));
  const TextEncoding text = fit_text_encoding(rows);
  const Panel full = panel_of(rows, o, text, runtime, hooks);
  const bool contest = network_joins_auto(o, !full.feature_names.empty());
  if (is_statistical(o.arch) && !contest) return backtest_statistical(full, o, folds, step, runtime, hooks);
  torch::Device device = prepare_runtime(runtime);

  std::vector<BacktestRow> out;
  for (int fold = 1; fold <= folds; ++fold) {
    stop_if_interrupted(hooks);
    const long cut = static_cast<long>(fold - 1) * step;
    Panel panel;
    panel.freq = full.freq;
    panel.feature_names = full.feature_names;
    const std::size_t nf = full.feature_count();
    for (const Series &s : full.series) {
      if (static_cast<long>(s.length()) <= cut) continue;
      Series t = s;
      t.y.resize(s.length() - static_cast<std::size_t>(cut));
      t.x.resize(t.y.size() * nf);
      panel.series.push_back(std::move(t));
    }
    if (contest) {  // auto with its network: each fold runs the contest and scores what won
      if (panel.series.empty()) throw fold_without_data(fold, cut);
      if (hooks.notice) hooks.notice("backtest: fold " + std::to_string(fold) + " of " + std::to_string(folds));
      AutoContest c = auto_contest(panel, o, device, runtime, hooks);
      if (c.network_won) {
        if (!c.p.too_short.empty() && hooks.notice)
          hooks.notice("backtest fold " + std::to_string(fold) + " leaves out " + std::to_string(c.p.too_short.size()) +
                       " series too short for the network's windows: " + first_series_named(points_of(c.p.too_short)));
        Micros cutoff = 0;
        for (std::size_t k = 0; k < c.p.panel.series.size(); ++k)
          cutoff = std::max(cutoff, c.p.panel.time_at(c.p.panel.series[k], c.p.splits[k].val_end - 1));
        append_backtest_rows(out, fold, cutoff, o.horizon, c.net.test.model, c.net.test.naive, c.net.test.step);
      } else {
        TrainHooks quiet = hooks;  // its "fold 1 of 1" is this fold
        quiet.notice = nullptr;
        for (BacktestRow r : backtest_statistical(without_covariates(panel), o, 1, step, runtime, quiet)) {
          r.fold = fold;
          out.push_back(r);
        }
      }
      continue;
    }
    if (hooks.notice) hooks.notice("backtest: fold " + std::to_string(fold) + " of " + std::to_string(folds));
    Prepared p;
    try {
      if (panel.series.empty()) throw Error(ErrorKind::InsufficientData, "no data left");
      p = prepare(std::move(panel), o, runtime);
      if (p.panel.series.empty()) throw no_series_long_enough(o, full.freq);
      if (!p.too_short.empty() && hooks.notice)
        hooks.notice("backtest fold " + std::to_string(fold) + " leaves out " + std::to_string(p.too_short.size()) +
                     " series too short for the network's windows: " + first_series_named(points_of(p.too_short)));
    } catch (const Error &e) {
      if (e.kind() != ErrorKind::InsufficientData) throw;
      throw Error(ErrorKind::InsufficientData,
                  "backtest fold " + std::to_string(fold) + " (the last " + std::to_string(cut) +
                      " points removed) has too little data: " + e.what(),
                  "Use fewer folds or a smaller step.");
    }
    Candidate c = train_best(p, o, device, hooks, nullptr, nullptr);

    Micros cutoff = 0;
    for (std::size_t k = 0; k < p.panel.series.size(); ++k)
      cutoff = std::max(cutoff, p.panel.time_at(p.panel.series[k], p.splits[k].val_end - 1));
    append_backtest_rows(out, fold, cutoff, o.horizon, c.test.model, c.test.naive, c.test.step);
  }
  return out;
}

}  // namespace xb
