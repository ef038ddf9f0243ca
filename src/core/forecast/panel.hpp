// Rows grouped into series on a regular time grid: sorted, checked for
// duplicates and non-finite values, gaps filled as options.fill says.
#pragma once
#include <string>
#include <vector>

#include "core/forecast/calendar.hpp"
#include "core/forecast/series_data.hpp"

namespace xb {

struct Series {
  std::string key;
  Micros start = 0;       // time of y[0]
  std::vector<double> y;  // one value per grid step
  std::vector<double> x;  // row-major: y.size() x feature count

  std::size_t length() const { return y.size(); }
};

struct Panel {
  Frequency freq;
  std::vector<std::string> feature_names;
  std::vector<Series> series;  // ordered by key
  long filled_points = 0;      // grid points that were missing and filled
  long dropped_rows = 0;       // rows with NULL, NaN or infinite values (invalid: drop)

  std::size_t feature_count() const { return feature_names.size(); }
  Micros time_at(const Series &s, long index) const { return freq.advance(s.start, index); }
};

// freq: "" to infer. fill: zero | ffill | interpolate | error.
// invalid: error | drop, for rows whose target or a feature is NULL (NaN) or
// infinite. Text columns must be encoded (numeric) first. The grid is
// refused (DataException) past 1000 steps a row, and (ResourceLimit) past
// max_bytes (0: no limit) before it is allocated.
Panel build_panel(const SeriesRows &rows, const std::string &freq, const std::string &fill,
                  const std::string &invalid = "error", double max_bytes = 0);
// The same on a known calendar (a stored model's), never inferred.
Panel build_panel(const SeriesRows &rows, const Frequency &freq, const std::string &fill,
                  const std::string &invalid = "error", double max_bytes = 0);

// For a NOTICE about some series: the first five as "\"key\" (detail)"
// ("the series" for an unnamed one), then "and N more".
std::string first_series_named(const std::vector<std::pair<std::string, std::string>> &key_and_detail);

}  // namespace xb
