#include "core/forecast/panel.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>

#include "core/common/error.hpp"
#include "core/common/limits.hpp"

namespace xb {
namespace {

std::string series_label(const std::string &key) { return key.empty() ? "the series" : "series \"" + key + "\""; }

// A series' grid may hold this many steps a row (gaps filled) and no more.
constexpr double kMaxGridPerRow = 1000;

// Rows to use: all, or (drop) those whose values are all finite. NULLs arrive as NaN.
std::vector<std::size_t> valid_rows(const SeriesRows &rows, bool drop) {
  std::size_t nf = rows.feature_names.size();
  std::vector<std::size_t> keep;
  keep.reserve(rows.rows());
  for (std::size_t r = 0; r < rows.rows(); ++r) {
    check_calendar_range(rows.time[r], "a timestamp of " + series_label(rows.series_key[r]));
    bool ok = std::isfinite(rows.target[r]);
    if (!ok && !drop)
      throw Error(
          ErrorKind::DataException,
          "target is NULL or not finite in " + series_label(rows.series_key[r]) + " at " + format_time(rows.time[r]),
          "Filter out or repair NULL, NaN and infinite targets in the source, or set options.invalid "
          "to \"drop\".");
    for (std::size_t f = 0; ok && f < nf; ++f) {
      ok = std::isfinite(rows.features[r * nf + f]);
      if (!ok && !drop)
        throw Error(ErrorKind::DataException,
                    "feature \"" + rows.feature_names[f] + "\" is NULL or not finite in " +
                        series_label(rows.series_key[r]) + " at " + format_time(rows.time[r]),
                    "Filter out or repair NULL, NaN and infinite covariates in the source, or set "
                    "options.invalid to \"drop\".");
    }
    if (ok) keep.push_back(r);
  }
  return keep;
}

// Fills y and x at grid positions that had no row; `present` marks real
// rows. One pass: the next real row is looked for once per gap.
void fill_gaps(Series &s, const std::vector<bool> &present, std::size_t nf, const std::string &fill) {
  std::size_t n = s.length();
  std::size_t prev = 0, next = 0;  // the real rows around i (index 0 and the last are real)
  // a(1 - w) + b w stays finite between two finite values near the double range.
  const auto between = [](double a, double b, double w) { return a * (1 - w) + b * w; };
  for (std::size_t i = 1; i < n; ++i) {
    if (present[i]) {
      prev = i;
      continue;
    }
    if (next < i)
      for (next = i; !present[next];) ++next;
    double w = static_cast<double>(i - prev) / static_cast<double>(next - prev);
    if (fill == "zero")
      s.y[i] = 0;
    else if (fill == "ffill")
      s.y[i] = s.y[prev];
    else
      s.y[i] = between(s.y[prev], s.y[next], w);
    for (std::size_t f = 0; f < nf; ++f) {
      double a = s.x[prev * nf + f], b = s.x[next * nf + f];
      s.x[i * nf + f] = fill == "interpolate" ? between(a, b, w) : a;
    }
  }
}

// known: the calendar to use, or nullptr to take `freq` ("" infers one).
Panel build_panel_on(const SeriesRows &rows, const Frequency *known, const std::string &freq, const std::string &fill,
                     const std::string &invalid, double max_bytes) {
  if (rows.rows() == 0)
    throw Error(ErrorKind::InsufficientData, "the source returned no rows", "Check the source and its filters.");
  const std::vector<std::size_t> keep = valid_rows(rows, invalid == "drop");
  if (keep.empty())
    throw Error(ErrorKind::InsufficientData, "every row of the source has a NULL or non-finite value",
                "Check the target and feature columns of the source.");

  std::map<std::string, std::vector<std::size_t>> by_key;
  for (std::size_t r : keep) by_key[rows.series_key[r]].push_back(r);

  std::vector<std::vector<Micros>> times;
  times.reserve(by_key.size());
  for (auto &[key, idx] : by_key) {
    std::stable_sort(idx.begin(), idx.end(), [&](std::size_t a, std::size_t b) { return rows.time[a] < rows.time[b]; });
    std::vector<Micros> t;
    t.reserve(idx.size());
    for (std::size_t k = 0; k < idx.size(); ++k) {
      if (k > 0 && rows.time[idx[k]] == rows.time[idx[k - 1]])
        throw Error(ErrorKind::DataException,
                    "duplicate timestamp " + format_time(rows.time[idx[k]]) + " in " + series_label(key),
                    "Each series may have one row per timestamp: aggregate the source or add the missing series "
                    "column to series_cols (a timestamptz read in a zone with daylight saving repeats an hour "
                    "each autumn: set options.time_zone to \"UTC\").");
      t.push_back(rows.time[idx[k]]);
    }
    times.push_back(std::move(t));
  }

  Panel panel;
  panel.dropped_rows = static_cast<long>(rows.rows() - keep.size());
  panel.freq = known ? *known : freq.empty() ? infer_frequency(times) : Frequency::parse(freq);
  panel.feature_names = rows.feature_names;
  std::size_t nf = rows.feature_names.size();

  // The grid before anything is allocated: at most kMaxGridPerRow steps a
  // row (a few rows spanning centuries at an hourly step would otherwise
  // fill a grid of millions), and within the training memory limit.
  double points = 0;
  {
    std::size_t j = 0;
    for (auto &[key, idx] : by_key) {
      const auto &t = times[j++];
      const double steps = static_cast<double>(panel.freq.steps_between(t.front(), t.back())) + 1;
      if (steps > kMaxGridPerRow * static_cast<double>(idx.size()) + kMaxGridPerRow)
        throw Error(ErrorKind::DataException,
                    series_label(key) + " would span " + std::to_string(static_cast<long>(steps)) + " " +
                        panel.freq.name() + " steps with " + std::to_string(idx.size()) + " rows",
                    "Set options.freq to the series' frequency, or filter out the rows far from the others in time.");
      points += steps;
    }
  }
  limits::check_training_memory(points * (8.0 * (1 + nf) + 1), max_bytes, "its time grid");

  std::size_t k = 0;
  for (auto &[key, idx] : by_key) {
    const auto &t = times[k++];
    Series s;
    s.key = key;
    s.start = t.front();
    long span = panel.freq.steps_between(t.front(), t.back());
    if (span < 0)
      throw Error(ErrorKind::DataException,
                  "timestamps of " + series_label(key) + " are not on a " + panel.freq.name() + " grid",
                  "Set options.freq to the series' frequency, or align the timestamps.");
    std::size_t n = static_cast<std::size_t>(span) + 1;
    s.y.assign(n, 0.0);
    s.x.assign(n * nf, 0.0);
    std::vector<bool> present(n, false);
    for (std::size_t j = 0; j < idx.size(); ++j) {
      long pos = panel.freq.steps_between(s.start, t[j]);
      if (pos < 0)
        throw Error(ErrorKind::DataException,
                    "timestamp " + format_time(t[j]) + " of " + series_label(key) + " is off the " + panel.freq.name() +
                        " grid",
                    "Set options.freq to the series' frequency, or align the timestamps.");
      present[pos] = true;
      s.y[pos] = rows.target[idx[j]];
      std::copy_n(rows.features.begin() + idx[j] * nf, nf, s.x.begin() + pos * nf);
    }
    long missing = static_cast<long>(n - idx.size());
    if (missing > 0) {
      if (fill == "error")
        throw Error(ErrorKind::DataException,
                    std::to_string(missing) + " missing " + panel.freq.name() + " steps in " + series_label(key),
                    "Set options.fill to zero, ffill or interpolate to fill gaps.");
      fill_gaps(s, present, nf, fill);
      panel.filled_points += missing;
    }
    panel.series.push_back(std::move(s));
  }
  return panel;
}

}  // namespace

Panel build_panel(const SeriesRows &rows, const std::string &freq, const std::string &fill, const std::string &invalid,
                  double max_bytes) {
  return build_panel_on(rows, nullptr, freq, fill, invalid, max_bytes);
}

Panel build_panel(const SeriesRows &rows, const Frequency &freq, const std::string &fill, const std::string &invalid,
                  double max_bytes) {
  return build_panel_on(rows, &freq, "", fill, invalid, max_bytes);
}

std::string first_series_named(const std::vector<std::pair<std::string, std::string>> &key_and_detail) {
  std::string names;
  for (std::size_t k = 0; k < key_and_detail.size() && k < 5; ++k) {
    const auto &[key, detail] = key_and_detail[k];
    names += (names.empty() ? "" : ", ") + (key.empty() ? std::string("the series") : "\"" + key + "\"") + " (" +
             detail + ")";
  }
  if (key_and_detail.size() > 5) names += " and " + std::to_string(key_and_detail.size() - 5) + " more";
  return names;
}

}  // namespace xb
