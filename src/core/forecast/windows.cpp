#include "core/forecast/windows.hpp"

#include <cmath>

namespace xb {

SeriesSplit split_temporal(long length, const ForecastOptions &o) {
  auto part = [&](int periods, double fraction) {
    long n = periods > 0 ? periods : std::lround(fraction * static_cast<double>(length));
    return std::max<long>(n, o.horizon);  // at least one whole window per part
  };
  long test = part(o.test_periods, o.test_fraction);
  long val = part(o.val_periods, o.val_fraction);
  SeriesSplit s;
  s.length = length;
  s.val_end = length - test;
  s.train_end = s.val_end - val;
  return s;
}

Scaler fit_scaler(const double *values, std::size_t count, std::size_t stride) {
  Scaler s;
  if (count == 0) return s;
  double sum = 0;
  for (std::size_t i = 0; i < count; ++i) sum += values[i * stride];
  s.mean = sum / static_cast<double>(count);
  double ss = 0;
  for (std::size_t i = 0; i < count; ++i) ss += (values[i * stride] - s.mean) * (values[i * stride] - s.mean);
  double sd = std::sqrt(ss / static_cast<double>(count));
  // A constant column carries no signal; scale 1 keeps it finite.
  s.std = sd > 1e-9 * std::max(1.0, std::fabs(s.mean)) ? sd : 1.0;
  return s;
}

namespace {

// Index of the seasonal lag for step h (1-based) from origin t: the same
// season a whole number of seasons back, never after the origin.
long seasonal_index(long origin, int h, int season) {
  long back = static_cast<long>((h + season - 1) / season) * season;
  return origin + h - back;
}

}  // namespace

WindowBatch on_device(const WindowBatch &batch, const torch::Device &device) {
  if (device.is_cpu()) return batch;
  // A plain copy: pinning first would copy twice for a one-off transfer, and
  // the pinned block would stay cached, page-locked, for the backend's life.
  const auto moved = [&device](const torch::Tensor &t) { return t.defined() ? t.to(device) : t; };
  return {moved(batch.past), moved(batch.future), moved(batch.target), moved(batch.series)};
}

WindowBatch make_windows(const Panel &panel, const std::vector<Scaler> &target_scalers, const WindowLayout &layout,
                         const std::vector<Window> &windows, const std::vector<double> *future_x) {
  const long n = static_cast<long>(windows.size());
  const int L = layout.lookback, H = layout.horizon, F = layout.features();
  const int C = layout.freq.calendar_feature_count();
  const int P = layout.past_dim(), D = layout.future_dim();
  auto past = torch::zeros({n, L, P}, torch::kFloat32);
  auto future = torch::zeros({n, H, D}, torch::kFloat32);
  bool targets_known = true;
  for (const auto &w : windows)
    if (w.origin + H >= static_cast<long>(panel.series[w.series].length())) targets_known = false;
  auto target = torch::zeros({targets_known ? n : 0, H}, torch::kFloat32);
  auto ta = target.accessor<float, 2>();
  auto series = torch::zeros({n}, torch::kLong);
  auto sa = series.accessor<std::int64_t, 1>();

  auto pa = past.accessor<float, 3>();
  auto fa = future.accessor<float, 3>();
  std::vector<double> cal(static_cast<std::size_t>(C));
  for (long i = 0; i < n; ++i) {
    const Series &s = panel.series[windows[i].series];
    const Scaler &ys = target_scalers[windows[i].series];
    const long origin = windows[i].origin, len = static_cast<long>(s.length());
    sa[i] = static_cast<std::int64_t>(windows[i].series);
    for (int l = 0; l < L; ++l) {
      long idx = origin - L + 1 + l;
      pa[i][l][0] = static_cast<float>(ys.apply(s.y[idx]));
      for (int f = 0; f < F; ++f)
        pa[i][l][1 + f] = static_cast<float>(layout.feature_scalers[f].apply(s.x[idx * F + f]));
      layout.freq.calendar_features(panel.time_at(s, idx), cal.data());
      for (int c = 0; c < C; ++c) pa[i][l][1 + F + c] = static_cast<float>(cal[c]);
      if (layout.season > 0) pa[i][l][1 + F + C] = static_cast<float>(ys.apply(s.y[idx - layout.season]));
    }
    for (int h = 1; h <= H; ++h) {
      long idx = origin + h;
      for (int f = 0; f < F; ++f) {
        double raw = future_x ? (*future_x)[(i * H + h - 1) * F + f] : s.x[std::min(idx, len - 1) * F + f];
        fa[i][h - 1][f] = static_cast<float>(layout.feature_scalers[f].apply(raw));
      }
      layout.freq.calendar_features(panel.time_at(s, idx), cal.data());
      for (int c = 0; c < C; ++c) fa[i][h - 1][F + c] = static_cast<float>(cal[c]);
      if (layout.season > 0)
        fa[i][h - 1][F + C] = static_cast<float>(ys.apply(s.y[seasonal_index(origin, h, layout.season)]));
      if (targets_known) ta[i][h - 1] = static_cast<float>(ys.apply(s.y[idx]));
    }
  }
  return {past, future, targets_known ? target : torch::Tensor(), series};
}

double window_bytes(const WindowLayout &layout, long windows) {
  const double floats = static_cast<double>(layout.lookback) * layout.past_dim() +
                        static_cast<double>(layout.horizon) * (layout.future_dim() + 1);
  return static_cast<double>(windows) * (floats * sizeof(float) + sizeof(std::int64_t));
}

std::vector<Window> windows_between(const Panel &panel, const std::vector<SeriesSplit> &splits,
                                    const WindowLayout &layout, long SeriesSplit::*from_field,
                                    long SeriesSplit::*to_field) {
  std::vector<Window> out;
  for (std::size_t k = 0; k < panel.series.size(); ++k) {
    const SeriesSplit &sp = splits[k];
    long from = from_field ? sp.*from_field : 0;
    long to = sp.*to_field;
    // targets origin+1 .. origin+H must lie in [from, to)
    for (long origin = std::max(layout.first_origin(), from - 1); origin + layout.horizon <= to - 1; ++origin)
      out.push_back({k, origin});
  }
  return out;
}

}  // namespace xb
