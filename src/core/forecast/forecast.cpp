// Applying a trained forecaster: future values with intervals, what-if
// overrides of covariates, and the elasticity table built from them.
#include "core/forecast/forecast.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "core/common/blob.hpp"
#include "core/common/error.hpp"
#include "core/common/runtime.hpp"
#include "core/forecast/cold_start.hpp"
#include "core/forecast/covariates.hpp"
#include "core/forecast/forecast_state.hpp"
#include "core/forecast/stat_forecaster.hpp"
#include "core/forecast/trainer.hpp"

namespace xb {
namespace {

// The numeric covariates whose history holds only 0 and 1 and some 1s
// (holiday and promotion flags): a future step without a given value takes
// theirs from one season earlier, since a flag marks a date that recurs; it
// is not "still on" because it was on last week.
std::vector<bool> flag_columns(const ForecastState &st) {
  const Panel &panel = st.panel;
  const std::size_t nf = panel.feature_count();
  std::vector<bool> flag(nf, false);
  if (!st.flags_from_last_season) return flag;
  for (std::size_t f = 0; f < st.numeric_features.size() && f < nf; ++f) {
    bool only01 = true, some1 = false;
    for (const Series &s : panel.series)
      for (std::size_t t = 0; t < s.length() && only01; ++t) {
        const double v = s.x[t * nf + f];
        only01 = v == 0 || v == 1;
        some1 = some1 || v == 1;
      }
    flag[f] = only01 && some1;
  }
  return flag;
}

std::string names_where(const std::vector<std::string> &names, const std::vector<bool> &pick, bool value) {
  std::string out;
  for (std::size_t f = 0; f < names.size() && f < pick.size(); ++f)
    if (pick[f] == value) out += (out.empty() ? "" : ", ") + names[f];
  return out;
}

// future_source's rows with their text columns one-hot encoded as the model's.
SeriesRows encoded_future(const ForecastState &st, const SeriesRows &rows) {
  if (rows.feature_names != st.numeric_features || rows.text_feature_names.size() != st.text.encoders.size())
    throw Error(ErrorKind::InvalidParameter, "future_source does not have the model's feature columns",
                "Give future_source the series, time and feature columns the model was trained with.");
  return rows.text_feature_names.empty() ? rows : encode_text_columns(rows, st.text);
}

// Encoded covariates for every series and step of the trained horizon
// (series x horizon x features, raw units): future rows where given, else
// the series' last observed row carried forward, with 0/1 flags taken from
// one season earlier where the stored history reaches back that far; then
// the overrides.
std::vector<double> future_covariates(const ForecastState &st, const FutureInputs &future, const Overrides &ov,
                                      const TrainHooks &hooks) {
  const Panel &panel = st.panel;
  const int H = st.layout.horizon;
  const std::size_t nf = panel.feature_count();
  const std::size_t S = panel.series.size();
  std::vector<double> x(S * H * nf, 0.0);
  if (nf == 0) return x;

  std::map<std::pair<std::string, Micros>, std::size_t> given;  // (series, time) -> encoded row
  SeriesRows encoded;
  if (future.rows) {
    encoded = encoded_future(st, *future.rows);
    for (std::size_t r = 0; r < encoded.rows(); ++r) given[{encoded.series_key[r], encoded.time[r]}] = r;
  }

  const std::vector<bool> flag = flag_columns(st);
  const long season = panel.freq.season_length();
  long carried = 0, flags_carried = 0;
  std::string first_missing;  // for the NOTICE: which step future_source lacks
  for (std::size_t k = 0; k < S; ++k) {
    const Series &s = panel.series[k];
    const long last = static_cast<long>(s.length()) - 1;
    for (int h = 1; h <= H; ++h) {
      double *row = x.data() + (k * H + static_cast<std::size_t>(h - 1)) * nf;
      std::copy_n(s.x.begin() + last * static_cast<long>(nf), nf, row);
      bool found = false;
      auto it = given.find({s.key, panel.time_at(s, last + h)});
      if (it != given.end()) {
        const double *src = encoded.features.data() + it->second * nf;
        found = std::all_of(src, src + nf, [](double v) { return std::isfinite(v); });
        if (found) std::copy_n(src, nf, row);
      }
      if (!found) {
        if (++carried == 1)
          first_missing = "series \"" + s.key + "\" at " + format_time(panel.time_at(s, last + h)) +
                          (it == given.end() ? " has no row" : " has a NULL or non-finite covariate");
        // One season back: in the stored history, or (a horizon longer
        // than a season) in this forecast's own earlier step.
        const long back = last + h - season;
        for (std::size_t f = 0; f < nf; ++f) {
          if (!flag[f]) continue;
          if (season <= 1 || back < 0)
            ++flags_carried;
          else if (back <= last)
            row[f] = s.x[static_cast<std::size_t>(back) * nf + f];
          else
            row[f] = x[(k * H + static_cast<std::size_t>(h - season - 1)) * nf + f];
        }
      }
      apply_overrides(ov, st.numeric_features, st.text, row);
    }
  }
  if (carried > 0 && hooks.notice) {
    const std::string flags = names_where(st.numeric_features, flag, true);
    std::string how = "the last observed value of each is carried forward";
    if (!flags.empty() && flags_carried == 0)
      how = "0/1 flags (" + flags +
            ") take their value from one season earlier, the other covariates their last "
            "observed value";
    else if (!flags.empty())
      how = "0/1 flags (" + flags +
            ") take their value from one season earlier where the model keeps that much "
            "history and are otherwise carried forward, like the other covariates";
    if (!future.rows)
      hooks.notice("future covariates are unknown: " + how + " (pass future_source to give them)");
    else
      hooks.notice(std::to_string(carried) + " future steps have no complete row in future_source (the first: " +
                   first_missing + "): for them, " + how);
  }
  return x;
}

// Scaled predictions [series, horizon] for the given future covariates.
torch::Tensor predict_all(LoadedForecaster &m, const std::vector<double> &future_x, const TrainHooks &hooks) {
  std::vector<Window> windows;
  for (std::size_t k = 0; k < m.state.panel.series.size(); ++k)
    windows.push_back({k, static_cast<long>(m.state.panel.series[k].length()) - 1});
  return predict(m.net, make_windows(m.state.panel, m.state.target_scalers, m.state.layout, windows, &future_x),
                 m.device, hooks);
}

// The covariates the static columns come from, each named once.
std::string static_covariate_names(const ForecastState &st) {
  std::vector<std::string> names;
  const int numeric = static_cast<int>(st.numeric_features.size());
  for (int c : st.static_columns) {
    std::string name;
    if (c < numeric) {
      name = st.numeric_features[static_cast<std::size_t>(c)];
    } else {
      int offset = numeric;
      for (const CategoryEncoder &e : st.text.encoders) {
        if (c < offset + e.width()) {
          name = e.name;
          break;
        }
        offset += e.width();
      }
    }
    if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
  }
  std::string out;
  for (const std::string &n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

// The series of future_source that the model has no history of (new
// products): each forecast by the network from the history it borrows from
// the training series most like it (core/forecast/cold_start), starting at
// its first row with every covariate given; the interval is the one
// measured for new series at training.
std::vector<ForecastPoint> forecast_new_series(const DecodedForecaster &model, LoadedForecaster &m, int horizon,
                                               const FutureInputs &future, const Overrides &ov,
                                               const TrainHooks &hooks) {
  if (!future.rows) return {};
  const ForecastState &st = m.state;
  std::set<std::string> known;
  for (const Series &s : st.panel.series) known.insert(s.key);
  if (model.fallback)
    for (const StatSeriesState &s : model.fallback->series) known.insert(s.key);
  const SeriesRows rows = encoded_future(st, *future.rows);
  const std::size_t nf = st.panel.feature_count();
  std::map<std::string, std::map<Micros, const double *>> fresh;  // new series -> time -> encoded row
  for (std::size_t r = 0; r < rows.rows(); ++r)
    if (known.count(rows.series_key[r]) == 0) fresh[rows.series_key[r]][rows.time[r]] = rows.features.data() + r * nf;
  if (fresh.empty()) return {};
  if (st.cold_start_q.empty()) {
    if (hooks.notice)
      hooks.notice(std::to_string(fresh.size()) + " series of future_source are not in the model (the first: \"" +
                   fresh.begin()->first +
                   "\") and are not forecast: the model was trained from one series, or before xb forecast new "
                   "series; retrain it");
    return {};
  }
  const std::vector<double> &q =
      interval_widths(future.level, st.options.interval, st.cold_start_q, st.cold_start_levels);
  const int H = st.layout.horizon;
  const long keep = st.layout.history_needed();
  const auto all_given = [nf](const double *row) {
    return std::all_of(row, row + nf, [](double v) { return std::isfinite(v); });
  };
  Panel cold;
  cold.freq = st.panel.freq;
  cold.feature_names = st.panel.feature_names;
  std::vector<Scaler> scalers;
  std::vector<std::int64_t> nearest;
  std::vector<Window> windows;
  std::vector<double> future_x;
  std::vector<Micros> first_times;
  std::vector<std::pair<std::string, std::string>> named;
  for (const auto &[key, by_time] : fresh) {
    const auto first = std::find_if(by_time.begin(), by_time.end(), [&](const auto &e) { return all_given(e.second); });
    if (first == by_time.end())
      throw Error(
          ErrorKind::DataException,
          "series \"" + key + "\" of future_source is new to the model and has no row with every covariate given",
          "A new series is forecast from the training series most like it by its covariates: give them on "
          "its rows of future_source.");
    std::vector<double> x0(first->second, first->second + nf);
    apply_overrides(ov, st.numeric_features, st.text, x0.data());
    const Borrowing b = borrow_from(st.panel, st.static_columns, st.layout.feature_scalers, st.numeric_features.size(),
                                    st.cold_start_neighbours, x0.data());
    BorrowedSeries bs =
        borrowed_series(st.panel, st.target_scalers, st.layout, b, nullptr, key, x0.data(), first->first);
    for (int h = 1; h <= H; ++h) {
      const auto it = by_time.find(st.panel.freq.advance(first->first, h - 1));
      const std::size_t at = future_x.size();
      if (it != by_time.end() && all_given(it->second)) {
        future_x.insert(future_x.end(), it->second, it->second + nf);
        apply_overrides(ov, st.numeric_features, st.text, future_x.data() + at);
      } else {
        future_x.insert(future_x.end(), x0.begin(), x0.end());
      }
    }
    std::string like;
    for (std::size_t i = 0; i < b.series.size() && i < 3; ++i)
      like += (like.empty() ? "like \"" : ", \"") + st.panel.series[b.series[i]].key + "\"";
    named.emplace_back(key, like);
    windows.push_back({cold.series.size(), keep - 1});
    cold.series.push_back(std::move(bs.series));
    scalers.push_back(bs.scaler);
    nearest.push_back(static_cast<std::int64_t>(b.series.front()));
    first_times.push_back(first->first);
  }
  WindowBatch batch = make_windows(cold, scalers, st.layout, windows, &future_x);
  batch.series = torch::tensor(nearest, torch::kLong);  // their learned vectors, with series_embedding
  const torch::Tensor pred = predict(m.net, batch, m.device, hooks);
  auto pa = pred.accessor<float, 2>();
  std::vector<ForecastPoint> out;
  for (std::size_t i = 0; i < cold.series.size(); ++i)
    for (int h = 1; h <= horizon; ++h) {
      const double yhat = scalers[i].invert(pa[static_cast<long>(i)][h - 1]);
      const double half = q[static_cast<std::size_t>(h - 1)] * scalers[i].std;
      out.push_back({cold.series[i].key, st.panel.freq.advance(first_times[i], h - 1), yhat, yhat - half, yhat + half});
    }
  if (hooks.notice) {
    const std::string columns = static_covariate_names(st);
    const std::string all =
        "each is forecast from the history of all " + std::to_string(st.panel.series.size()) + " training series alike";
    std::string how;
    if (columns.empty())
      how = all +
            " (the model has no static covariates, columns constant within each series such as a "
            "product's attributes, to find the ones most like it)";
    else if (st.cold_start_neighbours == 0)
      how = all + " (borrowing from the ones most like it by " + columns +
            " forecast the training series worse, as if new, on validation)";
    else
      how = "each is forecast from the history of the " +
            std::to_string(std::min(st.cold_start_neighbours, st.panel.series.size())) +
            " training series most like it by " + columns;
    hooks.notice(std::to_string(named.size()) + " series of future_source are new to the model: " + how + ": " +
                 first_series_named(named));
  }
  return out;
}

int checked_horizon(const ForecastState &st, int horizon) {
  if (horizon == 0) return st.options.horizon;
  if (horizon < 1)
    throw Error(ErrorKind::InvalidParameter, "horizon must be at least 1, not " + std::to_string(horizon));
  if (horizon > st.options.horizon)
    throw Error(
        ErrorKind::InvalidParameter,
        "horizon " + std::to_string(horizon) + " is beyond the trained horizon " + std::to_string(st.options.horizon),
        "Retrain with a larger horizon.");
  return horizon;
}

// Values near the double range in a model's state, or near float's in its
// weights or covariates, can overflow to inf or NaN: refused rather than
// returned as numbers no caller can use.
std::vector<ForecastPoint> finite_or_refused(std::vector<ForecastPoint> points) {
  for (const ForecastPoint &p : points)
    if (!std::isfinite(p.yhat) || !std::isfinite(p.lo) || !std::isfinite(p.hi))
      throw Error(ErrorKind::DataException, "the forecast of series \"" + p.series + "\" is not a finite number",
                  "The model holds values too large to compute with, or the covariates given are; check "
                  "future_source and overrides, or retrain the model.");
  return points;
}

}  // namespace

SharedForecaster decode_forecaster(std::string_view bytes, const RuntimeSettings &runtime) {
  ModelBlob blob = decode_blob(bytes);
  auto m = std::make_shared<DecodedForecaster>();
  if (blob.kind == ModelKind::Forecaster && is_statistical_state(blob.state_json)) {
    if (!blob.weights.empty() || !is_statistical(blob.arch))
      throw Error(ErrorKind::CorruptModel, "model state is inconsistent: a statistical model with weights",
                  "The blob was damaged or built by something else; train the model again.");
    m->statistical = StatState::from_json(blob.state_json);
    return m;
  }
  m->network = load_forecaster(std::move(blob), runtime);
  if (!m->network.state.fallback.empty()) m->fallback = StatState::from_json(m->network.state.fallback);
  m->blend = blend_by_series(m->network.state);
  return m;
}

namespace {

// The network on the device the settings pick now (they may have changed
// since it was decoded), with their thread count applied.
LoadedForecaster &network_on_runtime(DecodedForecaster &model, const RuntimeSettings &runtime) {
  LoadedForecaster &m = model.network;
  const torch::Device device = prepare_runtime(runtime);
  if (device != m.device) {
    m.net->to(device);
    m.device = device;
  }
  return m;
}

// Series k's network forecast at step h (1-based), mixed with its
// statistical recipe's where auto chose their combination.
double mixed(const DecodedForecaster &model, std::size_t k, int h, double network) {
  if (k >= model.blend.size() || model.blend[k].empty()) return network;
  const double w = model.network.state.network_weight;
  return w * network + (1 - w) * model.blend[k][static_cast<std::size_t>(h - 1)];
}

}  // namespace

std::vector<ForecastPoint> forecast(DecodedForecaster &model, int horizon, const RuntimeSettings &runtime,
                                    const TrainHooks &hooks, const FutureInputs &future) {
  if (model.statistical) return finite_or_refused(forecast_statistical(*model.statistical, horizon, hooks, future));
  LoadedForecaster &m = network_on_runtime(model, runtime);
  const ForecastState &st = m.state;
  horizon = checked_horizon(st, horizon);
  const Overrides ov = parse_overrides(future.overrides_json, st.numeric_features, st.text);
  const std::vector<double> &q = interval_widths(future.level, st.options.interval, st.conformal_q, st.interval_levels);
  auto pred = predict_all(m, future_covariates(st, future, ov, hooks), hooks);
  auto pa = pred.accessor<float, 2>();

  std::vector<ForecastPoint> out;
  out.reserve(st.panel.series.size() * static_cast<std::size_t>(horizon));
  for (std::size_t k = 0; k < st.panel.series.size(); ++k) {
    const Series &s = st.panel.series[k];
    const long last = static_cast<long>(s.length()) - 1;
    for (int h = 1; h <= horizon; ++h) {
      const double yhat = mixed(model, k, h, st.target_scalers[k].invert(pa[k][h - 1]));
      const double half = q[h - 1] * st.target_scalers[k].std;
      out.push_back({s.key, st.panel.time_at(s, last + h), yhat, yhat - half, yhat + half});
    }
  }
  if (model.fallback) {  // the series too short for the network: no covariates move them
    FutureInputs level_only;
    level_only.level = future.level;
    const auto more = forecast_statistical(*model.fallback, horizon, {}, level_only);
    out.insert(out.end(), more.begin(), more.end());
  }
  const auto fresh = forecast_new_series(model, m, horizon, future, ov, hooks);
  out.insert(out.end(), fresh.begin(), fresh.end());
  return finite_or_refused(std::move(out));
}

std::vector<ForecastPoint> forecast(std::string_view blob, int horizon, const RuntimeSettings &runtime,
                                    const TrainHooks &hooks, const FutureInputs &future) {
  return forecast(*decode_forecaster(blob, runtime), horizon, runtime, hooks, future);
}

std::vector<SensitivityRow> sensitivity(DecodedForecaster &model, const std::string &feature,
                                        const std::vector<double> &deltas, bool relative, bool per_series,
                                        const RuntimeSettings &runtime, const TrainHooks &hooks,
                                        const FutureInputs &future) {
  // Sensitivity moves covariates, which a statistical model has none of.
  if (model.statistical)
    throw Error(ErrorKind::InvalidParameter, "a statistical model uses no covariates, so no feature moves its forecast",
                "Sensitivity needs a network trained with feature_cols (arch gru, lstm, transformer, attention_lstm).");
  LoadedForecaster &m = network_on_runtime(model, runtime);
  const ForecastState &st = m.state;
  auto f = std::find(st.numeric_features.begin(), st.numeric_features.end(), feature);
  if (f == st.numeric_features.end()) {
    bool text = std::any_of(st.text.encoders.begin(), st.text.encoders.end(),
                            [&](const CategoryEncoder &e) { return e.name == feature; });
    std::string list;
    for (const auto &n : st.numeric_features) list += (list.empty() ? "" : ", ") + n;
    throw Error(ErrorKind::InvalidParameter,
                text ? "feature \"" + feature + "\" is a text feature; sensitivity needs a numeric one"
                     : "feature \"" + feature + "\" is not a feature of the model",
                list.empty() ? "The model has no numeric features." : "Numeric features of the model: " + list + ".");
  }
  if (deltas.empty())
    throw Error(ErrorKind::InvalidParameter, "deltas must not be empty", "Example: ARRAY[-0.1, 0, 0.1]");
  for (double d : deltas)
    if (!std::isfinite(d)) throw Error(ErrorKind::InvalidParameter, "deltas must be finite numbers");
  const std::size_t col = static_cast<std::size_t>(f - st.numeric_features.begin());
  const std::size_t nf = st.panel.feature_count();
  const std::size_t S = st.panel.series.size();
  const int H = st.layout.horizon;

  const Overrides ov = parse_overrides(future.overrides_json, st.numeric_features, st.text);
  const std::vector<double> base_x = future_covariates(st, future, ov, hooks);
  auto raw = [&](const torch::Tensor &pred) {  // [S, H] in the target's units
    std::vector<double> y(S * H);
    auto pa = pred.accessor<float, 2>();
    for (std::size_t k = 0; k < S; ++k)
      for (int h = 0; h < H; ++h) y[k * H + h] = mixed(model, k, h + 1, st.target_scalers[k].invert(pa[k][h]));
    return y;
  };
  const std::vector<double> base = raw(predict_all(m, base_x, hooks));

  std::vector<SensitivityRow> out;
  for (double delta : deltas) {
    std::vector<double> x = base_x;
    for (std::size_t i = col; i < x.size(); i += nf) x[i] = relative ? x[i] * (1 + delta) : x[i] + delta;
    const std::vector<double> y = raw(predict_all(m, x, hooks));
    auto summarise = [&](std::size_t from, std::size_t to, const std::string &key) {
      double sum = 0, change = 0;
      long n = 0;
      for (std::size_t i = from; i < to; ++i) {
        sum += y[i];
        if (std::fabs(base[i]) > 1e-12) {
          change += y[i] / base[i] - 1;
          ++n;
        }
      }
      SensitivityRow r;
      r.series = key;
      r.delta = delta;
      r.mean_forecast = sum / static_cast<double>(to - from);
      r.relative_change = n > 0 ? change / static_cast<double>(n) : std::nan("");
      r.elasticity = delta != 0 ? r.relative_change / delta : std::nan("");
      out.push_back(r);
    };
    if (per_series)
      for (std::size_t k = 0; k < S; ++k) summarise(k * H, (k + 1) * H, st.panel.series[k].key);
    else
      summarise(0, S * H, "");
  }
  return out;
}

std::vector<SensitivityRow> sensitivity(std::string_view blob, const std::string &feature,
                                        const std::vector<double> &deltas, bool relative, bool per_series,
                                        const RuntimeSettings &runtime, const TrainHooks &hooks,
                                        const FutureInputs &future) {
  return sensitivity(*decode_forecaster(blob, runtime), feature, deltas, relative, per_series, runtime, hooks, future);
}

std::vector<ExplanationRow> explain_forecast(DecodedForecaster &model, int horizon, const RuntimeSettings &runtime,
                                             const TrainHooks &hooks, const FutureInputs &future) {
  if (model.statistical) return explain_statistical(*model.statistical, horizon, hooks, future);
  LoadedForecaster &m = network_on_runtime(model, runtime);
  const ForecastState &st = m.state;
  horizon = checked_horizon(st, horizon);
  if (st.numeric_features.empty())
    throw Error(ErrorKind::InvalidParameter, "the model has no numeric covariates to explain its forecast by",
                "Train it with numeric feature_cols; xb_model_info lists what it has.");
  const std::size_t nf = st.panel.feature_count();
  const std::size_t S = st.panel.series.size();
  const int H = st.layout.horizon;
  const Overrides ov = parse_overrides(future.overrides_json, st.numeric_features, st.text);
  const std::vector<double> base_x = future_covariates(st, future, ov, hooks);
  const auto raw = [&](const std::vector<double> &x) {  // [S, H] in the target's units
    const torch::Tensor pred = predict_all(m, x, hooks);
    auto pa = pred.accessor<float, 2>();
    std::vector<double> y(S * H);
    for (std::size_t k = 0; k < S; ++k)
      for (int h = 0; h < H; ++h) y[k * H + h] = mixed(model, k, h + 1, st.target_scalers[k].invert(pa[k][h]));
    return y;
  };
  const std::vector<double> base = raw(base_x);
  std::vector<std::vector<double>> without(st.numeric_features.size());
  for (std::size_t f = 0; f < st.numeric_features.size(); ++f) {
    stop_if_interrupted(hooks);
    std::vector<double> x = base_x;
    for (std::size_t k = 0; k < S; ++k) {
      const Series &s = st.panel.series[k];
      double mean = 0;
      for (std::size_t t = 0; t < s.length(); ++t) mean += s.x[t * nf + f];
      mean /= static_cast<double>(s.length());
      for (int h = 0; h < H; ++h) x[(k * H + static_cast<std::size_t>(h)) * nf + f] = mean;
    }
    without[f] = raw(x);
  }
  std::vector<ExplanationRow> out;
  for (std::size_t k = 0; k < S; ++k) {
    const Series &s = st.panel.series[k];
    const long last = static_cast<long>(s.length()) - 1;
    for (int h = 1; h <= horizon; ++h) {
      const std::size_t i = k * H + static_cast<std::size_t>(h - 1);
      for (std::size_t f = 0; f < st.numeric_features.size(); ++f)
        out.push_back({s.key, st.panel.time_at(s, last + h), base[i], st.numeric_features[f], base[i] - without[f][i]});
    }
  }
  for (const ExplanationRow &r : out)
    if (!std::isfinite(r.yhat) || !std::isfinite(r.contribution))
      throw Error(ErrorKind::DataException, "the explanation of series \"" + r.series + "\" is not a finite number",
                  "The model holds values too large to compute with, or the covariates given are.");
  return out;
}

std::vector<ExplanationRow> explain_forecast(std::string_view blob, int horizon, const RuntimeSettings &runtime,
                                             const TrainHooks &hooks, const FutureInputs &future) {
  return explain_forecast(*decode_forecaster(blob, runtime), horizon, runtime, hooks, future);
}

}  // namespace xb
