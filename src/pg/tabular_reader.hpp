// Reading classifier and regressor data through SPI with the caller's
// rights: training rows from a table, view or SELECT; batches to score; and
// one row to score, given as a table row (composite) or jsonb. Numeric and
// boolean columns are numbers (boolean 0/1), text, varchar, char and enum
// columns are categories; identifiers are always quoted, and names match
// exactly or, when unambiguous, case-insensitively.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "core/tabular/data.hpp"
#include "core/tabular/model.hpp"
#include "core/tabular/scorer.hpp"
#include "pg/postgres.hpp"
#include "pg/spi_reader.hpp"

namespace xb::pg {

struct TabularSourceSpec {
  std::string source;  // table or view name, or a query
  std::string label_col;
  std::vector<std::string> feature_cols;
  std::vector<std::string> categorical;  // numeric feature columns read as categories
  bool classifier = true;
};

// Requires SPI to be connected. Feature names come back as the source spells them.
TabularRows read_tabular(const TabularSourceSpec &spec, long max_rows);

// The whole of a source, in batches, for scoring (SPI connected throughout).
class TabularBatches {
 public:
  TabularBatches(const std::string &source, const std::string &key_col, const std::vector<TabularFeature> &features);
  // The next rows (up to limit); false when the source is exhausted.
  bool next(long limit, std::vector<std::optional<std::string>> &keys, std::vector<TabularColumn> &columns);
  void close();

 private:
  std::vector<TabularFeature> features_;
  std::optional<SourceCursor> cursor_;
};

// Where a row type's attributes are, per model feature: plain data kept in
// the function's fn_mcxt for the rest of the statement (no C++ objects).
struct RowLayout {
  Oid row_type;
  int32 row_typmod;
  long model_id;
  int count;
  AttrNumber *attnum;
  Oid *atttype;
};

// One-row columns for features from a composite Datum; layout (may be null)
// caches the attribute lookup in mcxt.
std::vector<TabularColumn> row_columns(Datum row, const std::vector<TabularFeature> &features, long model_id,
                                       RowLayout **layout, MemoryContext mcxt);
std::vector<TabularColumn> jsonb_columns(Datum row, const std::vector<TabularFeature> &features);

}  // namespace xb::pg
