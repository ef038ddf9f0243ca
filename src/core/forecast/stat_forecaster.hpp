// The statistical members as forecasters: seasonal naive, exponential
// smoothing, Theta and STL + ETS fitted per series (in parallel), each an
// arch of its own, and auto, which combines them. Covariates are ignored.
//
// auto: every member is scored on rolling origins inside the training part
// (the validation split, origins one horizon apart) and recorded as a trial;
// each series gets the equal-weight combination of Theta and STL + ETS, the
// recipe chosen on an earlier cutoff of the Walmart data (README, "How the
// defaults were chosen"), unless seasonal naive beats it on that series'
// validation origins while these are representative (the members ran there
// as they do on the whole history), then seasonal naive; and with one to two
// seasons of history, where the members cannot be seasonal, seasonal naive.
// Intervals are split-conformal from the chosen recipe's validation errors.
#pragma once
#include <string>
#include <vector>

#include "core/common/deadline.hpp"
#include "core/common/error.hpp"
#include "core/forecast/forecast.hpp"
#include "core/forecast/forecaster.hpp"
#include "core/forecast/metrics.hpp"
#include "core/forecast/panel.hpp"

namespace xb {

struct StatState;  // core/forecast/forecast_state.hpp

TrainedForecaster train_statistical(const Panel &panel, const ForecastOptions &o, const RuntimeSettings &runtime,
                                    const TrainHooks &hooks);

// Rolling-origin evaluation with the same folds as backtest().
std::vector<BacktestRow> backtest_statistical(const Panel &panel, const ForecastOptions &o, int folds, int step,
                                              const RuntimeSettings &runtime, const TrainHooks &hooks);

// Backtest rows per step for the model and seasonal naive, from one fold's
// test points (each with its step); shared by both trainers (forecaster.cpp).
void append_backtest_rows(std::vector<BacktestRow> &out, int fold, Micros cutoff, int horizon,
                          const ForecastPoints &model, const ForecastPoints &naive, const std::vector<int> &steps);

// The error of a backtest fold whose cut (the last `cut` points of every
// series removed) leaves no series; shared by both trainers.
Error fold_without_data(int fold, long cut);

// Applies a statistical blob's state (core/forecast/forecast_state.hpp).
std::vector<ForecastPoint> forecast_statistical(const StatState &st, int horizon, const TrainHooks &hooks,
                                                const FutureInputs &future);

// The state moved onto new history (xb_retrain scores versions from one
// cut): a statistical model is its recipe per series, whose members are
// always fitted on the history they forecast from, so each series of st
// found in `history` gets its recipe refitted there, with st's options,
// calendar and interval widths. Series not in history, or whose history
// its members cannot fit, are left out.
StatState rebase_statistical(const StatState &st, const Panel &history, const RuntimeSettings &runtime,
                             const TrainHooks &hooks);

// auto's network candidate (and its combination with each series' recipe)
// is compared on the network's validation windows
// (forecaster.cpp): each series of `panel` gets its recipe in st (found by
// key) refitted on the points up to each of its origins, H steps ahead each;
// in parallel over xb.threads. out[series][origin] is that forecast, or
// empty where the recipe would not run there as on the whole history (one
// history holds more than two seasons, the other not: STL and Theta's
// seasonal part need more, and auto's recipe is then seasonal naive), or
// where its members cannot fit the values or give no finite forecast, or
// for a series whose turn comes after `until` (auto's time_budget).
std::vector<std::vector<std::vector<double>>> recipe_forecasts_at(const StatState &st, const Panel &panel,
                                                                  const std::vector<std::vector<long>> &origins,
                                                                  const RuntimeSettings &runtime,
                                                                  const TrainHooks &hooks,
                                                                  Deadline until = kNoDeadline);

// A statistical forecast split in two rows per series and step, which add
// up to it: "trend" (level and trend: the forecast without its seasonal
// part, averaged over the recipe's members) and "seasonal" (the rest).
// Error(InvalidParameter) for a version trained before the split was kept.
std::vector<ExplanationRow> explain_statistical(const StatState &st, int horizon, const TrainHooks &hooks,
                                                const FutureInputs &future);

}  // namespace xb
