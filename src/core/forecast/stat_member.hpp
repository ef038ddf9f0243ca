// One entry point and one result shape for the statistical members
// (snaive, mean, croston, ets, theta, stlf), so callers can treat them alike.
// Header-only: it only dispatches to the members' own files.
#pragma once
#include <algorithm>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/forecast/croston.hpp"
#include "core/forecast/ets.hpp"
#include "core/forecast/naive.hpp"
#include "core/forecast/stl.hpp"
#include "core/forecast/theta.hpp"

namespace xb::stat {

struct StatForecast {
  std::string method;  // what actually ran, e.g. "STL + ETS(A,N,N)"
  std::vector<double> mean;
  // The forecast without its seasonal part (level and trend; the mean of the
  // last season for seasonal naive; the mean itself where nothing is
  // seasonal), so that mean - adjusted is what the season adds.
  std::vector<double> adjusted;
  double aicc = std::numeric_limits<double>::quiet_NaN();  // NaN when the member has none
};

// member: "snaive" | "mean" | "croston" | "ets" | "theta" | "stlf". Preconditions
// (std::invalid_argument otherwise): known member, finite values, y
// non-empty, m >= 1, h >= 1. Deterministic and thread-safe.
inline StatForecast fit_and_forecast(const std::string &member, const std::vector<double> &y, int m, int h) {
  if (m < 1) throw std::invalid_argument("fit_and_forecast: m must be >= 1");
  StatForecast out;
  if (member == "snaive") {
    out.mean = snaive_forecast(y, m, h);
    const bool seasonal = m > 1 && static_cast<int>(y.size()) >= m;
    out.method = seasonal ? "Seasonal naive" : "Naive";
    out.adjusted = out.mean;
    if (seasonal) {
      double last_season = 0;  // each term divided first: values near the double range stay finite
      for (auto v = y.end() - m; v != y.end(); ++v) last_season += *v / m;
      std::fill(out.adjusted.begin(), out.adjusted.end(), last_season);
    }
  } else if (member == "mean") {
    out.mean = mean_forecast(y, h);
    out.adjusted = out.mean;
    out.method = "Mean";
  } else if (member == "croston") {
    out.mean = croston_forecast(y, h);
    out.adjusted = out.mean;
    out.method = "Croston (SBA)";
  } else if (member == "ets") {
    const EtsModel md = fit_ets(y, m);
    out.mean = forecast_ets(md, y, h, &out.adjusted);
    out.method = md.method;
    out.aicc = md.aicc;
  } else if (member == "theta") {
    ThetaForecast t = thetaf(y, m, h);
    out.mean = std::move(t.mean);
    out.adjusted = std::move(t.adjusted);
    out.method = t.seasonal ? "Theta (seasonally adjusted)" : "Theta";
  } else if (member == "stlf") {
    StlfForecast s = stlf(y, m, h);
    out.mean = std::move(s.mean);
    out.adjusted = std::move(s.adjusted);
    out.method = std::move(s.method);
    out.aicc = s.aicc;
  } else {
    throw std::invalid_argument("fit_and_forecast: unknown member '" + member + "'");
  }
  return out;
}

}  // namespace xb::stat
