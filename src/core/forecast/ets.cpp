// ETS estimation: R forecast::ets's defaults (bounds = "both", opt.crit =
// "lik", nmse = 3, AICc selection) re-implemented so the same series gives
// the same model. The optimiser follows the published Nelder–Mead variant of
// R's optim (nmmin) because the fitted optimum depends on its exact moves.
#include "core/forecast/ets.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "core/forecast/stl.hpp"

namespace xb::stat {
namespace {

thread_local const std::atomic<bool> *fit_stop = nullptr;

constexpr double kLower[4] = {1e-4, 1e-4, 1e-4, 0.8};  // alpha, beta, gamma, phi
constexpr double kUpper[4] = {0.9999, 0.9999, 0.9999, 0.98};
constexpr double kTol = 1e-10;   // as etscalc.c: near-zero divisors
constexpr double kHuge = 1e10;   // as etscalc.c: value used instead of x / 0
constexpr double kBig = 1.0e35;  // nmmin's stand-in for non-finite values
const double kNaN = std::numeric_limits<double>::quiet_NaN();
const double kInf = std::numeric_limits<double>::infinity();

enum class Crit { lik, mse };

struct Spec {
  char error, trend, season;
  bool damped;
};

struct Params {
  double alpha = 0, beta = 0, gamma = 0, phi = 1;
};

void check_series(const std::vector<double> &y) {
  if (y.empty()) throw std::invalid_argument("ets: empty series");
  for (double v : y)
    if (!std::isfinite(v)) throw std::invalid_argument("ets: non-finite value in series");
}

bool is_constant(const std::vector<double> &y) {
  for (double v : y)
    if (v != y[0]) return false;
  return true;
}

// Result of one pass of the filter.
struct FilterStats {
  double lik = 0;  // n log(sum e^2) [+ 2 sum log|f| for M errors], R's "lik"
  double sse = 0;  // sum of e^2 (relative errors for M)
  double mse = 0;  // mean (y - f)^2
};

// The state-space recursions of etscalc.c. Seasonal states live in a ring
// (ring[p] is s_{m-1}, the one due now) to avoid shifting m values per step.
// `x` is R's state layout; the final state is written back to `last` (R layout)
// when non-null. `ring` is caller-provided scratch of size >= m.
FilterStats run_filter(const double *y, int n, const Spec &sp, int m, const Params &pr, const double *x,
                       std::vector<double> &ring, std::vector<double> *last) {
  const bool has_t = sp.trend != 'N', has_s = sp.season != 'N';
  double l = x[0], b = has_t ? x[1] : 0.0;
  int p = 0;
  if (has_s) {
    const double *s = x + 1 + (has_t ? 1 : 0);
    for (int i = 0; i < m; ++i) ring[i] = s[m - 1 - i];
  }
  FilterStats st;
  double sq = 0, logf = 0;
  const double ab = pr.beta / pr.alpha;
  for (int i = 0; i < n; ++i) {
    const double so = has_s ? ring[p] : 0.0;
    const double phib = has_t ? pr.phi * b : 0.0;
    const double q = l + phib;
    double f = q;
    if (sp.season == 'A')
      f = q + so;
    else if (sp.season == 'M')
      f = q * so;
    const double yi = y[i];
    const double e = sp.error == 'A' ? yi - f : (yi - f) / f;
    st.sse += e * e;
    sq += (yi - f) * (yi - f);
    if (sp.error == 'M') logf += std::log(std::fabs(f));
    double pv = yi;
    if (sp.season == 'A')
      pv = yi - so;
    else if (sp.season == 'M')
      pv = std::fabs(so) < kTol ? kHuge : yi / so;
    const double lnew = q + pr.alpha * (pv - q);
    if (has_t) b = phib + ab * ((lnew - l) - phib);
    if (has_s) {
      double t;
      if (sp.season == 'A')
        t = yi - q;
      else
        t = std::fabs(q) < kTol ? kHuge : yi / q;
      ring[p] = so + pr.gamma * (t - so);
      p = (p + 1 == m) ? 0 : p + 1;
    }
    l = lnew;
  }
  st.lik = n * std::log(st.sse);
  if (sp.error == 'M') st.lik += 2 * logf;
  st.mse = sq / n;
  if (last) {
    last->clear();
    last->push_back(l);
    if (has_t) last->push_back(b);
    if (has_s) {
      // ring[(p + i) % m] is s_{m-1-i}.
      std::vector<double> s(m);
      for (int i = 0; i < m; ++i) s[m - 1 - i] = ring[(p + i) % m];
      last->insert(last->end(), s.begin(), s.end());
    }
  }
  return st;
}

// True when every root of sum c[k] z^k has modulus <= 1 + 1e-10 (R tests the
// largest root from cpolyroot; c in increasing powers here). Schur–Cohn step-down on p((1 + 1e-10) z):
// all roots strictly inside the unit disc iff |a_0| < |a_d| at every step.
bool roots_inside_unit_circle(std::vector<double> c) {
  const double r = 1 + 1e-10;
  double scale = 1;
  for (double &v : c) {
    v *= scale;
    scale *= r;
  }
  while (!c.empty() && c.back() == 0.0) c.pop_back();
  while (c.size() > 1) {
    const size_t d = c.size() - 1;
    const double a0 = c[0], ad = c[d];
    if (!(std::fabs(a0) < std::fabs(ad))) return false;
    std::vector<double> q(d);
    double mx = 0;
    for (size_t j = 0; j < d; ++j) {
      q[j] = ad * c[j + 1] - a0 * c[d - j - 1];
      mx = std::max(mx, std::fabs(q[j]));
    }
    if (mx == 0 || !std::isfinite(mx)) return false;
    for (double &v : q) v /= mx;
    while (q.size() > 1 && q.back() == 0.0) q.pop_back();
    c.swap(q);
  }
  return true;
}

// R's admissible() from etsTargetFunction.cpp (the "admissible" half of
// bounds = "both").
bool admissible(const Spec &sp, int m, Params pr) {
  const double phi = pr.phi, a = pr.alpha, g = pr.gamma;
  if (phi < 0 || phi > 1 + 1e-8) return false;
  if (sp.season == 'N') {
    if (a < 1 - 1 / phi || a > 1 + 1 / phi) return false;
    if (sp.trend != 'N' && (pr.beta < a * (phi - 1) || pr.beta > (1 + phi) * (2 - a))) return false;
    return true;
  }
  if (m <= 1) return true;
  const double b = sp.trend != 'N' ? pr.beta : 0.0;
  const double d = 1 - 1 / phi - a;
  if (g < std::max(d, 0.0) || g > 1 + 1 / phi - a) return false;
  if (a < 1 - 1 / phi - g * (1 - m + phi + phi * m) / (2 * phi * m)) return false;
  if (b < -(1 - phi) * (g / m + a)) return false;
  std::vector<double> opr;
  opr.reserve(m + 2);
  opr.push_back(1);
  opr.push_back(a + b - phi);
  for (int i = 0; i < m - 2; ++i) opr.push_back(a + b - a * phi);
  opr.push_back(a + b - a * phi + g - 1);
  opr.push_back(phi * (1 - a - g));
  // R hands opr to cpolyroot, which reads it as decreasing powers.
  std::reverse(opr.begin(), opr.end());
  return roots_inside_unit_circle(opr);
}

// The "usual" half of bounds = "both".
bool usual_bounds(const Spec &sp, const Params &pr) {
  if (pr.alpha < kLower[0] || pr.alpha > kUpper[0]) return false;
  if (sp.trend != 'N' && (pr.beta < kLower[1] || pr.beta > pr.alpha || pr.beta > kUpper[1])) return false;
  if (sp.damped && (pr.phi < kLower[3] || pr.phi > kUpper[3])) return false;
  if (sp.season != 'N' && (pr.gamma < kLower[2] || pr.gamma > 1 - pr.alpha || pr.gamma > kUpper[2])) return false;
  return true;
}

// Nelder–Mead as in R's optim (nmmin): reflection 1, contraction 0.5,
// expansion 2, initial simplex step 10% of the largest |parameter|,
// relative tolerance on the spread of vertex values, maxit counts function
// evaluations, non-finite values replaced by 1e35.
template <class F>
std::vector<double> nelder_mead(F &&fn, std::vector<double> b, double intol, int maxit, bool *ok) {
  const int n = static_cast<int>(b.size());
  const double alpha = 1.0, bet = 0.5, gamm = 2.0;
  auto eval = [&](const std::vector<double> &v) {
    const double f = fn(v);
    return std::isfinite(f) ? f : kBig;
  };
  double f = fn(b);
  if (!std::isfinite(f)) {
    *ok = false;
    return b;
  }
  *ok = true;
  int funcount = 1;
  const double convtol = intol * (std::fabs(f) + intol);
  const int n1 = n + 1;
  // pts[j] is vertex j (j = 0..n) and pts[n1] the centroid; val[j] its value.
  std::vector<std::vector<double>> pts(n1 + 1, b);
  std::vector<double> val(n1 + 1, 0.0);
  val[0] = f;
  double step = 0;
  for (int i = 0; i < n; ++i) step = std::max(step, 0.1 * std::fabs(b[i]));
  if (step == 0) step = 0.1;
  double size = 0;
  for (int j = 1; j < n1; ++j) {
    double trystep = step;
    while (pts[j][j - 1] == b[j - 1]) {
      pts[j][j - 1] = b[j - 1] + trystep;
      trystep *= 10;
    }
    size += trystep;
  }
  double oldsize = size;
  bool calcvert = true;
  int L = 0;
  std::vector<double> trial(n);
  for (;;) {
    throw_if_fitting_stopped();
    if (calcvert) {
      for (int j = 0; j < n1; ++j) {
        if (j == L) continue;
        val[j] = eval(pts[j]);
        ++funcount;
      }
      calcvert = false;
    }
    double VL = val[L], VH = VL;
    int H = L;
    for (int j = 0; j < n1; ++j) {
      if (j == L) continue;
      const double fj = val[j];
      if (fj < VL) {
        L = j;
        VL = fj;
      }
      if (fj > VH) {
        H = j;
        VH = fj;
      }
    }
    if (VH <= VL + convtol) break;
    std::vector<double> &cen = pts[n1];
    for (int i = 0; i < n; ++i) {
      double t = -pts[H][i];
      for (int j = 0; j < n1; ++j) t += pts[j][i];
      cen[i] = t / n;
    }
    for (int i = 0; i < n; ++i) trial[i] = (1 + alpha) * cen[i] - alpha * pts[H][i];
    const double VR = eval(trial);
    ++funcount;
    if (VR < VL) {
      // Try expanding further along the same direction.
      val[n1] = VR;
      for (int i = 0; i < n; ++i) {
        const double e = gamm * trial[i] + (1 - gamm) * cen[i];
        cen[i] = trial[i];
        trial[i] = e;
      }
      const double fe = eval(trial);
      ++funcount;
      if (fe < VR) {
        pts[H] = trial;
        val[H] = fe;
      } else {
        pts[H] = cen;
        val[H] = VR;
      }
    } else {
      if (VR < VH) {
        pts[H] = trial;
        val[H] = VR;
      }
      for (int i = 0; i < n; ++i) trial[i] = (1 - bet) * pts[H][i] + bet * cen[i];
      const double fc = eval(trial);
      ++funcount;
      if (fc < val[H]) {
        pts[H] = trial;
        val[H] = fc;
      } else if (VR >= VH) {
        // Shrink towards the best vertex.
        calcvert = true;
        size = 0;
        for (int j = 0; j < n1; ++j) {
          if (j == L) continue;
          for (int i = 0; i < n; ++i) {
            pts[j][i] = bet * (pts[j][i] - pts[L][i]) + pts[L][i];
            size += std::fabs(pts[j][i] - pts[L][i]);
          }
        }
        if (size < oldsize) {
          oldsize = size;
        } else {
          break;  // polytope stopped shrinking
        }
      }
    }
    if (funcount > maxit) break;
  }
  return pts[L];
}

// Simple least squares y = a + b x.
void line_fit(const std::vector<double> &x, const std::vector<double> &y, double *a, double *b) {
  const size_t n = x.size();
  double mx = 0, my = 0;
  for (size_t i = 0; i < n; ++i) {
    mx += x[i];
    my += y[i];
  }
  mx /= static_cast<double>(n);
  my /= static_cast<double>(n);
  double sxy = 0, sxx = 0;
  for (size_t i = 0; i < n; ++i) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) * (x[i] - mx);
  }
  *b = sxx > 0 ? sxy / sxx : 0.0;
  *a = my - *b * mx;
}

// Intercept and slope of y ~ 1 + t + sin(2 pi t / m) + cos(2 pi t / m),
// t = 1..n (R's tslm(y ~ trend + fourier(y, 1))); m == 2 drops the sine,
// which is identically zero there.
bool fourier_trend(const std::vector<double> &y, int m, double *a, double *b) {
  const int n = static_cast<int>(y.size());
  const int k = m == 2 ? 3 : 4;
  std::vector<double> xtx(k * k, 0.0), xty(k, 0.0), row(k);
  const double pi = 3.14159265358979323846;
  for (int t = 1; t <= n; ++t) {
    row[0] = 1;
    row[1] = t;
    if (m == 2) {
      row[2] = std::cos(pi * t);
    } else {
      row[2] = std::sin(2 * pi * t / m);
      row[3] = std::cos(2 * pi * t / m);
    }
    for (int i = 0; i < k; ++i) {
      xty[i] += row[i] * y[t - 1];
      for (int j = 0; j < k; ++j) xtx[i * k + j] += row[i] * row[j];
    }
  }
  // Gaussian elimination with partial pivoting.
  for (int c = 0; c < k; ++c) {
    int piv = c;
    for (int r = c + 1; r < k; ++r)
      if (std::fabs(xtx[r * k + c]) > std::fabs(xtx[piv * k + c])) piv = r;
    if (std::fabs(xtx[piv * k + c]) < 1e-12) return false;
    if (piv != c) {
      for (int j = 0; j < k; ++j) std::swap(xtx[c * k + j], xtx[piv * k + j]);
      std::swap(xty[c], xty[piv]);
    }
    for (int r = c + 1; r < k; ++r) {
      const double fct = xtx[r * k + c] / xtx[c * k + c];
      for (int j = c; j < k; ++j) xtx[r * k + j] -= fct * xtx[c * k + j];
      xty[r] -= fct * xty[c];
    }
  }
  std::vector<double> beta(k);
  for (int r = k - 1; r >= 0; --r) {
    double s = xty[r];
    for (int j = r + 1; j < k; ++j) s -= xtx[r * k + j] * beta[j];
    beta[r] = s / xtx[r * k + r];
  }
  *a = beta[0];
  *b = beta[1];
  return std::isfinite(*a) && std::isfinite(*b);
}

// R's initstate(): heuristic starting states l, [b], s_0..s_{m-2}.
bool initial_states(const std::vector<double> &y, const Spec &sp, int m, std::vector<double> *out) {
  const int n = static_cast<int>(y.size());
  std::vector<double> ysa = y;
  std::vector<double> seas_init;
  if (sp.season != 'N') {
    if (n < 4) return false;
    std::vector<double> seasonal(n);
    if (n < 3 * m) {
      double a, b;
      if (!fourier_trend(y, m, &a, &b)) return false;
      for (int t = 0; t < n; ++t) {
        const double tr = a + b * (t + 1);
        seasonal[t] = sp.season == 'A' ? y[t] - tr : y[t] / tr;
      }
    } else {
      seasonal = decompose_classical(y, m, sp.season == 'M').seasonal;
    }
    for (int k = m - 1; k >= 1; --k) seas_init.push_back(seasonal[k]);  // rev(seasonal[2:m])
    if (sp.season == 'A') {
      for (int t = 0; t < n; ++t) ysa[t] = y[t] - seasonal[t];
    } else {
      double sum = 0;
      for (double &v : seas_init) {
        v = std::max(v, 1e-2);
        sum += v;
      }
      if (sum > m) {
        double s2 = 0;
        for (double v : seas_init) s2 += v + 1e-2;
        for (double &v : seas_init) v /= s2;
      }
      for (int t = 0; t < n; ++t) ysa[t] = y[t] / std::max(seasonal[t], 1e-2);
    }
  }
  const int mm = sp.season != 'N' ? m : 1;
  const int maxn = std::min(std::max(10, 2 * mm), n);
  out->clear();
  if (sp.trend == 'N') {
    double s = 0;
    for (int i = 0; i < maxn; ++i) s += ysa[i];
    out->push_back(s / maxn);
  } else {
    std::vector<double> xs(maxn), ys(ysa.begin(), ysa.begin() + maxn);
    for (int i = 0; i < maxn; ++i) xs[i] = i + 1;
    double l0, b0;
    line_fit(xs, ys, &l0, &b0);
    if (std::fabs(l0 + b0) < 1e-8) {
      l0 *= 1 + 1e-3;
      b0 *= 1 - 1e-3;
    }
    out->push_back(l0);
    out->push_back(b0);
  }
  out->insert(out->end(), seas_init.begin(), seas_init.end());
  for (double v : *out)
    if (!std::isfinite(v)) return false;
  return true;
}

std::string name_of(const Spec &sp) {
  std::string s = "ETS(";
  s += sp.error;
  s += ',';
  s += sp.trend;
  if (sp.damped) s += 'd';
  s += ',';
  s += sp.season;
  s += ')';
  return s;
}

// One specification fitted as R's etsmodel(). Returns false when R would
// give up on it (too little data, unusable start).
bool fit_one(const std::vector<double> &y, int m_in, const Spec &sp, Crit crit, EtsModel *out) {
  const int n = static_cast<int>(y.size());
  const bool has_t = sp.trend != 'N', has_s = sp.season != 'N';
  const int m = has_s ? m_in : 1;
  // initparam() with the default bounds.
  Params pr;
  pr.alpha = kLower[0] + 0.2 * (kUpper[0] - kLower[0]) / m;
  if (pr.alpha > 1 || pr.alpha < 0) pr.alpha = kLower[0] + 2e-3;
  std::vector<double> par{pr.alpha};
  if (has_t) {
    const double ub = std::min(kUpper[1], pr.alpha);
    pr.beta = kLower[1] + 0.1 * (ub - kLower[1]);
    if (pr.beta < 0 || pr.beta > pr.alpha) pr.beta = pr.alpha - 1e-3;
    par.push_back(pr.beta);
  }
  if (has_s) {
    const double ug = std::min(kUpper[2], 1 - pr.alpha);
    pr.gamma = kLower[2] + 0.05 * (ug - kLower[2]);
    if (pr.gamma < 0 || pr.gamma > 1 - pr.alpha) pr.gamma = 1 - pr.alpha - 1e-3;
    par.push_back(pr.gamma);
  }
  if (sp.damped) {
    pr.phi = kLower[3] + 0.99 * (kUpper[3] - kLower[3]);
    par.push_back(pr.phi);
  }
  const int nsmooth = static_cast<int>(par.size());
  std::vector<double> x0;
  if (!initial_states(y, sp, m, &x0)) return false;
  const int nstate = static_cast<int>(x0.size());
  par.insert(par.end(), x0.begin(), x0.end());
  const int np = static_cast<int>(par.size());
  if (np >= n - 1) return false;

  std::vector<double> ring(m), state(nstate + (has_s ? 1 : 0));
  auto unpack = [&](const std::vector<double> &v, Params *p) {
    int j = 0;
    p->alpha = v[j++];
    p->beta = has_t ? v[j++] : 0.0;
    p->gamma = has_s ? v[j++] : 0.0;
    p->phi = sp.damped ? v[j++] : 1.0;
    for (int i = 0; i < nstate; ++i) state[i] = v[nsmooth + i];
    if (has_s) {
      double sum = 0;
      for (int i = has_t ? 2 : 1; i < nstate; ++i) sum += state[i];
      state[nstate] = (sp.season == 'M' ? m : 0) - sum;
    }
  };
  auto objective = [&](const std::vector<double> &v) -> double {
    Params p;
    unpack(v, &p);
    if (!usual_bounds(sp, p) || !admissible(sp, m, p)) return kInf;
    if (sp.season == 'M') {
      for (size_t i = has_t ? 2 : 1; i < state.size(); ++i)
        if (state[i] < 0) return kInf;
    }
    const FilterStats st = run_filter(y.data(), n, sp, m, p, state.data(), ring, nullptr);
    double lik = std::max(st.lik, -1e10);
    if (std::isnan(lik)) lik = kInf;
    return crit == Crit::lik ? lik : st.mse;
  };
  bool ok = false;
  const std::vector<double> best =
      nelder_mead(objective, par, std::sqrt(std::numeric_limits<double>::epsilon()), 2000, &ok);
  if (!ok) return false;
  Params p;
  unpack(best, &p);
  const FilterStats st = run_filter(y.data(), n, sp, m, p, state.data(), ring, nullptr);
  if (std::isnan(st.lik) || st.lik == kInf) return false;
  EtsModel &md = *out;
  md.error = sp.error;
  md.trend = sp.trend;
  md.season = sp.season;
  md.damped = sp.damped;
  md.alpha = p.alpha;
  md.beta = p.beta;
  md.gamma = p.gamma;
  md.phi = p.phi;
  md.init_states = state;
  md.m = m;
  md.n_params = np;
  md.nobs = n;
  const double k = np + 1;                     // + sigma
  const double lik = std::max(st.lik, -1e10);  // perfect fits: keep the criteria finite
  md.loglik = -0.5 * lik;
  md.aic = lik + 2 * k;
  md.bic = lik + std::log(static_cast<double>(n)) * k;
  md.aicc = md.aic + 2 * k * (k + 1) / (n - k - 1);
  md.sigma2 = st.sse / (n - np);
  md.mse = st.mse;
  md.method = name_of(sp);
  return true;
}

// HoltWinters-style fallback for series too short for ETS (R uses
// HoltWintersZZ there): SES started at y[0], or Holt's linear started at
// y[1] with slope y[1] - y[0], smoothing parameters from a grid minimising the
// in-sample one-step SSE (ties keep the larger alpha, i.e. nearer naive).
EtsModel fit_tiny(const std::vector<double> &y, bool allow_trend) {
  const int n = static_cast<int>(y.size());
  std::vector<double> grid;
  for (int i = 0; i <= 40; ++i) grid.push_back(0.9999 - i * (0.9999 - 1e-4) / 40);
  std::vector<double> ring(1);
  auto sse_of = [&](const Spec &sp, const Params &pr, const std::vector<double> &x) {
    return run_filter(y.data(), n, sp, 1, pr, x.data(), ring, nullptr).sse;
  };
  EtsModel md;
  Spec ses{'A', 'N', 'N', false};
  std::vector<double> xs{y[0]};
  double best = kInf;
  Params bp;
  for (double a : grid) {
    Params pr;
    pr.alpha = a;
    const double s = sse_of(ses, pr, xs);
    if (s < best) {
      best = s;
      bp = pr;
    }
  }
  Spec chosen = ses;
  std::vector<double> cx = xs;
  double best_mse = n > 1 ? best / (n - 1) : 0.0;
  if (allow_trend && n >= 4) {
    Spec holt{'A', 'A', 'N', false};
    const double b0 = y[1] - y[0];
    std::vector<double> hx{y[0] - b0, b0};
    double hb = kInf;
    Params hp;
    for (double a : grid)
      for (double b : grid) {
        if (b > a) continue;
        Params pr;
        pr.alpha = a;
        pr.beta = b;
        const double s = sse_of(holt, pr, hx);
        if (s < hb) {
          hb = s;
          hp = pr;
        }
      }
    const double hmse = hb / (n - 2);
    if (hmse < best_mse) {
      chosen = holt;
      cx = hx;
      bp = hp;
      best_mse = hmse;
    }
  }
  md.error = 'A';
  md.trend = chosen.trend;
  md.season = 'N';
  md.damped = false;
  md.alpha = bp.alpha;
  md.beta = bp.beta;
  md.gamma = 0;
  md.phi = 1;
  md.init_states = cx;
  md.m = 1;
  md.nobs = n;
  md.n_params = 0;
  md.sigma2 = best_mse;
  md.mse = best_mse;
  md.loglik = md.aic = md.aicc = md.bic = kNaN;
  md.method = chosen.trend == 'N' ? "SES (short series)" : "Holt (short series)";
  return md;
}

EtsModel constant_model(const std::vector<double> &y) {
  EtsModel md;
  md.alpha = 0.99999;
  md.init_states = {y[0]};
  md.nobs = static_cast<int>(y.size());
  md.loglik = md.aic = md.aicc = md.bic = kNaN;
  md.method = "ETS(A,N,N)";
  return md;
}

Spec parse_or_throw(const std::string &spec, char *e, char *t, char *s, int *damped) {
  // damped: 0 no, 1 yes, -1 both (Z trend).
  std::string sp = spec;
  bool d = false;
  if (sp.size() == 4 && sp[2] == 'd') {
    d = true;
    sp.erase(2, 1);
  }
  if (sp.size() != 3) throw std::invalid_argument("ets: bad model spec '" + spec + "'");
  *e = sp[0];
  *t = sp[1];
  *s = sp[2];
  if (*e != 'A' && *e != 'M' && *e != 'Z') throw std::invalid_argument("ets: bad error type in '" + spec + "'");
  if (*t != 'N' && *t != 'A' && *t != 'Z') throw std::invalid_argument("ets: bad trend type in '" + spec + "'");
  if (*s != 'N' && *s != 'A' && *s != 'M' && *s != 'Z')
    throw std::invalid_argument("ets: bad season type in '" + spec + "'");
  if (d && *t == 'N') throw std::invalid_argument("ets: damped without trend in '" + spec + "'");
  *damped = d ? 1 : (*t == 'Z' ? -1 : 0);
  return Spec{*e, *t, *s, d};
}

EtsModel fit_spec(const std::vector<double> &y, int m, const std::string &spec, Crit crit, bool auto_mode) {
  check_series(y);
  if (m < 1) throw std::invalid_argument("ets: m must be >= 1");
  char e, t, s;
  int damped;
  parse_or_throw(spec, &e, &t, &s, &damped);
  const int n = static_cast<int>(y.size());
  const bool positive = *std::min_element(y.begin(), y.end()) > 0;
  if (s == 'A' || s == 'M') {
    if (m < 2 || m > 24) throw std::invalid_argument("ets: seasonal model needs 2 <= m <= 24");
  }
  if (!positive && (e == 'M' || s == 'M'))
    throw std::invalid_argument("ets: multiplicative model needs strictly positive data");
  if (auto_mode && is_constant(y)) return constant_model(y);
  // As R: no seasonality for m > 24, m == 1 or series not longer than m.
  if (s == 'Z' && (m < 2 || m > 24 || n <= m)) s = 'N';
  if ((s == 'A' || s == 'M') && n <= m) s = 'N';
  // R's "tiny data" rule counts the explicitly requested components.
  int npars = 2;
  if (t == 'A') npars += 2;
  if (s == 'A' || s == 'M') npars += m;
  if (damped == 1) npars += 1;
  if (n <= npars + 4) return fit_tiny(y, t != 'N');

  std::vector<char> errs = e == 'Z' ? std::vector<char>{'A', 'M'} : std::vector<char>{e};
  std::vector<char> trends = t == 'Z' ? std::vector<char>{'N', 'A'} : std::vector<char>{t};
  std::vector<char> seasons = s == 'Z' ? std::vector<char>{'N', 'A', 'M'} : std::vector<char>{s};
  std::vector<bool> damps = damped == -1 ? std::vector<bool>{true, false} : std::vector<bool>{damped == 1};
  EtsModel best;
  double best_ic = kInf;
  bool found = false;
  for (char ei : errs)
    for (char ti : trends)
      for (char si : seasons)
        for (bool di : damps) {
          if (ti == 'N' && di) continue;
          if (ei == 'A' && si == 'M') continue;  // R's restrict = TRUE
          if (!positive && (ei == 'M' || si == 'M')) continue;
          EtsModel md;
          if (!fit_one(y, m, Spec{ei, ti, si, di}, crit, &md)) continue;
          if (!std::isnan(md.aicc) && md.aicc < best_ic) {
            best = md;
            best_ic = md.aicc;
            found = true;
          }
        }
  if (!found) return fit_tiny(y, t != 'N');
  return best;
}

}  // namespace

EtsModel fit_ets(const std::vector<double> &y, int m) { return fit_spec(y, m, "ZZZ", Crit::lik, true); }

EtsModel fit_ets(const std::vector<double> &y, int m, const std::string &spec) {
  return fit_spec(y, m, spec, Crit::lik, false);
}

EtsModel fit_ets_mse(const std::vector<double> &y, int m, const std::string &spec) {
  return fit_spec(y, m, spec, Crit::mse, false);
}

std::vector<double> forecast_ets(const EtsModel &md, const std::vector<double> &y, int h,
                                 std::vector<double> *level_and_trend) {
  check_series(y);
  if (h < 1) throw std::invalid_argument("ets: h must be >= 1");
  const Spec sp{md.error, md.trend, md.season, md.damped};
  const bool has_t = sp.trend != 'N', has_s = sp.season != 'N';
  const int m = has_s ? md.m : 1;
  const size_t want = 1 + (has_t ? 1 : 0) + (has_s ? m : 0);
  if (md.init_states.size() != want) throw std::invalid_argument("ets: model state size mismatch");
  Params pr{md.alpha, md.beta, md.gamma, md.phi};
  std::vector<double> ring(m), last;
  run_filter(y.data(), static_cast<int>(y.size()), sp, m, pr, md.init_states.data(), ring, &last);
  std::vector<double> f(h), lt(h);
  const double l = last[0], b = has_t ? last[1] : 0.0;
  const double *s = has_s ? last.data() + 1 + (has_t ? 1 : 0) : nullptr;
  if (sp.error == 'M' && sp.season == 'M') {
    // R's class3(): mean of M-error, M-season models (trend N/A), Mh recursion
    // with Mh = [l, b]' [s_0 .. s_{m-1}].
    const int k = has_t ? 2 : 1;
    std::vector<double> x{l};
    if (has_t) x.push_back(b);
    double damped_sum = 1;  // 1 + phi + ... + phi^i: the trend's weight in step i + 1 of this recursion
    for (int i = 0; i < h; ++i) {
      lt[i] = has_t ? l + damped_sum * b : l;
      damped_sum = damped_sum * (md.damped ? md.phi : 1.0) + 1;
    }
    std::vector<double> M(k * m), N(k * m);
    for (int a = 0; a < k; ++a)
      for (int j = 0; j < m; ++j) M[a * m + j] = x[a] * s[j];
    const double phi = md.damped ? md.phi : 1.0;
    const double g1[2] = {md.alpha, md.beta};
    for (int i = 0; i < h; ++i) {
      double mu = 0;
      for (int a = 0; a < k; ++a) mu += M[a * m + m - 1];
      f[i] = mu;
      // F1 Mh F2' : F2 shifts columns right (last column wraps to first).
      for (int a = 0; a < k; ++a) {
        for (int j = 0; j < m; ++j) {
          const int src = j == 0 ? m - 1 : j - 1;
          double v;
          if (k == 1)
            v = M[src];
          else if (a == 0)
            v = M[0 * m + src] + M[1 * m + src];
          else
            v = phi * M[1 * m + src];
          N[a * m + j] = v;
        }
        // + sigma2 * G1 Mh G2' : G2 has gamma at (0, m-1) only.
        double colsum = 0;
        for (int c = 0; c < k; ++c) colsum += M[c * m + m - 1];
        N[a * m + 0] += md.sigma2 * g1[a] * md.gamma * colsum;
      }
      M.swap(N);
    }
  } else {
    double phistar = md.damped ? md.phi : 1.0, phipow = phistar;
    for (int i = 0; i < h; ++i) {
      double v = has_t ? l + phistar * b : l;
      lt[i] = v;
      if (has_s) {
        const double sv = s[m - 1 - (i % m)];
        v = sp.season == 'A' ? v + sv : v * sv;
      }
      f[i] = v;
      if (md.damped && std::fabs(md.phi - 1.0) >= kTol) {
        phipow *= md.phi;
        phistar += phipow;
      } else {
        phistar += 1.0;
      }
    }
  }
  for (double v : f)
    if (!std::isfinite(v)) {
      // Safety net: a filter that diverged on new data falls back to naive.
      std::fill(f.begin(), f.end(), y.back());
      lt = f;
      break;
    }
  if (level_and_trend) *level_and_trend = has_s ? std::move(lt) : f;
  return f;
}

std::string ets_name(const EtsModel &md) { return name_of(Spec{md.error, md.trend, md.season, md.damped}); }

void stop_fitting_when(const std::atomic<bool> *flag) { fit_stop = flag; }

void throw_if_fitting_stopped() {
  if (fit_stop && fit_stop->load(std::memory_order_relaxed)) throw FitStopped{};
}

}  // namespace xb::stat
