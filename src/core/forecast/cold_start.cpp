#include "core/forecast/cold_start.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace xb {

std::vector<int> find_static_columns(const Panel &panel) {
  const std::size_t nf = panel.feature_count();
  std::vector<int> out;
  for (std::size_t f = 0; f < nf; ++f) {
    bool constant = true, differs = false;
    double first = 0;
    for (std::size_t k = 0; k < panel.series.size() && constant; ++k) {
      const Series &s = panel.series[k];
      if (s.length() == 0) continue;
      const double v = s.x[f];
      for (std::size_t t = 1; t < s.length() && constant; ++t) constant = s.x[t * nf + f] == v;
      if (k == 0) first = v;
      differs = differs || v != first;
    }
    if (constant && differs) out.push_back(static_cast<int>(f));
  }
  return out;
}

const std::vector<std::size_t> &neighbour_choices() {
  static const std::vector<std::size_t> choices = {5, 10, 20, 40};
  return choices;
}

Borrowing borrow_from(const Panel &panel, const std::vector<int> &static_columns,
                      const std::vector<Scaler> &feature_scalers, std::size_t numeric_columns, std::size_t neighbours,
                      const double *x, long exclude) {
  std::vector<std::pair<double, std::size_t>> distance;
  distance.reserve(panel.series.size());
  for (std::size_t k = 0; k < panel.series.size(); ++k) {
    if (static_cast<long>(k) == exclude) continue;
    double d2 = 0;
    for (int c : static_columns) {
      const std::size_t col = static_cast<std::size_t>(c);
      const double diff = x[c] - panel.series[k].x[c];
      if (col < numeric_columns)
        d2 += (diff / feature_scalers[col].std) * (diff / feature_scalers[col].std);
      else
        d2 += 0.5 * diff * diff;  // another category flips two one-hot columns: 1 per covariate
    }
    distance.emplace_back(std::sqrt(d2), k);
  }
  Borrowing b;
  if (distance.empty()) return b;
  if (static_columns.empty() || neighbours == 0) {  // nothing tells them apart, or nothing told them well
    for (const auto &[d, k] : distance) b.series.push_back(k);
    b.weights.assign(b.series.size(), 1.0 / static_cast<double>(b.series.size()));
    return b;
  }
  const std::size_t n = std::min(neighbours, distance.size());
  // Ties broken by panel index (the order of keys), so the same row always borrows alike.
  std::partial_sort(distance.begin(), distance.begin() + static_cast<long>(n), distance.end());
  distance.resize(n);
  std::vector<double> ds;
  for (const auto &[d, k] : distance) ds.push_back(d);
  std::nth_element(ds.begin(), ds.begin() + static_cast<long>(n / 2), ds.end());
  // The median keeps an exact twin from taking every weight; 1 when most are twins.
  const double soften = ds[n / 2] > 0 ? ds[n / 2] : 1.0;
  double total = 0;
  for (const auto &[d, k] : distance) {
    b.series.push_back(k);
    b.weights.push_back(1.0 / (d + soften));
    total += b.weights.back();
  }
  for (double &w : b.weights) w /= total;
  return b;
}

double weighted_median(const std::vector<double> &values, const std::vector<double> &weights) {
  if (values.empty()) return 0.0;
  // Borrowing from every series alike gives equal weights: where the running
  // sum reaches half is then the same whichever values come first, so the
  // value there is found without sorting (measuring cold start on 10,000
  // series sorted 10,000 values for each of 1,000 sampled series, 4 s).
  if (std::all_of(weights.begin(), weights.end(), [&](double w) { return w == weights.front(); })) {
    const double half = std::accumulate(weights.begin(), weights.end(), 0.0) / 2;
    std::size_t at = 0;
    for (double below = weights.front(); below < half && at + 1 < values.size(); below += weights.front()) ++at;
    std::vector<double> sorted = values;
    std::nth_element(sorted.begin(), sorted.begin() + static_cast<long>(at), sorted.end());
    return sorted[at];
  }
  std::vector<std::size_t> order(values.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return values[a] < values[b]; });
  const double half = std::accumulate(weights.begin(), weights.end(), 0.0) / 2;
  double below = 0;
  for (std::size_t i : order) {
    below += weights[i];
    if (below >= half) return values[i];
  }
  return values[order.back()];
}

BorrowedSeries borrowed_series(const Panel &panel, const std::vector<Scaler> &target_scalers,
                               const WindowLayout &layout, const Borrowing &b, const std::vector<long> *ends,
                               const std::string &key, const double *x, Micros first,
                               const std::vector<double> &future_y, const std::vector<double> &future_x) {
  const long keep = layout.history_needed();
  const std::size_t nf = panel.feature_count();
  BorrowedSeries out;
  std::vector<double> means, stds;
  std::vector<double> scaled(static_cast<std::size_t>(keep), 0.0);
  for (std::size_t i = 0; i < b.series.size(); ++i) {
    const std::size_t j = b.series[i];
    const Series &s = panel.series[j];
    const Scaler &sc = target_scalers[j];
    const long end = ends ? (*ends)[j] : static_cast<long>(s.length());
    for (long t = 0; t < keep; ++t)
      scaled[static_cast<std::size_t>(t)] += b.weights[i] * sc.apply(s.y[static_cast<std::size_t>(end - keep + t)]);
    means.push_back(sc.mean);
    stds.push_back(sc.std);
  }
  out.scaler.mean = weighted_median(means, b.weights);
  out.scaler.std = weighted_median(stds, b.weights);
  if (!(out.scaler.std > 0)) out.scaler.std = 1;
  Series &s = out.series;
  s.key = key;
  s.start = panel.freq.advance(first, -keep);
  s.y.reserve(static_cast<std::size_t>(keep) + future_y.size());
  for (double z : scaled) s.y.push_back(out.scaler.invert(z));
  s.y.insert(s.y.end(), future_y.begin(), future_y.end());
  s.x.reserve(s.y.size() * nf);
  for (long t = 0; t < keep; ++t) s.x.insert(s.x.end(), x, x + nf);
  s.x.insert(s.x.end(), future_x.begin(), future_x.end());
  return out;
}

}  // namespace xb
