// Reading a forecaster's training rows from a table, view or SELECT through
// SPI, with the caller's rights. Every identifier is quoted; column names are
// matched exactly, or case-insensitively when that is unambiguous.
#pragma once
#include <string>
#include <vector>

#include "core/forecast/series_data.hpp"
#include "pg/postgres.hpp"

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

// The pieces every reader of a source shares (SPI connected).
struct SourceColumn {
  std::string name;
  Oid type = InvalidOid;
};
// "schema"."table" AS src, or ( query ) AS src; Error when empty, 42P01 when unknown.
std::string source_from_clause(std::string source);
std::vector<SourceColumn> describe_source(const std::string &from);
// Exact name, else a unique case-insensitive match; Error(UndefinedColumn) listing the columns.
const SourceColumn &resolve_column(const std::vector<SourceColumn> &cols, const std::string &name, const char *role);
std::string type_name(Oid type);

}  // namespace xb::pg
