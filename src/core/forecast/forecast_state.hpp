// What a trained forecaster keeps beside its weights (the preprocessing and
// the tail of every series), and loading a blob back into a ready network.
// Core-internal (torch).
#pragma once
#include "core/common/torch_api.hpp"

#include <string>
#include <string_view>
#include <vector>

#include "core/forecast/covariates.hpp"
#include "core/forecast/nets.hpp"
#include "core/forecast/options.hpp"
#include "core/forecast/panel.hpp"
#include "core/common/train_hooks.hpp"
#include "core/forecast/windows.hpp"

namespace xb {

struct ForecastState {
  ForecastOptions options;
  Panel panel;  // the last layout.history_needed() points of each series, features encoded
  WindowLayout layout;
  std::vector<Scaler> target_scalers;         // one per series
  std::vector<std::string> numeric_features;  // encoded columns start with these ...
  TextEncoding text;                          // ... followed by these one-hot groups
  std::vector<double> conformal_q;            // interval half-width per step, scaled units
  // Future 0/1 covariates not given take last season's value (forecast.cpp);
  // false in blobs from before 0.2.0, whose forecasts an upgrade keeps as
  // they were (the last value carried forward) until they are retrained.
  bool flags_from_last_season = false;

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
};

// Series a statistical blob may hold: bounded before anything is built.
constexpr std::size_t kMaxStatSeries = 1000000;

struct StatState {
  ForecastOptions options;
  Frequency freq;
  int season = 1;
  std::vector<double> conformal_q;  // per step, in units of each series' scale
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

}  // namespace xb
