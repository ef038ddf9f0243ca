#include "core/forecast/stat_forecaster.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <exception>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>

#include "core/common/blob.hpp"
#include "core/common/cores.hpp"
#include "core/common/error.hpp"
#include "core/common/train_loop.hpp"
#include "core/forecast/forecast_state.hpp"
#include "core/forecast/metrics.hpp"
#include "core/forecast/stat_member.hpp"
#include "core/forecast/windows.hpp"

namespace xb {
namespace {

// A recipe is the equal-weight mean of its members' forecasts.
struct Recipe {
  std::string name;
  std::vector<std::string> members;
};

const Recipe kAutoRecipe{"theta+stlf", {"theta", "stlf"}};
const Recipe kSeasonalNaive{"snaive", {"snaive"}};

Recipe recipe_of(const std::string &arch) { return arch == "auto" ? kAutoRecipe : Recipe{arch, {arch}}; }

// A recipe from its name in a blob ("theta+stlf": the members joined by +).
Recipe parse_recipe(const std::string &name) {
  Recipe r{name, {}};
  for (std::size_t from = 0; from <= name.size();) {
    const std::size_t plus = std::min(name.find('+', from), name.size());
    r.members.push_back(name.substr(from, plus - from));
    from = plus + 1;
  }
  for (const auto &member : r.members)
    if (!is_statistical(member) || member == "auto")
      throw Error(ErrorKind::CorruptModel, "the model's recipe \"" + name + "\" is not one xb knows");
  return r;
}

// What auto scores on validation: every member, then its own recipe.
std::vector<Recipe> candidates_of(const ForecastOptions &o) {
  if (o.arch != "auto") return {recipe_of(o.arch)};
  std::vector<Recipe> out;
  for (const auto &m : statistical_architectures()) out.push_back({m, {m}});
  out.push_back(kAutoRecipe);
  return out;
}

struct RecipeForecast {
  std::vector<double> mean;
  std::vector<double> adjusted;  // without the seasonal part (stat::StatForecast)
  std::string recipe;            // the one that ran (auto's may be seasonal naive on a short history)
  std::string method;
};

// With one to two seasons of history, STL and Theta cannot be seasonal and
// auto's combination forecasts no season at all, while seasonal naive can:
// on Walmart cut at weeks 95, 100 and 104 it scored WAPE 0.05-0.06 against
// 0.11-0.24 (README, "How the defaults were chosen").
bool too_short_for_seasonal_members(long n, int m) { return m > 1 && n >= m && n <= 2L * m; }

// The recipe fitted on the first n points of y, forecasting h steps.
RecipeForecast run_recipe(const Recipe &given, const std::vector<double> &y, long n, int m, int h) {
  const Recipe &r = given.name == kAutoRecipe.name && too_short_for_seasonal_members(n, m) ? kSeasonalNaive : given;
  const std::vector<double> history(y.begin(), y.begin() + n);
  RecipeForecast out;
  out.recipe = r.name;
  out.mean.assign(static_cast<std::size_t>(h), 0.0);
  out.adjusted.assign(static_cast<std::size_t>(h), 0.0);
  for (const auto &member : r.members) {
    const stat::StatForecast f = stat::fit_and_forecast(member, history, m, h);
    for (int i = 0; i < h; ++i) {
      out.mean[i] += f.mean[i] / static_cast<double>(r.members.size());
      out.adjusted[i] += f.adjusted[i] / static_cast<double>(r.members.size());
    }
    out.method += (out.method.empty() ? "" : " + ") + f.method;
  }
  return out;
}

// A seasonal member fitted on a history of n points runs as it does on the
// whole series only when both are on the same side of two full seasons
// (STL and Theta's seasonal test need more than that); otherwise its
// validation score says little about its forecast.
bool representative(long origin_points, long all_points, int m) {
  return m <= 1 || (origin_points > 2L * m) == (all_points > 2L * m);
}

// Everything one series contributes; computed by a worker thread, so it
// calls nothing but the members (no hooks, no PostgreSQL).
struct SeriesOutcome {
  std::vector<ForecastPoints> val;  // per candidate (none run past the time budget)
  ForecastPoints val_naive;
  ForecastPoints val_chosen;             // the chosen recipe's validation points
  std::vector<double> val_scaled_error;  // the chosen recipe's |error| / scale ...
  std::vector<int> val_step;             // ... and the step of each
  ForecastPoints test_model, test_naive;
  std::vector<int> test_step;
  std::vector<long> test_index;  // index of each test point in the series
  StatSeriesState state;
  bool short_history = false;  // no validation origin
  bool chose_naive = false;
  bool out_of_time = false;  // started after the time budget was spent: seasonal naive, unvalidated members
};

double series_scale(const std::vector<double> &y, long end, int m) {
  double s = seasonal_naive_scale(y, end, m);
  if (std::isfinite(s) && s > 0) return s;
  s = seasonal_naive_scale(y, end, 1);
  if (std::isfinite(s) && s > 0) return s;
  double mean_abs = 0;
  for (long t = 0; t < end; ++t) mean_abs += std::fabs(y[t]) / static_cast<double>(end);
  return mean_abs > 0 ? mean_abs : 1.0;
}

// out_of_time: the time budget is spent, and the series gets seasonal naive,
// which costs next to nothing, with no other candidate run.
SeriesOutcome evaluate_series(const Series &s, const ForecastOptions &o, const std::vector<Recipe> &candidates, int m,
                              bool out_of_time) {
  SeriesOutcome out;
  out.out_of_time = out_of_time;
  const int H = o.horizon;
  const long n = static_cast<long>(s.length());
  const SeriesSplit sp = split_temporal(n, o);
  const long fit_end = std::max<long>(sp.val_end, 1);  // validation and test never use later points
  const double scale = series_scale(s.y, std::max<long>(std::min(sp.val_end, n), 1), m);
  const Recipe chosen_default = out_of_time ? kSeasonalNaive : recipe_of(o.arch);

  // Validation: origins one horizon apart, the last one a horizon before the
  // test split; every candidate refitted at each.
  out.val.resize(candidates.size());
  std::vector<long> origins;
  for (long origin = sp.val_end - 1 - H; origin >= 1 && origins.size() < 2; origin -= H) origins.push_back(origin);
  out.short_history = origins.empty();
  std::vector<double> candidate_error(candidates.size(), 0.0);
  double naive_error = 0;
  bool all_representative = !origins.empty();
  std::vector<std::vector<double>> chosen_errors;  // per origin, the default recipe's errors
  for (long origin : origins) {
    stat::throw_if_fitting_stopped();
    all_representative = all_representative && representative(origin + 1, n, m);
    const auto naive = run_recipe(kSeasonalNaive, s.y, origin + 1, m, H).mean;
    for (int h = 1; h <= H; ++h) {
      out.val_naive.add(s.y[origin + h], naive[h - 1], scale);
      naive_error += std::fabs(naive[h - 1] - s.y[origin + h]);
    }
    for (std::size_t c = 0; c < candidates.size() && !out_of_time; ++c) {
      const auto f = candidates[c].name == "snaive" ? naive : run_recipe(candidates[c], s.y, origin + 1, m, H).mean;
      for (int h = 1; h <= H; ++h) {
        out.val[c].add(s.y[origin + h], f[h - 1], scale);
        candidate_error[c] += std::fabs(f[h - 1] - s.y[origin + h]);
      }
    }
  }
  Recipe chosen = chosen_default;
  out.val_chosen = out_of_time ? out.val_naive : out.val.back();  // the default recipe is the last candidate
  if (o.arch == "auto" && !out_of_time && all_representative && naive_error < candidate_error.back()) {
    chosen = kSeasonalNaive;
    out.val_chosen = out.val_naive;
    out.chose_naive = true;
  }
  const ForecastPoints &cv = out.val_chosen;
  for (std::size_t i = 0; i < cv.actual.size(); ++i) {
    out.val_scaled_error.push_back(std::fabs(cv.predicted[i] - cv.actual[i]) / scale);
    out.val_step.push_back(static_cast<int>(i % static_cast<std::size_t>(H)) + 1);
  }

  // Test: the test split tiled by horizon-long windows from its first point
  // (the last window cut at the series' end), each refitted on what came before.
  for (long origin = fit_end - 1; origin >= 0 && origin < n - 1 && sp.val_end >= 1; origin += H) {
    stat::throw_if_fitting_stopped();
    const int steps = static_cast<int>(std::min<long>(H, n - 1 - origin));
    const auto f = run_recipe(chosen, s.y, origin + 1, m, H).mean;
    const auto naive = run_recipe(kSeasonalNaive, s.y, origin + 1, m, H).mean;
    for (int h = 1; h <= steps; ++h) {
      out.test_model.add(s.y[origin + h], f[h - 1], scale);
      out.test_naive.add(s.y[origin + h], naive[h - 1], scale);
      out.test_step.push_back(h);
      out.test_index.push_back(origin + h);
    }
  }

  // The forecast a user gets: the recipe fitted on the whole history.
  const RecipeForecast final = run_recipe(chosen, s.y, n, m, H);
  for (double v : final.mean)  // values near the double range overflow a member's sums
    if (!std::isfinite(v))
      throw Error(ErrorKind::DataException,
                  "the forecast of " + (s.key.empty() ? std::string("the series") : "series \"" + s.key + "\"") +
                      " is not a finite number",
                  "Its values are too large to compute with: scale the target down.");
  out.state.key = s.key;
  out.state.start = s.start;
  out.state.length = n;
  out.state.scale = scale;
  out.state.recipe = final.recipe;
  out.state.method = final.method;
  out.state.yhat = final.mean;
  out.state.trend = final.adjusted;
  for (double v : out.state.trend)  // a blob keeps only finite numbers: then no split, the season adds nothing
    if (!std::isfinite(v)) out.state.trend = final.mean;
  return out;
}

// Runs fit(k) for every series k of panel on `threads` workers; the calling
// thread only waits and asks whether to stop (hooks may call PostgreSQL).
// Even one series fits on a worker, so that a cancel stops a long series
// mid-fit. A member refusing its input (values that overflowed) is a
// DataException naming the series.
void fit_each_series(const Panel &panel, int threads, const TrainHooks &hooks,
                     const std::function<void(std::size_t)> &fit) {
  const std::size_t S = panel.series.size();
  std::atomic<std::size_t> next{0}, done{0};
  std::atomic<bool> stop{false};
  std::exception_ptr failure;
  std::atomic<bool> failed{false};
  std::mutex waiting;
  std::condition_variable finished;  // wakes the calling thread when a series is done
  auto work = [&] {
    stat::stop_fitting_when(&stop);
    for (std::size_t k; !stop && (k = next++) < S;) {
      try {
        try {
          fit(k);
        } catch (const std::invalid_argument &e) {
          const std::string key = panel.series[k].key;
          throw Error(ErrorKind::DataException,
                      std::string(e.what()) + " (" + (key.empty() ? "the series" : "series \"" + key + "\"") + ")",
                      "The series' values are too large to compute with: scale the target down.");
        }
      } catch (...) {
        if (!failed.exchange(true)) failure = std::current_exception();
        stop = true;
      }
      ++done;
      { const std::lock_guard<std::mutex> lock(waiting); }  // not between the caller's check and its wait
      finished.notify_one();
    }
  };
  const std::size_t workers =
      std::max<std::size_t>(1, std::min<std::size_t>(static_cast<std::size_t>(std::max(threads, 1)), S));
  std::vector<std::thread> pool;
  for (std::size_t w = 0; w < workers; ++w) pool.emplace_back(work);
  bool interrupted = false;
  std::unique_lock<std::mutex> lock(waiting);
  while (done < S && !stop) {
    finished.wait_for(lock, std::chrono::milliseconds(20));
    if (hooks.interrupted && hooks.interrupted()) {
      interrupted = true;
      stop = true;
    }
  }
  lock.unlock();
  for (auto &t : pool) t.join();
  if (interrupted) throw Error(ErrorKind::Interrupted, "training was interrupted");
  if (failure) std::rethrow_exception(failure);
}

// evaluate_series for every series. With a time budget, a series that
// starts after it is spent gets seasonal naive (evaluate_series), so the
// call ends within the budget plus the series in flight.
std::vector<SeriesOutcome> evaluate_panel(const Panel &panel, const ForecastOptions &o, int threads,
                                          const TrainHooks &hooks) {
  const std::vector<Recipe> candidates = candidates_of(o);
  const int m = std::max(1, panel.freq.season_length());
  std::vector<SeriesOutcome> out(panel.series.size());
  const Deadline until = deadline_after(o.time_budget);
  fit_each_series(panel, threads, hooks,
                  [&](std::size_t k) { out[k] = evaluate_series(panel.series[k], o, candidates, m, is_past(until)); });
  return out;
}

int worker_threads(const RuntimeSettings &runtime) {
  if (runtime.threads > 0) return runtime.threads;
  return usable_cores();
}

// Split-conformal half-widths per step, in units of each series' scale. With
// fewer than 20 validation errors at a step, all steps' errors are pooled
// and widened by sqrt(h / mean step), as errors grow with the step.
std::vector<double> conformal_widths(const std::vector<SeriesOutcome> &outcomes, int H, double level) {
  std::vector<std::vector<double>> by_step(static_cast<std::size_t>(H));
  std::vector<double> pooled;
  for (const auto &oc : outcomes)
    for (std::size_t i = 0; i < oc.val_scaled_error.size(); ++i) {
      by_step[oc.val_step[i] - 1].push_back(oc.val_scaled_error[i]);
      pooled.push_back(oc.val_scaled_error[i] / std::sqrt(static_cast<double>(oc.val_step[i])));
    }
  auto quantile = [&](std::vector<double> v) {
    for (double &e : v)  // a NaN error (an overflowing member) is the largest, not undefined order
      if (std::isnan(e)) e = std::numeric_limits<double>::infinity();
    std::sort(v.begin(), v.end());
    const long n = static_cast<long>(v.size());
    const long rank = std::min<long>(n - 1, static_cast<long>(std::ceil((n + 1) * level)) - 1);
    const double q = v[static_cast<std::size_t>(std::max<long>(rank, 0))];
    if (!std::isfinite(q))
      throw Error(ErrorKind::DataException, "the forecast intervals are not finite numbers",
                  "The series' values are too large to compute with: scale the target down.");
    return q;
  };
  std::vector<double> q(static_cast<std::size_t>(H));
  for (int h = 1; h <= H; ++h) {
    if (by_step[h - 1].size() >= 20)
      q[h - 1] = quantile(by_step[h - 1]);
    else if (!pooled.empty())
      q[h - 1] = quantile(pooled) * std::sqrt(static_cast<double>(h));
    else
      q[h - 1] = 2.0 * std::sqrt(static_cast<double>(h));  // no validation at all: a wide guess
  }
  return q;
}

void add_bounds(ForecastPoints &p, const std::vector<int> &steps, double scale, const std::vector<double> &q) {
  for (std::size_t i = p.lo.size(); i < p.actual.size(); ++i) {
    p.lo.push_back(p.predicted[i] - q[steps[i] - 1] * scale);
    p.hi.push_back(p.predicted[i] + q[steps[i] - 1] * scale);
  }
}

void append(ForecastPoints &to, const ForecastPoints &from) {
  to.actual.insert(to.actual.end(), from.actual.begin(), from.actual.end());
  to.predicted.insert(to.predicted.end(), from.predicted.begin(), from.predicted.end());
  to.mase_scale.insert(to.mase_scale.end(), from.mase_scale.begin(), from.mase_scale.end());
  to.lo.insert(to.lo.end(), from.lo.begin(), from.lo.end());
  to.hi.insert(to.hi.end(), from.hi.begin(), from.hi.end());
}

// One NOTICE naming the series that had too little history to validate on.
void notice_short_series(const std::vector<SeriesOutcome> &outcomes, const TrainHooks &hooks) {
  std::vector<std::pair<std::string, std::string>> short_ones;
  for (const auto &oc : outcomes)
    if (oc.short_history)
      short_ones.emplace_back(oc.state.key, std::to_string(oc.state.length) + " points: " + oc.state.method);
  if (short_ones.empty() || !hooks.notice) return;
  hooks.notice(
      std::to_string(short_ones.size()) +
      " series too short to validate on were forecast by the members that fit them: " + first_series_named(short_ones));
}

// One NOTICE for the series the time budget left to seasonal naive.
void notice_out_of_time(const std::vector<SeriesOutcome> &outcomes, const ForecastOptions &o, const TrainHooks &hooks) {
  const long count = std::count_if(outcomes.begin(), outcomes.end(), [](const auto &oc) { return oc.out_of_time; });
  if (count == 0 || !hooks.notice) return;
  hooks.notice(time_budget_text(o.time_budget) + ": it was spent after " +
               std::to_string(outcomes.size() - static_cast<std::size_t>(count)) + " of " +
               std::to_string(outcomes.size()) + " series; the other " + std::to_string(count) +
               " get seasonal naive (the candidates' scores in xb.trials cover the first ones); a larger "
               "time_budget or more xb.threads gives every series " +
               o.arch);
}

}  // namespace

TrainedForecaster train_statistical(const Panel &panel, const ForecastOptions &o, const RuntimeSettings &runtime,
                                    const TrainHooks &hooks) {
  const int threads = worker_threads(runtime);
  const std::vector<Recipe> candidates = candidates_of(o);
  // Forecasts continue each series by the horizon: those times must exist
  // (a model whose blob would not load again is refused now).
  for (const Series &s : panel.series) panel.time_at(s, static_cast<long>(s.length()) - 1 + o.horizon);
  const auto start = std::chrono::steady_clock::now();
  std::vector<SeriesOutcome> outcomes = evaluate_panel(panel, o, threads, hooks);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  notice_short_series(outcomes, hooks);
  notice_out_of_time(outcomes, o, hooks);
  if (!o.unused_options.empty() && hooks.notice) {
    std::string keys;
    for (const auto &k : o.unused_options) keys += (keys.empty() ? "" : ", ") + k;
    hooks.notice("arch " + o.arch + " trains no network: options " + keys +
                 " were not used (give arch gru, lstm, transformer or attention_lstm to train one)");
  }
  if (!panel.feature_names.empty() && hooks.notice)
    hooks.notice("arch " + o.arch + " uses no covariates: " + std::to_string(panel.feature_names.size()) +
                 " feature columns were not used");

  StatState st;
  st.options = o;
  st.freq = panel.freq;
  st.season = std::max(1, panel.freq.season_length());
  st.conformal_q = conformal_widths(outcomes, o.horizon, o.interval);
  for (double level : kIntervalLevels)
    st.interval_levels.push_back({level, conformal_widths(outcomes, o.horizon, level)});

  TrainedForecaster out;
  ForecastPoints val_model, val_naive, test_model, test_naive;
  std::vector<ForecastPoints> val_candidates(candidates.size());
  long chose_naive = 0;
  out.time_from = panel.series.front().start;
  for (std::size_t k = 0; k < outcomes.size(); ++k) {
    SeriesOutcome &oc = outcomes[k];
    const Series &s = panel.series[k];
    if (!oc.out_of_time)
      for (std::size_t c = 0; c < candidates.size(); ++c) append(val_candidates[c], oc.val[c]);
    append(val_model, oc.val_chosen);
    append(val_naive, oc.val_naive);
    add_bounds(oc.test_model, oc.test_step, oc.state.scale, st.conformal_q);
    append(test_model, oc.test_model);
    append(test_naive, oc.test_naive);
    for (std::size_t i = 0; i < oc.test_model.actual.size(); ++i)
      out.residuals.push_back({s.key, panel.time_at(s, oc.test_index[i]), oc.test_step[i], oc.test_model.actual[i],
                               oc.test_model.predicted[i], oc.test_model.lo[i], oc.test_model.hi[i]});
    chose_naive += oc.chose_naive ? 1 : 0;
    out.time_from = std::min(out.time_from, s.start);
    out.time_to = std::max(out.time_to, panel.time_at(s, static_cast<long>(s.length()) - 1));
    st.series.push_back(std::move(oc.state));
  }
  if (chose_naive > 0 && hooks.notice)
    hooks.notice("auto: seasonal naive beat " + kAutoRecipe.name + " on the validation origins of " +
                 std::to_string(chose_naive) + " of " + std::to_string(outcomes.size()) + " series, which get it");

  auto record = [&](const std::string &split, const std::string &estimator, const ForecastPoints &p) {
    if (p.actual.empty()) return;
    for (const auto &[name, value] : forecast_metrics(p)) out.metrics.push_back({split, estimator, name, value});
  };
  record("validation", "model", val_model);
  record("validation", "seasonal_naive", val_naive);
  record("test", "model", test_model);
  record("test", "seasonal_naive", test_naive);
  // The candidates' scores cover the series evaluated within the time
  // budget; with none, there is nothing to score them on.
  const bool any_in_time =
      std::any_of(outcomes.begin(), outcomes.end(), [](const auto &oc) { return !oc.out_of_time; });
  if (candidates.size() > 1 && any_in_time)
    for (std::size_t c = 0; c < candidates.size(); ++c) {
      record("validation", candidates[c].name, val_candidates[c]);
      TrialRecord t;
      t.trial = static_cast<int>(c + 1);
      t.arch = candidates[c].name;
      t.options_json = "{\"recipe\": \"" + candidates[c].name + "\"}";
      t.val_wape = weighted_ape(val_candidates[c]);
      t.metric = "wape";
      t.score = t.val_wape;
      t.val_mase = mean_absolute_scaled_error(val_candidates[c]);
      t.val_smape = symmetric_mape(val_candidates[c]);
      t.seconds = seconds / static_cast<double>(candidates.size());
      t.chosen = c + 1 == candidates.size();
      out.trials.push_back(t);
    }

  out.blob = encode_blob(ModelBlob{ModelKind::Forecaster, o.arch, st.to_json(), std::string()});
  out.arch = o.arch;
  out.hyperparameters_json = o.to_json();
  out.series_used = static_cast<long>(panel.series.size());
  out.rows_dropped = panel.dropped_rows;
  out.frequency = panel.freq.name();
  out.device = "cpu, statistical members, " + std::to_string(threads) + " threads";
  return out;
}

Error fold_without_data(int fold, long cut) {
  return Error(ErrorKind::InsufficientData,
               "backtest fold " + std::to_string(fold) + " (the last " + std::to_string(cut) +
                   " points removed) has no data left",
               "Use fewer folds or a smaller step.");
}

std::vector<BacktestRow> backtest_statistical(const Panel &full, const ForecastOptions &o, int folds, int step,
                                              const RuntimeSettings &runtime, const TrainHooks &hooks) {
  std::vector<BacktestRow> out;
  for (int fold = 1; fold <= folds; ++fold) {
    stop_if_interrupted(hooks);
    const long cut = static_cast<long>(fold - 1) * step;
    Panel panel;
    panel.freq = full.freq;
    for (const Series &s : full.series) {
      if (static_cast<long>(s.length()) <= cut + 1) continue;
      Series t = s;
      t.y.resize(s.length() - static_cast<std::size_t>(cut));
      t.x.clear();
      panel.series.push_back(std::move(t));
    }
    if (panel.series.empty()) throw fold_without_data(fold, cut);
    if (hooks.notice) hooks.notice("backtest: fold " + std::to_string(fold) + " of " + std::to_string(folds));
    std::vector<SeriesOutcome> outcomes = evaluate_panel(panel, o, worker_threads(runtime), hooks);
    const std::vector<double> q = conformal_widths(outcomes, o.horizon, o.interval);
    Micros cutoff = 0;
    for (std::size_t k = 0; k < outcomes.size(); ++k) {
      const Series &s = panel.series[k];
      const long val_end = split_temporal(static_cast<long>(s.length()), o).val_end;
      cutoff = std::max(cutoff, panel.time_at(s, std::max<long>(val_end, 1) - 1));
      add_bounds(outcomes[k].test_model, outcomes[k].test_step, outcomes[k].state.scale, q);
    }
    ForecastPoints model, naive;
    std::vector<int> steps;
    for (const auto &oc : outcomes) {
      append(model, oc.test_model);
      append(naive, oc.test_naive);
      steps.insert(steps.end(), oc.test_step.begin(), oc.test_step.end());
    }
    append_backtest_rows(out, fold, cutoff, o.horizon, model, naive, steps);
  }
  return out;
}

namespace {

// The steps asked for (0: the trained horizon), and a NOTICE when covariates were given.
int forecast_steps(const StatState &st, int horizon, const TrainHooks &hooks, const FutureInputs &future) {
  if (horizon == 0) horizon = st.options.horizon;
  if (horizon > st.options.horizon)
    throw Error(
        ErrorKind::InvalidParameter,
        "horizon " + std::to_string(horizon) + " is beyond the trained horizon " + std::to_string(st.options.horizon),
        "Retrain with a larger horizon.");
  if ((future.rows || !future.overrides_json.empty()) && hooks.notice)
    hooks.notice("arch " + st.options.arch + " uses no covariates: future_source and overrides change nothing");
  return horizon;
}

}  // namespace

std::vector<ForecastPoint> forecast_statistical(const StatState &st, int horizon, const TrainHooks &hooks,
                                                const FutureInputs &future) {
  horizon = forecast_steps(st, horizon, hooks, future);
  const std::vector<double> &q = interval_widths(future.level, st.options.interval, st.conformal_q, st.interval_levels);
  std::vector<ForecastPoint> out;
  out.reserve(st.series.size() * static_cast<std::size_t>(horizon));
  for (const auto &s : st.series)
    for (int h = 1; h <= horizon; ++h) {
      const double half = q[h - 1] * s.scale;
      out.push_back({s.key, st.freq.advance(s.start, s.length - 1 + h), s.yhat[h - 1], s.yhat[h - 1] - half,
                     s.yhat[h - 1] + half});
    }
  return out;
}

std::vector<ExplanationRow> explain_statistical(const StatState &st, int horizon, const TrainHooks &hooks,
                                                const FutureInputs &future) {
  horizon = forecast_steps(st, horizon, hooks, future);
  std::vector<ExplanationRow> out;
  out.reserve(st.series.size() * static_cast<std::size_t>(horizon) * 2);
  for (const auto &s : st.series) {
    if (s.trend.empty())
      throw Error(ErrorKind::InvalidParameter,
                  "this version keeps no trend and season of its forecast: it was trained before xb kept them",
                  "Retrain it (CALL xb_retrain) to explain its forecasts.");
    for (int h = 1; h <= horizon; ++h) {
      const Micros ts = st.freq.advance(s.start, s.length - 1 + h);
      const double yhat = s.yhat[h - 1], trend = s.trend[h - 1];
      if (!std::isfinite(yhat - trend))
        throw Error(ErrorKind::DataException, "the explanation of series \"" + s.key + "\" is not a finite number",
                    "The model holds values too large to compute with; retrain it.");
      out.push_back({s.key, ts, yhat, "trend", trend});
      out.push_back({s.key, ts, yhat, "seasonal", yhat - trend});
    }
  }
  return out;
}

std::vector<std::vector<std::vector<double>>> recipe_forecasts_at(const StatState &st, const Panel &panel,
                                                                  const std::vector<std::vector<long>> &origins,
                                                                  const RuntimeSettings &runtime,
                                                                  const TrainHooks &hooks, Deadline until) {
  std::map<std::string, const StatSeriesState *> by_key;
  for (const StatSeriesState &s : st.series) by_key.emplace(s.key, &s);
  std::vector<std::vector<std::vector<double>>> out(panel.series.size());
  fit_each_series(panel, worker_threads(runtime), hooks, [&](std::size_t k) {
    const Series &s = panel.series[k];
    const auto it = by_key.find(s.key);
    if (it == by_key.end())
      throw Error(ErrorKind::Internal, "series \"" + s.key + "\" has no statistical recipe to compare with");
    const Recipe r = parse_recipe(it->second->recipe);
    const long n = static_cast<long>(s.length());
    const bool in_time = !is_past(until);
    for (long origin : origins[k]) {
      std::vector<double> f;
      try {
        if (in_time && representative(origin + 1, n, st.season))
          f = run_recipe(r, s.y, origin + 1, st.season, st.options.horizon).mean;
      } catch (const std::invalid_argument &) {  // values its members cannot fit there: not compared
      }
      if (!std::all_of(f.begin(), f.end(), [](double v) { return std::isfinite(v); })) f.clear();
      out[k].push_back(std::move(f));
    }
  });
  return out;
}

StatState rebase_statistical(const StatState &st, const Panel &history, const RuntimeSettings &runtime,
                             const TrainHooks &hooks) {
  std::map<std::string, std::size_t> at;  // key -> index in history
  for (std::size_t k = 0; k < history.series.size(); ++k) at.emplace(history.series[k].key, k);
  std::vector<std::size_t> found;  // indexes into st.series
  Panel shared;
  shared.freq = history.freq;
  for (std::size_t i = 0; i < st.series.size(); ++i)
    if (const auto it = at.find(st.series[i].key); it != at.end() && !history.series[it->second].y.empty()) {
      found.push_back(i);
      shared.series.push_back(history.series[it->second]);
    }

  const int m = st.season;
  const int H = st.options.horizon;
  std::vector<std::optional<StatSeriesState>> moved(found.size());
  fit_each_series(shared, worker_threads(runtime), hooks, [&](std::size_t k) {
    const Series &s = shared.series[k];
    const StatSeriesState &was = st.series[found[k]];
    const Recipe r = parse_recipe(was.recipe);
    const long n = static_cast<long>(s.length());
    RecipeForecast f;
    try {
      f = run_recipe(r, s.y, n, m, H);
    } catch (const std::invalid_argument &) {
      return;  // a history its members cannot fit (too short): left out
    }
    for (double v : f.mean)
      if (!std::isfinite(v)) return;
    StatSeriesState now = was;
    now.start = s.start;
    now.length = n;
    now.scale = series_scale(s.y, n, m);
    now.method = f.method;
    now.yhat = f.mean;
    now.trend = f.adjusted;
    for (double v : now.trend)
      if (!std::isfinite(v)) now.trend = f.mean;
    moved[k] = std::move(now);
  });

  StatState out = st;
  out.freq = history.freq;
  out.series.clear();
  for (auto &s : moved)
    if (s) out.series.push_back(std::move(*s));
  return out;
}

}  // namespace xb
