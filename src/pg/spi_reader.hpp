// Reading a forecaster's training rows from a table, view or SELECT through
// SPI, with the caller's rights. Every identifier is quoted; column names are
// matched exactly, or case-insensitively when that is unambiguous.
#pragma once
#include <string>
#include <vector>

#include "core/series_data.hpp"

namespace xb::pg {

struct SourceSpec {
  std::string source;  // table or view name, or a query (SELECT / WITH / VALUES / TABLE)
  std::string time_col;
  std::string target_col;  // empty: none (future covariate rows)
  std::vector<std::string> series_cols;
  std::vector<std::string> feature_cols;  // numeric or boolean, or text-like (categorical)
};

// Requires SPI to be connected. NULL targets and features are an ERROR
// naming the row unless nulls_as_missing, which passes them on (NaN, or ""
// for text) for the core to drop or carry.
SeriesRows read_series(const SourceSpec &spec, long max_rows, bool nulls_as_missing = false);

std::string quote_ident(const std::string &name);

}  // namespace xb::pg
