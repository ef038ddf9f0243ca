#include "core/forecaster.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/blob.hpp"
#include "core/error.hpp"
#include "core/metrics.hpp"
#include "core/models.hpp"
#include "core/panel.hpp"
#include "core/runtime.hpp"
#include "core/trainer.hpp"
#include "core/windows.hpp"

namespace xb {
namespace {

using nlohmann::json;

// Seasonal lag input: on when asked, or (auto) when the frequency has a season
// no shorter than the horizon and series are long enough to learn from it.
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

NetShape net_shape(const ForecastOptions &o, const WindowLayout &layout) {
  NetShape s;
  s.arch = o.arch;
  s.past_dim = layout.past_dim();
  s.future_dim = layout.future_dim();
  s.lookback = o.lookback;
  s.horizon = o.horizon;
  s.hidden = o.hidden;
  s.layers = o.layers;
  s.heads = o.heads;
  s.dropout = o.dropout;
  s.residual_channel = layout.future_seasonal_channel();
  return s;
}

// Target value the seasonal-naive baseline predicts for step h from origin t.
double seasonal_naive(const Series &s, long origin, int h, int season) {
  long back = static_cast<long>((h + season - 1) / season) * season;
  long idx = origin + h - back;
  return season > 1 && idx >= 0 ? s.y[idx] : s.y[origin];
}

struct SplitEval {
  ForecastPoints model, naive;
};

SplitEval evaluate(const Panel &panel, const std::vector<Scaler> &scalers, const std::vector<Window> &windows,
                   const torch::Tensor &pred, const std::vector<double> &mase_scale, int season,
                   const std::vector<double> *q) {
  SplitEval e;
  auto pa = pred.accessor<float, 2>();
  const int H = static_cast<int>(pred.size(1));
  for (std::size_t i = 0; i < windows.size(); ++i) {
    const Series &s = panel.series[windows[i].series];
    const Scaler &sc = scalers[windows[i].series];
    double scale = mase_scale[windows[i].series];
    for (int h = 1; h <= H; ++h) {
      double actual = s.y[windows[i].origin + h];
      double yhat = sc.invert(pa[i][h - 1]);
      e.model.add(actual, yhat, scale);
      e.naive.add(actual, seasonal_naive(s, windows[i].origin, h, season), scale);
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

json scaler_json(const Scaler &s) { return json::array({s.mean, s.std}); }
Scaler scaler_from(const json &j) { return Scaler{j.at(0).get<double>(), j.at(1).get<double>()}; }

std::string save_weights(ForecastEnsemble &net) {
  std::ostringstream out;
  torch::save(net, out);
  return out.str();
}

}  // namespace

TrainedForecaster train_forecaster(const SeriesRows &rows, const ForecastOptions &o, const RuntimeSettings &runtime,
                                   const TrainHooks &hooks) {
  const auto start = std::chrono::steady_clock::now();
  torch::Device device = prepare_runtime(runtime);
  torch::manual_seed(static_cast<std::uint64_t>(o.seed));

  Panel panel = build_panel(rows, o.freq, o.fill);
  if (panel.filled_points > 0 && hooks.notice)
    hooks.notice("filled " + std::to_string(panel.filled_points) + " missing " + panel.freq.name() +
                 " steps (fill: " + o.fill + ")");

  WindowLayout layout;
  layout.lookback = o.lookback;
  layout.horizon = o.horizon;
  layout.freq = panel.freq;
  layout.season = choose_season(panel, o);

  // Keep the series long enough for one training window after the split.
  std::vector<Series> usable;
  std::vector<SeriesSplit> splits;
  long skipped = 0;
  for (auto &s : panel.series) {
    SeriesSplit sp = split_temporal(static_cast<long>(s.length()), o);
    if (layout.first_origin() + o.horizon <= sp.train_end - 1) {
      splits.push_back(sp);
      usable.push_back(std::move(s));
    } else {
      ++skipped;
    }
  }
  if (usable.empty())
    throw Error(ErrorKind::InsufficientData,
                "no series is long enough for lookback " + std::to_string(o.lookback) + ", horizon " +
                    std::to_string(o.horizon) + " and the validation and test periods",
                "Each series needs about lookback + 3 x horizon " + panel.freq.name() +
                    " points; lower lookback or horizon, or supply more history.");
  if (skipped > 0 && hooks.notice)
    hooks.notice("skipped " + std::to_string(skipped) + " series too short for lookback " +
                 std::to_string(o.lookback) + " and horizon " + std::to_string(o.horizon));
  panel.series = std::move(usable);

  const std::size_t nf = panel.feature_count();
  std::vector<Scaler> target_scalers;
  std::vector<double> train_x;
  std::vector<double> mase_scale;
  for (std::size_t k = 0; k < panel.series.size(); ++k) {
    const Series &s = panel.series[k];
    target_scalers.push_back(fit_scaler(s.y.data(), static_cast<std::size_t>(splits[k].train_end)));
    train_x.insert(train_x.end(), s.x.begin(), s.x.begin() + splits[k].train_end * nf);
    mase_scale.push_back(seasonal_naive_scale(s.y, splits[k].val_end, panel.freq.season_length()));
  }
  for (std::size_t f = 0; f < nf; ++f)
    layout.feature_scalers.push_back(fit_scaler(train_x.data() + f, train_x.size() / std::max<std::size_t>(nf, 1), nf));

  auto train_w = windows_between(panel, splits, layout, nullptr, &SeriesSplit::train_end);
  auto val_w = windows_between(panel, splits, layout, &SeriesSplit::train_end, &SeriesSplit::val_end);
  auto test_w = windows_between(panel, splits, layout, &SeriesSplit::val_end, &SeriesSplit::length);
  auto train_b = make_windows(panel, target_scalers, layout, train_w);
  auto val_b = make_windows(panel, target_scalers, layout, val_w);
  auto test_b = make_windows(panel, target_scalers, layout, test_w);

  ForecastEnsemble net(net_shape(o, layout), o.ensemble, o.seed);
  net->to(device);
  TrainedForecaster out;
  for (std::size_t i = 0; i < net->size(); ++i) {
    torch::manual_seed(static_cast<std::uint64_t>(o.seed) + i);
    FitResult fitted = fit(net->member(i), train_b, val_b, o, device, hooks, static_cast<int>(i));
    out.epochs.insert(out.epochs.end(), fitted.epochs.begin(), fitted.epochs.end());
    out.best_epochs.push_back(fitted.best_epoch);
  }

  auto val_pred = predict(net, val_b, device, hooks);
  std::vector<double> q = conformal_quantiles(val_pred, val_b.target, o.interval);

  auto record = [&](const std::string &split, const SplitEval &e) {
    for (const auto &[name, value] : forecast_metrics(e.model)) out.metrics.push_back({split, "model", name, value});
    for (const auto &[name, value] : forecast_metrics(e.naive))
      out.metrics.push_back({split, "seasonal_naive", name, value});
  };
  const int season = panel.freq.season_length();
  record("train", evaluate(panel, target_scalers, train_w, predict(net, train_b, device, hooks), mase_scale, season, nullptr));
  record("validation", evaluate(panel, target_scalers, val_w, val_pred, mase_scale, season, nullptr));
  record("test", evaluate(panel, target_scalers, test_w, predict(net, test_b, device, hooks), mase_scale, season, &q));

  // The state a forecast needs: preprocessing and the tail of every series.
  json state;
  state["options"] = json::parse(o.to_json());
  state["freq"] = {{"unit", panel.freq.unit == Frequency::Unit::Month ? "month" : "fixed"}, {"step", panel.freq.step}};
  state["season"] = layout.season;
  state["features"] = panel.feature_names;
  json fs = json::array();
  for (const auto &s : layout.feature_scalers) fs.push_back(scaler_json(s));
  state["feature_scalers"] = fs;
  state["conformal_q"] = q;
  const long keep = layout.history_needed();
  json series = json::array();
  out.time_from = panel.series.front().start;
  for (std::size_t k = 0; k < panel.series.size(); ++k) {
    const Series &s = panel.series[k];
    long n = static_cast<long>(s.length());
    long from = std::max<long>(0, n - keep);
    out.time_from = std::min(out.time_from, s.start);
    out.time_to = std::max(out.time_to, panel.time_at(s, n - 1));
    series.push_back({{"key", s.key},
                      {"start", panel.time_at(s, from)},
                      {"scaler", scaler_json(target_scalers[k])},
                      {"y", std::vector<double>(s.y.begin() + from, s.y.end())},
                      {"x", std::vector<double>(s.x.begin() + from * static_cast<long>(nf), s.x.end())}});
  }
  state["series"] = std::move(series);

  net->to(torch::kCPU);
  ModelBlob blob{ModelKind::Forecaster, o.arch, state.dump(), save_weights(net)};
  out.blob = encode_blob(blob);
  out.hyperparameters_json = o.to_json();
  out.series_used = static_cast<long>(panel.series.size());
  out.series_skipped = skipped;
  out.frequency = panel.freq.name();
  out.device = runtime_description(device);
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return out;
}

std::vector<ForecastPoint> forecast(std::string_view bytes, int horizon, const RuntimeSettings &runtime,
                                    const TrainHooks &hooks) {
  ModelBlob blob = decode_blob(bytes);
  if (blob.kind != ModelKind::Forecaster)
    throw Error(ErrorKind::InvalidParameter,
                std::string("model is a ") + model_kind_name(blob.kind) + ", not a forecaster",
                "Use xb_predict() or xb_recommend() for classifiers and regressors.");
  torch::Device device = prepare_runtime(runtime);

  json state;
  ForecastOptions o;
  Panel panel;
  WindowLayout layout;
  std::vector<Scaler> scalers;
  std::vector<double> q;
  try {
    state = json::parse(blob.state_json);
    const json &opt = state.at("options");
    o.arch = blob.arch;
    o.horizon = opt.at("horizon").get<int>();
    o.lookback = opt.at("lookback").get<int>();
    o.hidden = opt.at("hidden").get<int>();
    o.layers = opt.at("layers").get<int>();
    o.heads = opt.value("heads", 1);
    o.dropout = opt.at("dropout").get<double>();
    o.ensemble = opt.value("ensemble", 1);
    const json &freq = state.at("freq");
    panel.freq.unit = freq.at("unit").get<std::string>() == "month" ? Frequency::Unit::Month : Frequency::Unit::Fixed;
    panel.freq.step = freq.at("step").get<Micros>();
    panel.feature_names = state.at("features").get<std::vector<std::string>>();
    layout.lookback = o.lookback;
    layout.horizon = o.horizon;
    layout.freq = panel.freq;
    layout.season = state.at("season").get<int>();
    for (const auto &s : state.at("feature_scalers")) layout.feature_scalers.push_back(scaler_from(s));
    q = state.at("conformal_q").get<std::vector<double>>();
    for (const auto &js : state.at("series")) {
      Series s;
      s.key = js.at("key").get<std::string>();
      s.start = js.at("start").get<Micros>();
      s.y = js.at("y").get<std::vector<double>>();
      s.x = js.at("x").get<std::vector<double>>();
      scalers.push_back(scaler_from(js.at("scaler")));
      panel.series.push_back(std::move(s));
    }
  } catch (const json::exception &e) {
    throw Error(ErrorKind::CorruptModel, std::string("model state is invalid: ") + e.what());
  }
  const std::size_t nf = panel.feature_count();
  bool shapes_ok = static_cast<int>(q.size()) == o.horizon && layout.features() == static_cast<int>(nf) &&
                   o.lookback > 0 && o.horizon > 0;
  for (const auto &s : panel.series)
    shapes_ok = shapes_ok && static_cast<long>(s.length()) >= layout.history_needed() &&
                s.x.size() == s.length() * nf;
  if (!shapes_ok) throw Error(ErrorKind::CorruptModel, "model state is inconsistent");

  if (horizon == 0) horizon = o.horizon;
  if (horizon < 1)
    throw Error(ErrorKind::InvalidParameter, "horizon must be at least 1, not " + std::to_string(horizon));
  if (horizon > o.horizon)
    throw Error(ErrorKind::InvalidParameter,
                "horizon " + std::to_string(horizon) + " is beyond the trained horizon " + std::to_string(o.horizon),
                "Retrain with a larger horizon.");
  if (nf > 0 && hooks.notice)
    hooks.notice("future covariates are unknown: the last observed value of each is carried forward");

  if (o.ensemble < 1 || o.ensemble > 32) throw Error(ErrorKind::CorruptModel, "model state is inconsistent");
  ForecastEnsemble net(net_shape(o, layout), o.ensemble, 0);
  try {
    std::istringstream in(blob.weights);
    torch::load(net, in);
  } catch (const c10::Error &e) {
    throw Error(ErrorKind::CorruptModel, "model weights do not load", "The blob does not match its header.");
  }
  net->to(device);
  net->eval();

  std::vector<Window> windows;
  for (std::size_t k = 0; k < panel.series.size(); ++k)
    windows.push_back({k, static_cast<long>(panel.series[k].length()) - 1});
  auto pred = predict(net, make_windows(panel, scalers, layout, windows), device, hooks);
  auto pa = pred.accessor<float, 2>();

  std::vector<ForecastPoint> out;
  out.reserve(windows.size() * static_cast<std::size_t>(horizon));
  for (std::size_t k = 0; k < windows.size(); ++k) {
    const Series &s = panel.series[k];
    for (int h = 1; h <= horizon; ++h) {
      double yhat = scalers[k].invert(pa[k][h - 1]);
      double half = q[h - 1] * scalers[k].std;
      out.push_back({s.key, panel.time_at(s, windows[k].origin + h), yhat, yhat - half, yhat + half});
    }
  }
  return out;
}

}  // namespace xb
