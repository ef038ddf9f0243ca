// Cold start: a series a network has no history of (a new product) borrows
// the history of the training series most like it by their static
// covariates, the encoded columns constant within every training series
// (attributes joined to each row, an image embedding spread into columns).
// The network then forecasts from that borrowed history with the new
// series' own covariates. Core-internal.
#pragma once
#include <cstddef>
#include <string>
#include <vector>

#include "core/forecast/panel.hpp"
#include "core/forecast/windows.hpp"

namespace xb {

// Encoded feature columns that hold one value within every series and not
// the same value in all of them (a column equal everywhere tells no series
// from another).
std::vector<int> find_static_columns(const Panel &panel);

// The training series a new one borrows from: the nearest first.
struct Borrowing {
  std::vector<std::size_t> series;  // panel indices
  std::vector<double> weights;      // summing to 1
};

// How many of the nearest series a new one may borrow from; training keeps
// the one that forecasts its own series best as if they were new, on
// validation, or borrowing from every series alike (0) when that does better.
const std::vector<std::size_t> &neighbour_choices();

// The `neighbours` series of `panel` nearest to the encoded feature row `x`
// over `static_columns`, each weighted by 1 / (its distance + the median
// distance among them); every series alike when `neighbours` is 0 or there
// are no static columns. Each covariate weighs alike in the distance: the
// `numeric_columns` first columns in units of their feature scaler, and a
// text covariate's one-hot columns 1 when the category differs (scaled, a
// rare category would outweigh everything else). `exclude`: a series not to
// borrow from (training forecasts each series as if it were new).
Borrowing borrow_from(const Panel &panel, const std::vector<int> &static_columns,
                      const std::vector<Scaler> &feature_scalers, std::size_t numeric_columns, std::size_t neighbours,
                      const double *x, long exclude = -1);

// The value below and above which half of the weight lies.
double weighted_median(const std::vector<double> &values, const std::vector<double> &weights);

struct BorrowedSeries {
  Series series;  // layout.history_needed() points, then `future_y` (raw units)
  Scaler scaler;  // the weighted median of the neighbours' scalers
};

// A history for a series whose first forecast step is at `first`: the
// neighbours' scaled histories ending at ends[j] (exclusive; nullptr: at
// their last point), averaged by weight and put in the units of `scaler`.
// The weighted median of their levels and spreads, not the mean: sales are
// heavy-tailed, and one best seller among the neighbours would set the level
// of every new product like it (the mean forecast the dress data's new
// dresses worse than zero).
// Every step's covariates are `x`; `future_y` (targets, for calibration)
// and `future_x` (rows of covariates, one per value of future_y) extend it.
BorrowedSeries borrowed_series(const Panel &panel, const std::vector<Scaler> &target_scalers,
                               const WindowLayout &layout, const Borrowing &b, const std::vector<long> *ends,
                               const std::string &key, const double *x, Micros first,
                               const std::vector<double> &future_y = {}, const std::vector<double> &future_x = {});

}  // namespace xb
