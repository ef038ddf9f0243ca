// What a trained forecaster keeps beside its weights (the preprocessing and
// the tail of every series), and loading a blob back into a ready network.
// Core-internal (torch).
#pragma once
#include "core/torch_api.hpp"

#include <string>
#include <string_view>
#include <vector>

#include "core/covariates.hpp"
#include "core/models.hpp"
#include "core/options.hpp"
#include "core/panel.hpp"
#include "core/train_hooks.hpp"
#include "core/windows.hpp"

namespace xb {

struct ForecastState {
  ForecastOptions options;
  Panel panel;  // the last layout.history_needed() points of each series, features encoded
  WindowLayout layout;
  std::vector<Scaler> target_scalers;         // one per series
  std::vector<std::string> numeric_features;  // encoded columns start with these ...
  TextEncoding text;                          // ... followed by these one-hot groups
  std::vector<double> conformal_q;            // interval half-width per step, scaled units

  std::string to_json() const;
  static ForecastState from_json(const std::string &text);  // throws Error(CorruptModel)
};

NetShape net_shape(const ForecastOptions &o, const WindowLayout &layout, int series_count);

struct LoadedForecaster {
  ForecastState state;
  ForecastEnsemble net{nullptr};
  torch::Device device = torch::kCPU;
};

// Decodes, checks and loads a forecaster blob (Error CorruptModel / InvalidParameter).
LoadedForecaster load_forecaster(std::string_view blob, const RuntimeSettings &runtime);

}  // namespace xb
