// The rows a forecaster is trained on (and future covariates are given in),
// as the boundary reads them from SQL.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace xb {

// Time is PostgreSQL's: microseconds since 2000-01-01 00:00:00 (timestamp
// without time zone; dates are midnight). The core never needs a time zone.
using Micros = std::int64_t;

struct SeriesRows {
  std::vector<std::string> feature_names;       // numeric covariate columns, in order
  std::vector<std::string> text_feature_names;  // categorical covariate columns, in order
  std::vector<std::string> series_key;          // one per row ("" for one series)
  std::vector<Micros> time;                     // one per row
  std::vector<double> target;                   // one per row; NaN = NULL (future rows: unused)
  std::vector<double> features;                 // row-major, rows x feature_names; NaN = NULL
  std::vector<std::string> text_features;       // row-major, rows x text_feature_names; "" = NULL

  std::size_t rows() const { return time.size(); }
  void reserve(std::size_t n) {
    series_key.reserve(n);
    time.reserve(n);
    target.reserve(n);
    features.reserve(n * feature_names.size());
    text_features.reserve(n * text_feature_names.size());
  }
};

}  // namespace xb
