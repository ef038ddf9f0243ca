// Exponential smoothing state-space models (Hyndman et al. 2008), estimated
// by maximum likelihood the way R's forecast::ets does it, so that the chosen
// model and its forecasts can be checked against R.
#pragma once
#include <atomic>
#include <string>
#include <vector>

namespace xb::stat {

// Set by the statistical forecaster on the thread that fits: once *flag is
// true, fitting throws FitStopped (a long series can be cancelled mid-fit).
struct FitStopped {};
void stop_fitting_when(const std::atomic<bool> *flag);
void throw_if_fitting_stopped();

// A fitted ETS model. Components: error 'A'|'M', trend 'N'|'A' (damped when
// `damped`), season 'N'|'A'|'M'. init_states is R's layout:
// l, [b], [s_0 .. s_{m-1}] with s_0 the most recent seasonal state and
// s_{m-1} the one used for the first observation.
struct EtsModel {
  char error = 'A', trend = 'N', season = 'N';
  bool damped = false;
  double alpha = 0, beta = 0, gamma = 0, phi = 1;  // beta/gamma 0, phi 1 when unused
  std::vector<double> init_states;
  int m = 1;         // seasonal period used by the model (1 when non-seasonal)
  int n_params = 0;  // smoothing parameters + free initial states (R's length(par))
  int nobs = 0;
  double sigma2 = 0;  // sum(e^2) / (n - n_params), e relative errors for 'M'
  double loglik = 0;  // -0.5 * R's "lik" (constant terms dropped, as R does)
  double aic = 0, aicc = 0, bic = 0;
  double mse = 0;      // in-sample one-step mean squared error
  std::string method;  // "ETS(A,Ad,N)"; SES fallbacks for tiny data say so
};

// Automatic model ("ZZZ"): every admissible combination (multiplicative error
// and season only for strictly positive data; seasonal only when 2 <= m <= 24
// and y.size() > m; no multiplicative trend) fitted, the lowest AICc kept.
// A constant series gives SES with alpha 0.99999 (as R). Preconditions
// (std::invalid_argument otherwise): finite values, y non-empty, m >= 1.
EtsModel fit_ets(const std::vector<double> &y, int m);

// One specification: "ANN", "AAN", "AAdN", "MAM", "MAdM", ... with 'Z' for
// "choose by AICc" in any position ("ZZN" = any non-seasonal model; a 'Z'
// trend tries damped and undamped; an explicit trend without 'd' is
// undamped). Throws std::invalid_argument for malformed specs and for
// impossible ones (seasonal with m < 2 or m > 24, 'M' with non-positive data).
EtsModel fit_ets(const std::vector<double> &y, int m, const std::string &spec);

// Same as fit_ets(y, m, spec) but minimising the one-step MSE instead of the
// likelihood (R's opt.crit = "mse", used by ses() and hence thetaf()).
EtsModel fit_ets_mse(const std::vector<double> &y, int m, const std::string &spec);

// Runs the filter with the model's fixed parameters and initial states over y
// (which may extend the fitting data; nothing is re-estimated) and returns the
// h-step forecast means as R's forecast.ets (for M-error M-season models the
// mean includes R's sigma2 correction). Preconditions: finite y, h >= 1.
// `level_and_trend`, when given, receives the same forecast without the
// seasonal states (level plus the damped trend; the mean itself for a
// non-seasonal model), so that the seasonal part is the difference.
std::vector<double> forecast_ets(const EtsModel &model, const std::vector<double> &y, int h,
                                 std::vector<double> *level_and_trend = nullptr);

// "ETS(A,Ad,N)".
std::string ets_name(const EtsModel &model);

}  // namespace xb::stat
