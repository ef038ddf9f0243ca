// From a panel to model inputs: the temporal split, the scalers fitted on the
// training part only, and lookback windows as tensors. Core-internal (torch).
#pragma once
#include "core/common/torch_api.hpp"

#include <vector>

#include "core/forecast/options.hpp"
#include "core/forecast/panel.hpp"

namespace xb {

// Index ranges of one series: train [0, train_end), validation
// [train_end, val_end), test [val_end, length).
struct SeriesSplit {
  long train_end = 0;
  long val_end = 0;
  long length = 0;
};

SeriesSplit split_temporal(long length, const ForecastOptions &o);

struct Scaler {
  double mean = 0;
  double std = 1;
  double apply(double v) const { return (v - mean) / std; }
  double invert(double z) const { return z * std + mean; }
};

Scaler fit_scaler(const double *values, std::size_t count, std::size_t stride = 1);

// What one input step and one known-future step hold, and how to scale them.
//   lookback step: target, covariates, calendar, [target one season earlier]
//   future step:   covariates, calendar, [target one season earlier]
// The seasonal channels (season > 0) let the network compare this year with
// the last one, and the future one is the baseline its output corrects.
struct WindowLayout {
  int lookback = 0;
  int horizon = 0;
  int season = 0;  // season length for the seasonal channels; 0 = off
  Frequency freq;
  std::vector<Scaler> feature_scalers;

  int features() const { return static_cast<int>(feature_scalers.size()); }
  int seasonal() const { return season > 0 ? 1 : 0; }
  int past_dim() const { return 1 + features() + freq.calendar_feature_count() + seasonal(); }
  int future_dim() const { return features() + freq.calendar_feature_count() + seasonal(); }
  // Index of the future seasonal channel, or -1.
  int future_seasonal_channel() const { return season > 0 ? future_dim() - 1 : -1; }
  // Points of history a window needs up to and including its origin.
  long history_needed() const { return lookback + (season > 0 ? season : 0); }
  // Earliest origin (index of the last observed point) a window can have.
  long first_origin() const { return history_needed() - 1; }
};

struct Window {
  std::size_t series = 0;  // index into the panel
  long origin = 0;         // last observed index; targets are origin+1 .. origin+horizon
};

struct WindowBatch {
  torch::Tensor past;    // [N, lookback, past_dim]
  torch::Tensor future;  // [N, horizon, future_dim]
  torch::Tensor target;  // [N, horizon], scaled; empty when targets lie beyond the data
  torch::Tensor series;  // [N] int64: each window's series (panel index)

  long size() const { return past.size(0); }
};

// The batch on device: the same tensors on the CPU; on a GPU copied once,
// so training steps move no data.
WindowBatch on_device(const WindowBatch &batch, const torch::Device &device);

// Feature rows past a series' end repeat its last row unless future_x gives
// them: windows x horizon x features, raw units.
WindowBatch make_windows(const Panel &panel, const std::vector<Scaler> &target_scalers, const WindowLayout &layout,
                         const std::vector<Window> &windows, const std::vector<double> *future_x = nullptr);

// Bytes the tensors of `windows` windows take: checked against the memory
// limit before they are built.
double window_bytes(const WindowLayout &layout, long windows);

// Windows whose targets all fall in [from, to) of each series.
std::vector<Window> windows_between(const Panel &panel, const std::vector<SeriesSplit> &splits,
                                    const WindowLayout &layout, long SeriesSplit::*from_field,
                                    long SeriesSplit::*to_field);

}  // namespace xb
