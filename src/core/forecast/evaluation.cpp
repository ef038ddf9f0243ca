#include "core/forecast/evaluation.hpp"

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

// The calendar a forecaster blob steps by, and whether it is statistical
// (no covariates to pass it).
struct BlobCalendar {
  Frequency freq;
  int season = 1;
  bool statistical = false;
};

BlobCalendar calendar_of(std::string_view blob) {
  const ModelBlob decoded = decode_blob(blob);
  if (decoded.kind != ModelKind::Forecaster)
    throw Error(ErrorKind::InvalidParameter,
                std::string("the model is a ") + model_kind_name(decoded.kind) + ", not a forecaster");
  BlobCalendar c;
  c.statistical = is_statistical_state(decoded.state_json);
  c.freq = c.statistical ? StatState::from_json(decoded.state_json).freq
                         : ForecastState::from_json(decoded.state_json).panel.freq;
  c.season = std::max(1, c.freq.season_length());
  return c;
}

// t moved back `steps` steps, or nullopt before the calendar's first year.
std::optional<Micros> steps_back(const BlobCalendar &c, Micros t, long steps) {
  try {
    return c.freq.advance(t, -steps);
  } catch (const Error &) {
    return std::nullopt;
  }
}

// MASE's scale from the source's points before `origin_end` (the first
// forecast time): the mean |y[t] - y[t - season]| over the pairs the source
// holds, as training measures it; lag 1 when it holds no seasonal pair.
double scale_before(const Actuals &y, Micros origin_end, const BlobCalendar &c) {
  for (const long lag : {static_cast<long>(c.season), 1L}) {
    double sum = 0;
    long count = 0;
    for (auto it = y.begin(); it != y.end() && it->first < origin_end; ++it) {
      const auto back = steps_back(c, it->first, lag);
      const auto earlier = back ? y.find(*back) : y.end();
      if (earlier == y.end()) continue;
      sum += std::fabs(it->second - earlier->second);
      ++count;
    }
    if (count > 0) return sum / static_cast<double>(count);
  }
  return std::numeric_limits<double>::quiet_NaN();
}

// Seasonal naive from before origin_end: the actual whole seasons before t
// (the last actual before origin_end for a calendar without a season).
double seasonal_naive_at(const Actuals &y, Micros t, Micros origin_end, const BlobCalendar &c) {
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

void add_rows(ForecastEvaluation &out, const std::string &series, const std::string &estimator,
              const ForecastPoints &p) {
  out.rows.push_back({series, estimator, "points", static_cast<double>(p.actual.size())});
  for (const auto &[metric, value] : forecast_metrics(p)) out.rows.push_back({series, estimator, metric, value});
}

}  // namespace

ForecastEvaluation evaluate_forecaster(std::string_view blob, const SeriesRows &rows, const RuntimeSettings &runtime,
                                       const TrainHooks &hooks) {
  const BlobCalendar cal = calendar_of(blob);
  std::unordered_map<std::string, Actuals> actuals;
  for (std::size_t r = 0; r < rows.rows(); ++r)
    if (std::isfinite(rows.target[r])) actuals[rows.series_key[r]][rows.time[r]] = rows.target[r];

  // The model's own forecast; a network reads its covariates from the source
  // (steps the source lacks are not scored, so its notice about them is not passed on).
  TrainHooks quiet = hooks;
  quiet.notice = nullptr;
  FutureInputs future;
  if (!cal.statistical) future.rows = &rows;
  const std::vector<ForecastPoint> forecast_points = forecast(blob, 0, runtime, quiet, future);

  ForecastEvaluation out;
  ForecastPoints all_model, all_naive;
  std::map<std::string, ForecastPoints> by_series;  // sorted by key, for stable output
  std::unordered_map<std::string, Micros> origin_end;
  for (const ForecastPoint &p : forecast_points)
    if (!origin_end.count(p.series) || p.ts < origin_end[p.series]) origin_end[p.series] = p.ts;
  std::unordered_map<std::string, double> scale;
  for (const ForecastPoint &p : forecast_points) {
    const auto series = actuals.find(p.series);
    if (series == actuals.end()) continue;
    const auto actual = series->second.find(p.ts);
    if (actual == series->second.end()) continue;
    const Micros end = origin_end[p.series];
    if (!scale.count(p.series)) scale[p.series] = scale_before(series->second, end, cal);
    const double s = scale[p.series];
    ForecastPoints &mine = by_series[p.series];
    for (ForecastPoints *to : {&mine, &all_model}) {
      to->add(actual->second, p.yhat, s);
      to->lo.push_back(p.lo);
      to->hi.push_back(p.hi);
    }
    const double naive = seasonal_naive_at(series->second, p.ts, end, cal);
    if (std::isfinite(naive)) all_naive.add(actual->second, naive, s);
  }
  if (all_model.actual.empty()) {
    std::string hint = "The model forecasts from the end of its history";
    if (!forecast_points.empty())
      hint += " (its first series from " + format_time(origin_end[forecast_points.front().series]) + ")";
    throw Error(ErrorKind::InvalidParameter, "no row of the source has an actual in the model's forecast",
                hint + ": give a source with the same series and time columns and rows after it.");
  }
  out.points = static_cast<long>(all_model.actual.size());
  out.series_scored = static_cast<long>(by_series.size());
  for (const auto &[key, values] : actuals)
    if (!origin_end.count(key)) ++out.series_unknown;
  add_rows(out, "", "model", all_model);
  if (!all_naive.actual.empty()) add_rows(out, "", "seasonal_naive", all_naive);
  for (const auto &[key, points] : by_series) add_rows(out, key, "model", points);
  return out;
}

}  // namespace xb
