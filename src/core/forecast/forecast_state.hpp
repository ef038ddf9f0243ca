// What a trained forecaster keeps beside its weights (the preprocessing and
// the tail of every series), and loading a blob back into a ready network.
// Core-internal (torch).
#pragma once
#include "core/common/torch_api.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/common/blob.hpp"
#include "core/forecast/covariates.hpp"
#include "core/forecast/nets.hpp"
#include "core/forecast/options.hpp"
#include "core/forecast/panel.hpp"
#include "core/common/train_hooks.hpp"
#include "core/forecast/windows.hpp"

namespace xb {

// Interval levels every forecaster keeps beside the trained one, so that a
// forecast may ask for another (xb_forecast_typed(..., level => 0.8)): the
// same split-conformal half-widths per step, at each level.
constexpr double kIntervalLevels[] = {0.5, 0.8, 0.9, 0.95, 0.99};
constexpr std::size_t kMaxIntervalLevels = 16;  // in a blob
struct IntervalLevel {
  double level = 0;
  std::vector<double> q;  // per step, in the units of the trained conformal_q
};

// The half-widths per step for `level` (0: the trained one, options.interval),
// or Error(InvalidParameter) naming the levels the model has (blobs before
// 0.2.0 have only the trained one).
const std::vector<double> &interval_widths(double level, double trained_level, const std::vector<double> &trained,
                                           const std::vector<IntervalLevel> &others);

struct ForecastState {
  ForecastOptions options;
  Panel panel;  // the last layout.history_needed() points of each series, features encoded
  WindowLayout layout;
  std::vector<Scaler> target_scalers;          // one per series
  std::vector<std::string> numeric_features;   // encoded columns start with these ...
  TextEncoding text;                           // ... followed by these one-hot groups
  std::vector<double> conformal_q;             // interval half-width per step, scaled units
  std::vector<IntervalLevel> interval_levels;  // the same at kIntervalLevels
  // Future 0/1 covariates not given take last season's value (forecast.cpp);
  // false in blobs from before 0.2.0, whose forecasts an upgrade keeps as
  // they were (the last value carried forward) until they are retrained.
  bool flags_from_last_season = false;
  // The series too short for the network's windows, forecast by auto's
  // statistical members instead: a StatState (JSON), or empty when every
  // series was long enough (and in blobs from before 0.2.0).
  std::string fallback;
  // auto's combination (issue 13): each series' network forecast mixed
  // with the forecast of its statistical recipe from the same end of
  // history, network_weight : 1 - network_weight; conformal_q and
  // interval_levels are then the mix's own. blend is a StatState (JSON) of
  // network series, or empty when the network forecasts alone (and in
  // blobs from before 0.2.0).
  std::string blend;
  double network_weight = 1;
  // Cold start (core/forecast/cold_start): the encoded columns constant
  // within every training series, and the interval half-widths of a series
  // forecast from borrowed history, measured by forecasting each training
  // series as if it were new. cold_start_q is empty in blobs from before
  // 0.2.0 had it: they do not forecast new series.
  // cold_start_neighbours: how many of the nearest a new series borrows
  // from, chosen on validation (0: every series alike).
  std::vector<int> static_columns;
  std::size_t cold_start_neighbours = 0;
  std::vector<double> cold_start_q;
  std::vector<IntervalLevel> cold_start_levels;

  std::string to_json() const;
  static ForecastState from_json(const std::string &text);  // throws Error(CorruptModel)
};

// A statistical model (core/forecast/stat_forecaster): no network, and no
// history either: per series, the forecast from the end of its history,
// computed when it was trained, and the scale its interval is measured in.
struct StatSeriesState {
  std::string key;
  Micros start = 0;          // time of the series' first point
  long length = 0;           // points of history; the forecast starts one step later
  double scale = 1;          // interval half-widths are conformal_q x scale
  std::string recipe;        // the members combined, e.g. "theta+stlf"
  std::string method;        // what ran, e.g. "Theta + STL + ETS(A,N,N)"
  std::vector<double> yhat;  // the trained horizon
  // yhat without its seasonal part (level and trend), for explanations;
  // empty in versions trained before 0.2.0 kept it.
  std::vector<double> trend;
};

// Series a statistical blob may hold: bounded before anything is built.
constexpr std::size_t kMaxStatSeries = 1000000;

struct StatState {
  ForecastOptions options;
  Frequency freq;
  int season = 1;
  std::vector<double> conformal_q;             // per step, in units of each series' scale
  std::vector<IntervalLevel> interval_levels;  // the same at kIntervalLevels
  std::vector<StatSeriesState> series;

  std::string to_json() const;
  static StatState from_json(const std::string &text);  // throws Error(CorruptModel)
};

// Whether a forecaster blob's state is a StatState (else a ForecastState).
bool is_statistical_state(const std::string &state_json);

NetShape net_shape(const ForecastOptions &o, const WindowLayout &layout, int series_count);

struct LoadedForecaster {
  ForecastState state;
  ForecastEnsemble net{nullptr};
  torch::Device device = torch::kCPU;
};

// Decodes, checks and loads a forecaster blob (Error CorruptModel / InvalidParameter).
LoadedForecaster load_forecaster(std::string_view blob, const RuntimeSettings &runtime);
// The same from a blob already decoded.
LoadedForecaster load_forecaster(ModelBlob blob, const RuntimeSettings &runtime);

// A forecaster blob decoded once (forecast.hpp): a statistical model's
// state, or a network with its state and the statistical state of the
// series too short for it.
struct DecodedForecaster {
  std::optional<StatState> statistical;
  LoadedForecaster network;  // when not statistical
  std::optional<StatState> fallback;
  // auto's combination: per network series (panel order), its recipe's
  // forecast to mix in (with network.state.network_weight), or empty where
  // the state has none from the end of that series' history (a version
  // comparison may move one and not the other).
  std::vector<std::vector<double>> blend;
};

// The arch a model records (xb.models, xb_model_info) where auto combined
// `network` with its statistical recipe.
std::string combination_arch(const std::string &network);

// blend for a ForecastState: its recipe's forecast per network series.
std::vector<std::vector<double>> blend_by_series(const ForecastState &st);

}  // namespace xb
