// STL (Cleveland, Cleveland, McRae & Terpenning 1990) written from the paper
// with the loess evaluation shortcuts (jumps + linear interpolation) and
// window conventions of R's stats::stl, so decompositions match R's.
#include "core/forecast/stl.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "core/forecast/ets.hpp"

namespace xb::stat {
namespace {

int next_odd(double x) {
  int v = static_cast<int>(std::lround(x));
  if (v % 2 == 0) ++v;
  return v;
}

// Local (degree 0/1) tricube-weighted fit at abscissa xs (1-based positions)
// using points nleft..nright of y. Returns false when all weights vanish.
bool loess_point(const double *y, int n, int len, int ideg, double xs, int nleft, int nright, double *w, bool userw,
                 const double *rw, double *ys) {
  const double range = static_cast<double>(n) - 1.0;
  double h = std::max(xs - nleft, nright - xs);
  if (len > n) h += static_cast<double>((len - n) / 2);
  const double h9 = 0.999 * h, h1 = 0.001 * h;
  double a = 0;
  for (int j = nleft; j <= nright; ++j) {
    double wj = 0;
    const double r = std::fabs(j - xs);
    if (r <= h9) {
      if (r <= h1) {
        wj = 1;
      } else {
        const double u = r / h;
        const double t = 1 - u * u * u;
        wj = t * t * t;
      }
      if (userw) wj *= rw[j - 1];
      a += wj;
    }
    w[j - 1] = wj;
  }
  if (a <= 0) return false;
  for (int j = nleft; j <= nright; ++j) w[j - 1] /= a;
  if (h > 0 && ideg > 0) {
    double c = 0;
    a = 0;
    for (int j = nleft; j <= nright; ++j) a += w[j - 1] * j;
    double b = xs - a;
    for (int j = nleft; j <= nright; ++j) c += w[j - 1] * (j - a) * (j - a);
    if (std::sqrt(c) > 0.001 * range) {
      b /= c;
      for (int j = nleft; j <= nright; ++j) w[j - 1] *= b * (j - a) + 1;
    }
  }
  double s = 0;
  for (int j = nleft; j <= nright; ++j) s += w[j - 1] * y[j - 1];
  *ys = s;
  return true;
}

// Loess smooth of y (length n) evaluated every njump points, linear in between.
void loess_smooth(const double *y, int n, int len, int ideg, int njump, bool userw, const double *rw, double *ys,
                  double *work) {
  if (n < 2) {
    ys[0] = y[0];
    return;
  }
  const int nj = std::min(njump, n - 1);
  int nleft = 1, nright = n;
  if (len >= n) {
    nleft = 1;
    nright = n;
    for (int i = 1; i <= n; i += nj)
      if (!loess_point(y, n, len, ideg, i, nleft, nright, work, userw, rw, &ys[i - 1])) ys[i - 1] = y[i - 1];
  } else if (nj == 1) {
    const int nsh = (len + 1) / 2;
    nleft = 1;
    nright = len;
    for (int i = 1; i <= n; ++i) {
      if (i > nsh && nright != n) {
        ++nleft;
        ++nright;
      }
      if (!loess_point(y, n, len, ideg, i, nleft, nright, work, userw, rw, &ys[i - 1])) ys[i - 1] = y[i - 1];
    }
  } else {
    const int nsh = (len + 1) / 2;
    for (int i = 1; i <= n; i += nj) {
      if (i < nsh) {
        nleft = 1;
        nright = len;
      } else if (i >= n - nsh + 1) {
        nleft = n - len + 1;
        nright = n;
      } else {
        nleft = i - nsh + 1;
        nright = len + i - nsh;
      }
      if (!loess_point(y, n, len, ideg, i, nleft, nright, work, userw, rw, &ys[i - 1])) ys[i - 1] = y[i - 1];
    }
  }
  if (nj != 1) {
    for (int i = 1; i <= n - nj; i += nj) {
      const double delta = (ys[i + nj - 1] - ys[i - 1]) / nj;
      for (int j = i + 1; j <= i + nj - 1; ++j) ys[j - 1] = ys[i - 1] + delta * (j - i);
    }
    const int k = ((n - 1) / nj) * nj + 1;
    if (k != n) {
      if (!loess_point(y, n, len, ideg, n, nleft, nright, work, userw, rw, &ys[n - 1])) ys[n - 1] = y[n - 1];
      if (k != n - 1) {
        const double delta = (ys[n - 1] - ys[k - 1]) / (n - k);
        for (int j = k + 1; j <= n - 1; ++j) ys[j - 1] = ys[k - 1] + delta * (j - k);
      }
    }
  }
}

// Cycle-subseries smoothing: each of the np subseries smoothed and extended
// by one value at each end; output has n + 2 np values.
void subseries_smooth(const std::vector<double> &y, int n, int np, int ns, int isdeg, int nsjump, bool userw,
                      const std::vector<double> &rw, std::vector<double> &season) {
  const int kmax = n / np + 2;
  std::vector<double> w1(kmax), w2(kmax + 2), w3(kmax), w4(kmax);
  for (int j = 1; j <= np; ++j) {
    const int k = (n - j) / np + 1;
    for (int i = 1; i <= k; ++i) w1[i - 1] = y[(i - 1) * np + j - 1];
    if (userw)
      for (int i = 1; i <= k; ++i) w3[i - 1] = rw[(i - 1) * np + j - 1];
    loess_smooth(w1.data(), k, ns, isdeg, nsjump, userw, w3.data(), &w2[1], w4.data());
    const int nright = std::min(ns, k);
    if (!loess_point(w1.data(), k, ns, isdeg, 0.0, 1, nright, w4.data(), userw, w3.data(), &w2[0])) w2[0] = w2[1];
    const int nleft = std::max(1, k - ns + 1);
    if (!loess_point(w1.data(), k, ns, isdeg, k + 1.0, nleft, k, w4.data(), userw, w3.data(), &w2[k + 1]))
      w2[k + 1] = w2[k];
    for (int mm = 1; mm <= k + 2; ++mm) season[(mm - 1) * np + j - 1] = w2[mm - 1];
  }
}

// Moving average of length len: out has n - len + 1 values.
void moving_average(const double *x, int n, int len, double *out) {
  const int newn = n - len + 1;
  double v = 0;
  for (int i = 0; i < len; ++i) v += x[i];
  out[0] = v / len;
  for (int j = 1; j < newn; ++j) {
    v += x[j + len - 1] - x[j - 1];
    out[j] = v / len;
  }
}

void robustness_weights(const std::vector<double> &y, const std::vector<double> &fit, std::vector<double> &rw) {
  const size_t n = y.size();
  std::vector<double> r(n);
  for (size_t i = 0; i < n; ++i) r[i] = std::fabs(y[i] - fit[i]);
  std::vector<double> s = r;
  const size_t i1 = n / 2, i2 = n - n / 2 - 1;  // 0-based positions of the two middle values
  std::nth_element(s.begin(), s.begin() + i1, s.end());
  const double m1 = s[i1];
  std::nth_element(s.begin(), s.begin() + i2, s.end());
  const double m2 = s[i2];
  const double cmad = 3.0 * (m1 + m2);
  const double c9 = 0.999 * cmad, c1 = 0.001 * cmad;
  for (size_t i = 0; i < n; ++i) {
    if (r[i] <= c1) {
      rw[i] = 1;
    } else if (r[i] <= c9) {
      const double u = r[i] / cmad;
      rw[i] = (1 - u * u) * (1 - u * u);
    } else {
      rw[i] = 0;
    }
  }
}

void check_finite(const std::vector<double> &y, const char *who) {
  for (double v : y)
    if (!std::isfinite(v)) throw std::invalid_argument(std::string(who) + ": non-finite value in series");
}

}  // namespace

StlResult stl(const std::vector<double> &y, int period, const StlOptions &opt) {
  check_finite(y, "stl");
  const int n = static_cast<int>(y.size());
  if (period < 2 || n <= 2 * period)
    throw std::invalid_argument("stl: needs period >= 2 and more than two full periods");
  int ns = opt.s_window, nt = opt.t_window, nl = opt.l_window;
  if (ns <= 0) ns = 11;
  if (nt <= 0) nt = next_odd(std::ceil(1.5 * period / (1 - 1.5 / ns)));
  if (nl <= 0) nl = next_odd(period);
  const int sjump = opt.s_jump > 0 ? opt.s_jump : static_cast<int>(std::ceil(ns / 10.0));
  const int tjump = opt.t_jump > 0 ? opt.t_jump : static_cast<int>(std::ceil(nt / 10.0));
  const int ljump = opt.l_jump > 0 ? opt.l_jump : static_cast<int>(std::ceil(nl / 10.0));
  // As the reference implementation: windows at least 3 and odd.
  auto fix = [](int w) {
    w = std::max(3, w);
    return w % 2 == 0 ? w + 1 : w;
  };
  ns = fix(ns);
  nt = fix(nt);
  nl = fix(nl);
  const int np = period;
  const int inner = opt.robust ? 1 : 2, outer = opt.robust ? 15 : 0;

  StlResult res;
  res.seasonal.assign(n, 0.0);
  res.trend.assign(n, 0.0);
  res.weights.assign(n, 1.0);
  std::vector<double> detr(n), cyc(n + 2 * np), lp1(n + np + 1), lp2(n + 2), lowpass(n), smooth(n), work(n + 2 * np);
  bool userw = false;
  for (int k = 0;; ++k) {
    for (int it = 0; it < inner; ++it) {
      for (int i = 0; i < n; ++i) detr[i] = y[i] - res.trend[i];
      subseries_smooth(detr, n, np, ns, opt.s_degree, sjump, userw, res.weights, cyc);
      // Low-pass filter of the cycle-subseries: MA(np), MA(np), MA(3), loess.
      moving_average(cyc.data(), n + 2 * np, np, lp1.data());
      moving_average(lp1.data(), n + np + 1, np, lp2.data());
      moving_average(lp2.data(), n + 2, 3, lowpass.data());
      loess_smooth(lowpass.data(), n, nl, opt.l_degree, ljump, false, res.weights.data(), smooth.data(), work.data());
      for (int i = 0; i < n; ++i) res.seasonal[i] = cyc[np + i] - smooth[i];
      for (int i = 0; i < n; ++i) detr[i] = y[i] - res.seasonal[i];
      loess_smooth(detr.data(), n, nt, opt.t_degree, tjump, userw, res.weights.data(), res.trend.data(), work.data());
    }
    if (k >= outer) break;
    std::vector<double> fit(n);
    for (int i = 0; i < n; ++i) fit[i] = res.trend[i] + res.seasonal[i];
    robustness_weights(y, fit, res.weights);
    userw = true;
  }
  if (outer <= 0) std::fill(res.weights.begin(), res.weights.end(), 1.0);
  res.remainder.resize(n);
  for (int i = 0; i < n; ++i) res.remainder[i] = y[i] - res.seasonal[i] - res.trend[i];
  return res;
}

ClassicalDecomposition decompose_classical(const std::vector<double> &y, int m, bool multiplicative) {
  check_finite(y, "decompose");
  const int n = static_cast<int>(y.size());
  if (m < 2 || n < 2 * m) throw std::invalid_argument("decompose: needs m >= 2 and two full periods");
  const double nan = std::numeric_limits<double>::quiet_NaN();
  std::vector<double> w;
  if (m % 2 == 0) {
    w.assign(m + 1, 1.0 / m);
    w.front() = w.back() = 0.5 / m;
  } else {
    w.assign(m, 1.0 / m);
  }
  const int o = static_cast<int>(w.size()) / 2;
  ClassicalDecomposition d;
  d.trend.assign(n, nan);
  for (int i = o; i + o < n; ++i) {
    double s = 0;
    for (int k = -o; k <= o; ++k) s += w[k + o] * y[i + k];
    d.trend[i] = s;
  }
  d.figure.assign(m, 0.0);
  for (int i = 0; i < m; ++i) {
    double s = 0;
    int c = 0;
    for (int t = i; t < n; t += m) {
      if (std::isnan(d.trend[t])) continue;
      s += multiplicative ? y[t] / d.trend[t] : y[t] - d.trend[t];
      ++c;
    }
    d.figure[i] = c > 0 ? s / c : nan;
  }
  double mean = 0;
  for (double v : d.figure) mean += v;
  mean /= m;
  for (double &v : d.figure) v = multiplicative ? v / mean : v - mean;
  d.seasonal.resize(n);
  for (int t = 0; t < n; ++t) d.seasonal[t] = d.figure[t % m];
  return d;
}

StlfForecast stlf(const std::vector<double> &y, int m, int h, const StlOptions &opt) {
  check_finite(y, "stlf");
  if (y.empty()) throw std::invalid_argument("stlf: empty series");
  if (h < 1) throw std::invalid_argument("stlf: h must be >= 1");
  const int n = static_cast<int>(y.size());
  StlfForecast out;
  if (m < 2 || n <= 2 * m) {
    const EtsModel md = fit_ets(y, 1, "ZZN");
    out.mean = forecast_ets(md, y, h);
    out.adjusted = out.mean;
    out.method = md.method;
    out.aicc = md.aicc;
    return out;
  }
  const StlResult dec = stl(y, m, opt);
  std::vector<double> sa(n);
  for (int i = 0; i < n; ++i) sa[i] = y[i] - dec.seasonal[i];
  const EtsModel md = fit_ets(sa, m, "ZZN");
  out.mean = forecast_ets(md, sa, h);
  out.adjusted = out.mean;
  for (int i = 0; i < h; ++i) out.mean[i] += dec.seasonal[n - m + (i % m)];
  out.method = "STL + " + md.method;
  out.aicc = md.aicc;
  return out;
}

}  // namespace xb::stat
