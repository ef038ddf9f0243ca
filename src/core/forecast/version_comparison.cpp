#include "core/forecast/version_comparison.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <set>

#include "core/common/blob.hpp"
#include "core/common/error.hpp"
#include "core/forecast/calendar.hpp"
#include "core/forecast/covariates.hpp"
#include "core/forecast/forecast.hpp"
#include "core/forecast/forecast_state.hpp"
#include "core/forecast/metrics.hpp"
#include "core/forecast/stat_forecaster.hpp"

namespace xb {
namespace {

// Each series of rows on the model's calendar, read as the spec says (fill,
// invalid: a blob's own options do not keep them), its last h points cut
// off (a series of h points or fewer is left out). text: the encoding of the
// model's text columns (a network's); without one, text columns are encoded
// as a statistical training does (they only decide which rows are valid).
Panel history_before_last(const SeriesRows &rows, const ForecastOptions &o, const Frequency &freq,
                          const TextEncoding *text, int h, const RuntimeSettings &runtime) {
  Panel p = rows.text_feature_names.empty()
                ? build_panel(rows, freq, o.fill, o.invalid, runtime.max_memory_bytes)
                : build_panel(encode_text_columns(rows, text ? *text : fit_text_encoding(rows)), freq, o.fill,
                              o.invalid, runtime.max_memory_bytes);
  const std::size_t nf = p.feature_count();
  std::vector<Series> kept;
  for (Series &s : p.series) {
    const long n = static_cast<long>(s.length()) - h;
    if (n < 1) continue;
    s.y.resize(static_cast<std::size_t>(n));
    s.x.resize(static_cast<std::size_t>(n) * nf);
    kept.push_back(std::move(s));
  }
  p.series = std::move(kept);
  return p;
}

Error different_columns() {
  return Error(ErrorKind::InvalidParameter, "the two versions read different feature columns",
               "Compare versions of one spec (xb_retrain reruns the deployed version's).");
}

struct Rebased {
  std::string blob;
  std::set<std::string> keys;  // the series it now forecasts from the cut
  Panel history;
};

// The blob with the history of rows before each series' last h points: a
// network's windows end there, a statistical model's recipes are refitted
// there. Series it cannot forecast from there keep their old history and
// are not in keys.
Rebased rebase(const ModelBlob &blob, const SeriesRows &rows, const ForecastOptions &spec, int h,
               const RuntimeSettings &runtime, const TrainHooks &hooks) {
  Rebased out;
  ModelBlob moved = blob;
  if (is_statistical_state(blob.state_json)) {
    const StatState st = StatState::from_json(blob.state_json);
    out.history = history_before_last(rows, spec, st.freq, nullptr, h, runtime);
    const StatState now = rebase_statistical(st, out.history, runtime, hooks);
    for (const auto &s : now.series) out.keys.insert(s.key);
    moved.state_json = now.to_json();
  } else {
    ForecastState st = ForecastState::from_json(blob.state_json);
    if (rows.feature_names != st.numeric_features || rows.text_feature_names.size() != st.text.encoders.size())
      throw different_columns();
    for (std::size_t c = 0; c < st.text.encoders.size(); ++c)
      if (st.text.encoders[c].name != rows.text_feature_names[c]) throw different_columns();
    out.history = history_before_last(rows, spec, st.panel.freq, &st.text, h, runtime);
    if (out.history.feature_names != st.panel.feature_names) throw different_columns();
    std::map<std::string, const Series *> by_key;
    for (const Series &s : out.history.series) by_key.emplace(s.key, &s);
    const long keep = st.layout.history_needed();
    const long nf = static_cast<long>(st.panel.feature_count());
    for (Series &tail : st.panel.series) {
      const auto it = by_key.find(tail.key);
      if (it == by_key.end() || static_cast<long>(it->second->length()) < keep) continue;
      const Series &s = *it->second;
      const long from = static_cast<long>(s.length()) - keep;
      tail.start = out.history.time_at(s, from);
      tail.y.assign(s.y.begin() + from, s.y.end());
      tail.x.assign(s.x.begin() + from * nf, s.x.end());
      out.keys.insert(tail.key);
    }
    if (!st.fallback.empty()) {  // the series too short for the network's windows
      const StatState now = rebase_statistical(StatState::from_json(st.fallback), out.history, runtime, hooks);
      for (const auto &s : now.series) out.keys.insert(s.key);
      st.fallback = now.series.empty() ? std::string() : now.to_json();  // a state of no series would not load
    }
    if (!st.blend.empty()) {  // auto's combination: the recipe moves with the network's history
      const StatState now = rebase_statistical(StatState::from_json(st.blend), out.history, runtime, hooks);
      st.blend = now.series.empty() ? std::string() : now.to_json();
      if (st.blend.empty()) st.network_weight = 1;
    }
    moved.state_json = st.to_json();
  }
  out.blob = encode_blob(moved);
  return out;
}

Frequency calendar_of(const ModelBlob &blob) {
  return is_statistical_state(blob.state_json) ? StatState::from_json(blob.state_json).freq
                                               : ForecastState::from_json(blob.state_json).panel.freq;
}

int horizon_of(const ModelBlob &blob) {
  return is_statistical_state(blob.state_json) ? StatState::from_json(blob.state_json).options.horizon
                                               : ForecastState::from_json(blob.state_json).options.horizon;
}

ModelBlob forecaster_blob(std::string_view bytes) {
  ModelBlob b = decode_blob(bytes);
  if (b.kind != ModelKind::Forecaster)
    throw Error(ErrorKind::InvalidParameter,
                std::string("the model is a ") + model_kind_name(b.kind) + ", not a forecaster");
  return b;
}

SeriesRows rows_of(const SeriesRows &rows, const std::set<std::string> &keys) {
  SeriesRows out;
  out.feature_names = rows.feature_names;
  out.text_feature_names = rows.text_feature_names;
  const std::size_t nf = rows.feature_names.size(), nt = rows.text_feature_names.size();
  for (std::size_t r = 0; r < rows.rows(); ++r) {
    if (!keys.count(rows.series_key[r])) continue;
    out.series_key.push_back(rows.series_key[r]);
    out.time.push_back(rows.time[r]);
    out.target.push_back(rows.target[r]);
    out.features.insert(out.features.end(), rows.features.begin() + r * nf, rows.features.begin() + (r + 1) * nf);
    out.text_features.insert(out.text_features.end(), rows.text_features.begin() + r * nt,
                             rows.text_features.begin() + (r + 1) * nt);
  }
  return out;
}

// MASE's scale as training measures it: seasonal pairs of the history,
// else pairs one step apart (NaN when there are none: no MASE).
double scale_of(const Series &s, int season) {
  const long n = static_cast<long>(s.length());
  const double seasonal = seasonal_naive_scale(s.y, n, season);
  return std::isfinite(seasonal) && seasonal > 0 ? seasonal : seasonal_naive_scale(s.y, n, 1);
}

}  // namespace

VersionComparison compare_on_newest(std::string_view deployed, std::string_view retrained, const SeriesRows &rows,
                                    const ForecastOptions &spec, const RuntimeSettings &runtime,
                                    const TrainHooks &hooks) {
  const auto start = std::chrono::steady_clock::now();
  const ModelBlob old_blob = forecaster_blob(deployed), new_blob = forecaster_blob(retrained);
  VersionComparison out;
  out.horizon = std::min(horizon_of(old_blob), horizon_of(new_blob));
  const Frequency old_calendar = calendar_of(old_blob), new_calendar = calendar_of(new_blob);
  if (old_calendar.unit != new_calendar.unit || old_calendar.step != new_calendar.step) {
    out.why_none = "the deployed version's calendar is " + old_calendar.name() + ", the new one's " +
                   new_calendar.name() + ": their points are not the same";
    return out;
  }
  const Rebased old_at = rebase(old_blob, rows, spec, out.horizon, runtime, hooks);
  const Rebased new_at = rebase(new_blob, rows, spec, out.horizon, runtime, hooks);
  std::set<std::string> shared;
  std::set_intersection(old_at.keys.begin(), old_at.keys.end(), new_at.keys.begin(), new_at.keys.end(),
                        std::inserter(shared, shared.end()));
  if (shared.empty()) {
    out.why_none = "no series of the source has enough history before its last " + std::to_string(out.horizon) +
                   " points for both versions to forecast them";
    return out;
  }

  // Both forecasts from the cut, a network's covariates read from the same rows.
  const SeriesRows source = rows_of(rows, shared);
  TrainHooks quiet = hooks;
  quiet.notice = nullptr;
  FutureInputs future;
  future.rows = &source;
  using Key = std::pair<std::string, Micros>;
  std::map<Key, ForecastPoint> from_old;
  for (const ForecastPoint &p : forecast(old_at.blob, out.horizon, runtime, quiet, future))
    if (shared.count(p.series)) from_old.emplace(Key{p.series, p.ts}, p);
  const std::vector<ForecastPoint> from_new = forecast(new_at.blob, out.horizon, runtime, quiet, future);

  std::map<Key, double> actual;
  for (std::size_t r = 0; r < source.rows(); ++r)
    if (std::isfinite(source.target[r])) actual.emplace(Key{source.series_key[r], source.time[r]}, source.target[r]);
  std::map<std::string, double> scale;
  const int season = std::max(1, new_at.history.freq.season_length());
  for (const Series &s : new_at.history.series) scale.emplace(s.key, scale_of(s, season));

  ForecastPoints old_points, new_points;
  Micros from = 0, to = 0;
  std::set<std::string> scored;
  for (const ForecastPoint &p : from_new) {
    const Key key{p.series, p.ts};
    const auto a = actual.find(key);
    const auto o = from_old.find(key);
    const auto sc = scale.find(p.series);
    if (a == actual.end() || o == from_old.end() || sc == scale.end()) continue;
    const auto add = [&](ForecastPoints &to, const ForecastPoint &point) {
      to.add(a->second, point.yhat, sc->second);
      to.lo.push_back(point.lo);
      to.hi.push_back(point.hi);
    };
    add(old_points, o->second);
    add(new_points, p);
    from = out.points == 0 ? p.ts : std::min(from, p.ts);
    to = out.points == 0 ? p.ts : std::max(to, p.ts);
    ++out.points;
    scored.insert(p.series);
  }
  out.series = static_cast<long>(scored.size());
  if (out.points == 0) {
    out.why_none = "the source has no actual values in the last " + std::to_string(out.horizon) +
                   " points of the series both versions forecast";
    return out;
  }
  out.from = format_time(from);
  out.to = format_time(to);
  out.deployed_metrics = forecast_metrics(old_points);
  out.retrained_metrics = forecast_metrics(new_points);
  for (const char *metric : {"mase", "wape", "mae"}) {
    out.metric = metric;
    out.deployed = value_of(out.deployed_metrics, metric);
    out.retrained = value_of(out.retrained_metrics, metric);
    if (std::isfinite(out.deployed) && std::isfinite(out.retrained)) break;
  }
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return out;
}

}  // namespace xb
