#include "core/forecast/evaluation.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <iterator>
#include <map>
#include <optional>
#include <unordered_map>

#include "core/common/blob.hpp"
#include "core/common/error.hpp"
#include "core/forecast/calendar.hpp"
#include "core/forecast/forecast.hpp"
#include "core/forecast/forecast_state.hpp"
#include "core/forecast/metrics.hpp"

namespace xb {
namespace {

using Actuals = std::map<Micros, double>;  // time -> actual, one series

// What a forecaster blob knows besides its forecast: its calendar, whether
// it is statistical (no covariates to pass it), the history a network keeps
// of each series, and the MASE scale a statistical one measured per series.
struct BlobFacts {
  Frequency freq;
  int season = 1;
  bool statistical = false;
  std::unordered_map<std::string, Actuals> tail;
  std::unordered_map<std::string, double> scale;
};

BlobFacts facts_of(std::string_view blob) {
  const ModelBlob decoded = decode_blob(blob);
  if (decoded.kind != ModelKind::Forecaster)
    throw Error(ErrorKind::InvalidParameter,
                std::string("the model is a ") + model_kind_name(decoded.kind) + ", not a forecaster");
  BlobFacts f;
  f.statistical = is_statistical_state(decoded.state_json);
  if (f.statistical) {
    const StatState st = StatState::from_json(decoded.state_json);
    f.freq = st.freq;
    for (const auto &s : st.series) f.scale[s.key] = s.scale;
  } else {
    const ForecastState st = ForecastState::from_json(decoded.state_json);
    f.freq = st.panel.freq;
    for (const Series &s : st.panel.series)
      for (std::size_t t = 0; t < s.length(); ++t) f.tail[s.key][st.panel.time_at(s, static_cast<long>(t))] = s.y[t];
    if (!st.fallback.empty())  // series too short for the network: scaled as a statistical model's
      for (const auto &s : StatState::from_json(st.fallback).series) f.scale[s.key] = s.scale;
  }
  f.season = std::max(1, f.freq.season_length());
  return f;
}

// t moved back `steps` steps, or nullopt before the calendar's first year.
std::optional<Micros> steps_back(const BlobFacts &c, Micros t, long steps) {
  try {
    return c.freq.advance(t, -steps);
  } catch (const Error &) {
    return std::nullopt;
  }
}

// The mean |y[t] - y[t - lag]| over the pairs of history before
// origin_end, NaN when it holds none: MASE's scale, as training measures it.
double mean_lag_error(const Actuals &y, Micros origin_end, const BlobFacts &c, long lag) {
  double sum = 0;
  long count = 0;
  for (auto it = y.begin(); it != y.end() && it->first < origin_end; ++it) {
    const auto back = steps_back(c, it->first, lag);
    const auto earlier = back ? y.find(*back) : y.end();
    if (earlier == y.end()) continue;
    sum += std::fabs(it->second - earlier->second);
    ++count;
  }
  return count > 0 ? sum / static_cast<double>(count) : std::numeric_limits<double>::quiet_NaN();
}

// Seasonal naive from before origin_end: the actual whole seasons before t
// (the last actual before origin_end for a calendar without a season).
double seasonal_naive_at(const Actuals &y, Micros t, Micros origin_end, const BlobFacts &c) {
  const double none = std::numeric_limits<double>::quiet_NaN();
  if (c.season <= 1) {
    const auto it = y.lower_bound(origin_end);
    return it == y.begin() ? none : std::prev(it)->second;
  }
  std::optional<Micros> back = t;
  do back = steps_back(c, *back, c.season);
  while (back && *back >= origin_end);
  const auto it = back ? y.find(*back) : y.end();
  return it == y.end() ? none : it->second;
}

void add_rows(ForecastEvaluation &out, bool overall, const std::string &series, const std::string &estimator,
              const ForecastPoints &p) {
  if (p.actual.empty()) return;
  out.rows.push_back({overall, series, estimator, "points", static_cast<double>(p.actual.size())});
  for (const auto &[metric, value] : forecast_metrics(p))
    out.rows.push_back({overall, series, estimator, metric, value});
}

// One forecast point with what it is scored against.
struct Scored {
  double actual, yhat, lo, hi, naive, scale;
};

std::string first_key(const std::unordered_map<std::string, Actuals> &by_key) {
  return by_key.empty() ? std::string() : by_key.begin()->first;
}

}  // namespace

ForecastEvaluation evaluate_forecaster(std::string_view blob, const SeriesRows &rows, const RuntimeSettings &runtime,
                                       const TrainHooks &hooks) {
  const BlobFacts facts = facts_of(blob);
  std::unordered_map<std::string, Actuals> source;  // NaN: a row without an actual
  for (std::size_t r = 0; r < rows.rows(); ++r)
    if (!source[rows.series_key[r]].emplace(rows.time[r], rows.target[r]).second)
      throw Error(ErrorKind::DataException,
                  "duplicate timestamp " + format_time(rows.time[r]) + " in series \"" + rows.series_key[r] + "\"",
                  "Each series may have one row per timestamp, as in training: aggregate the source.");

  // The model's own forecast; a network reads its covariates from the source
  // (steps the source lacks are not scored, so its notice about them is not passed on).
  TrainHooks quiet = hooks;
  quiet.notice = nullptr;
  FutureInputs future;
  if (!facts.statistical) future.rows = &rows;
  const std::vector<ForecastPoint> forecast_points = forecast(blob, 0, runtime, quiet, future);

  std::unordered_map<std::string, Micros> origin_end;                             // each series' first forecast time
  std::unordered_map<std::string, std::vector<const ForecastPoint *>> points_of;  // each series' points, in order
  for (const ForecastPoint &p : forecast_points) {
    if (!origin_end.count(p.series) || p.ts < origin_end[p.series]) origin_end[p.series] = p.ts;
    points_of[p.series].push_back(&p);
  }

  // Each series' history before its forecast: the source's rows, then what
  // the model keeps where the source has none.
  std::map<std::string, std::vector<Scored>> by_series;  // sorted by key, for stable output
  long points = 0, with_naive = 0, without_scale = 0;
  for (const auto &[key, end] : origin_end) {
    const auto from_source = source.find(key);
    if (from_source == source.end()) continue;
    Actuals history;
    for (const auto &[t, y] : from_source->second)
      if (t < end && std::isfinite(y)) history.emplace(t, y);
    if (const auto kept = facts.tail.find(key); kept != facts.tail.end())
      for (const auto &[t, y] : kept->second)
        if (t < end) history.emplace(t, y);  // the source's value stays where it has one
    // Seasonal pairs; else the scale a statistical model measured in
    // training (it had the whole history); else pairs one step apart.
    double scale = mean_lag_error(history, end, facts, facts.season);
    if (!std::isfinite(scale) && facts.scale.count(key)) scale = facts.scale.at(key);
    if (!std::isfinite(scale)) scale = mean_lag_error(history, end, facts, 1);
    bool scored = false;
    for (const ForecastPoint *p : points_of.at(key)) {
      const auto actual = from_source->second.find(p->ts);
      if (actual == from_source->second.end() || !std::isfinite(actual->second)) continue;
      const double naive = seasonal_naive_at(history, p->ts, end, facts);
      by_series[key].push_back({actual->second, p->yhat, p->lo, p->hi, naive, scale});
      ++points;
      with_naive += std::isfinite(naive);
      scored = true;
    }
    without_scale += scored && !std::isfinite(scale);
  }
  if (points == 0) {
    std::string hint = "The model forecasts from the end of its history";
    if (!forecast_points.empty())
      hint += " (series \"" + forecast_points.front().series + "\" from " +
              format_time(origin_end[forecast_points.front().series]) + ")";
    hint += ": give a source with the same series and time columns and rows after it.";
    const bool any_series_known =
        std::any_of(source.begin(), source.end(), [&](const auto &kv) { return origin_end.count(kv.first) > 0; });
    if (!any_series_known && !forecast_points.empty())
      hint = "No series of the source is one of the model's (the model has \"" + forecast_points.front().series +
             "\", the source \"" + first_key(source) +
             "\"): check the series columns (an import names them with xb_model_load(..., series_cols => ...)).";
    throw Error(ErrorKind::InvalidParameter, "no row of the source has an actual in the model's forecast", hint);
  }

  // Both estimators on the same points: those with a seasonal-naive value.
  const bool baseline = with_naive > 0;
  if (hooks.notice && !baseline)
    hooks.notice(
        "seasonal naive is not scored: neither the source nor the model holds the values one season before "
        "the forecast");
  else if (hooks.notice && with_naive < points)
    hooks.notice(std::to_string(points - with_naive) + " of " + std::to_string(points) +
                 " points have no value one season earlier in the source or the model: the model and seasonal "
                 "naive are both scored on the other " +
                 std::to_string(with_naive));
  if (hooks.notice && without_scale > 0)
    hooks.notice(std::to_string(without_scale) +
                 " series have no earlier pair of values to scale MASE by: their points count in every metric "
                 "but MASE");

  ForecastEvaluation out;
  ForecastPoints all_model, all_naive;
  std::vector<std::pair<std::string, std::pair<ForecastPoints, ForecastPoints>>> each;
  for (const auto &[key, scored] : by_series) {
    ForecastPoints model, naive;
    for (const Scored &x : scored) {
      if (baseline && !std::isfinite(x.naive)) continue;
      for (ForecastPoints *to : {&model, &all_model}) {
        to->add(x.actual, x.yhat, x.scale);
        to->lo.push_back(x.lo);
        to->hi.push_back(x.hi);
      }
      if (baseline) {
        naive.add(x.actual, x.naive, x.scale);
        all_naive.add(x.actual, x.naive, x.scale);
      }
    }
    if (!model.actual.empty()) each.push_back({key, {std::move(model), std::move(naive)}});
  }
  out.points = static_cast<long>(all_model.actual.size());
  out.series_scored = static_cast<long>(each.size());
  for (const auto &[key, values] : source)
    if (!origin_end.count(key)) ++out.series_unknown;
  add_rows(out, true, "", "model", all_model);
  add_rows(out, true, "", "seasonal_naive", all_naive);
  for (const auto &[key, pair] : each) {
    add_rows(out, false, key, "model", pair.first);
    add_rows(out, false, key, "seasonal_naive", pair.second);
  }
  return out;
}

}  // namespace xb
