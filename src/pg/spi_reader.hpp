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
  std::string time_zone;                  // a timestamptz time column is read as local time here ("": UTC)
  // With time_zone: keep the local times only when every one is a local
  // midnight (daily or coarser data), else read in UTC (hourly data would
  // repeat an hour each autumn).
  bool local_if_midnight = false;
};

// Requires SPI to be connected. NULL targets and features are an ERROR
// naming the row unless nulls_as_missing, which passes them on (NaN, or ""
// for text) for the core to drop or carry. zone_used: for a timestamptz time
// column, the zone its rows were read in; "" for date and timestamp.
SeriesRows read_series(const SourceSpec &spec, long max_rows, bool nulls_as_missing = false,
                       std::string *zone_used = nullptr);

// The session's TimeZone setting, by name.
std::string session_time_zone();
// Error(InvalidParameter) unless PostgreSQL knows the zone.
void check_time_zone(const std::string &zone);

std::string quote_ident(const std::string &name);
std::string quote_literal(const std::string &text);

// The pieces every reader of a source shares (SPI connected).
struct SourceColumn {
  std::string name;
  Oid type = InvalidOid;
};
// "schema"."table" AS src, or ( query ) AS src; Error when empty, 42P01 when unknown.
std::string source_from_clause(std::string source);
std::vector<SourceColumn> describe_source(const std::string &from);
// The one column resolution of every reader: where name is among names,
// exactly, else its one case-insensitive match; -1 when neither.
int find_column(const std::vector<std::string> &names, const std::string &name);
// find_column over a source's columns; Error(UndefinedColumn) listing them.
const SourceColumn &resolve_column(const std::vector<SourceColumn> &cols, const std::string &name, const char *role);
std::string type_name(Oid type);

// The one cursor every reader walks a source with (SPI connected): a
// read-only SELECT, fetched in batches, interrupts checked before each.
// close() it when done; an ERROR leaves it to the transaction's cleanup.
class SourceCursor {
 public:
  explicit SourceCursor(const std::string &select);
  // The next rows, up to limit; false when the source is exhausted. The
  // previous batch is freed first.
  bool fetch(long limit);
  uint64 size() const { return size_; }
  HeapTuple row(uint64 i) const { return batch_->vals[i]; }
  TupleDesc desc() const { return batch_->tupdesc; }
  void close();

 private:
  void free_batch();
  Portal portal_ = nullptr;
  SPITupleTable *batch_ = nullptr;
  uint64 size_ = 0;
};

// Every row of select to each(tuple, desc), in batches of 10,000; an
// Error(ResourceLimit) once the source has more than max_rows rows.
template <typename F>
void for_each_row(const std::string &select, long max_rows, F &&each);

// Error(ResourceLimit): the source has more than max_rows rows.
[[noreturn]] void raise_too_many_rows(long max_rows);

template <typename F>
void for_each_row(const std::string &select, long max_rows, F &&each) {
  constexpr long kFetchRows = 10000;
  SourceCursor cursor(select);
  long count = 0;
  while (cursor.fetch(kFetchRows)) {
    if (count + static_cast<long>(cursor.size()) > max_rows) raise_too_many_rows(max_rows);
    count += static_cast<long>(cursor.size());
    for (uint64 r = 0; r < cursor.size(); ++r) each(cursor.row(r), cursor.desc());
  }
  cursor.close();
}

}  // namespace xb::pg
