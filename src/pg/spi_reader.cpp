#include "pg/spi_reader.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>

#include "core/common/error.hpp"
#include "core/forecast/calendar.hpp"
#include "pg/args.hpp"
#include "pg/guard.hpp"

namespace xb::pg {
namespace {

using Column = SourceColumn;

bool is_query(const std::string &source) {
  std::string head;
  for (char c : source) {
    if (std::isspace(static_cast<unsigned char>(c)) || c == '(') {
      if (!head.empty() || c == '(') break;
      continue;
    }
    head.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  return head == "select" || head == "with" || head == "values" || head == "table" ||
         source.find_first_not_of(" \t\r\n") == source.find('(');
}

// "schema"."table" AS src, or ( query ) AS src
}  // namespace

std::string source_from_clause(std::string source) {
  // A query's trailing semicolons and blanks would break the wrapping.
  source.erase(source.find_last_not_of(" \t\r\n;") + 1);
  if (source.empty())
    throw Error(ErrorKind::InvalidParameter, "source must not be empty",
                "Pass a table or view name, or a query such as 'SELECT ... FROM ...'.");
  if (is_query(source)) return "(" + source + ") AS src";
  const char *name = source.c_str();
  char *qualified = nullptr;
  pg_call([&] {
    RangeVar *rv = makeRangeVarFromNameList(stringToQualifiedNameList(name));
    Oid relid = RangeVarGetRelid(rv, AccessShareLock, true);
    if (!OidIsValid(relid))
      ereport(ERROR, (errcode(ERRCODE_UNDEFINED_TABLE), errmsg("source \"%s\" does not exist", name),
                      errhint("Pass a table or view name, or a query such as 'SELECT ... FROM ...'.")));
    qualified = quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)), get_rel_name(relid));
  });
  return std::string(qualified) + " AS src";
}

std::vector<SourceColumn> describe_source(const std::string &from) {
  std::string sql = "SELECT * FROM " + from + " LIMIT 0";
  const char *q = sql.c_str();
  int natts = 0;
  TupleDesc desc = nullptr;
  pg_call([&] {
    SPI_execute(q, true, 0);
    desc = SPI_tuptable->tupdesc;
    natts = desc->natts;
  });
  std::vector<Column> cols;
  for (int i = 0; i < natts; ++i) {
    Form_pg_attribute att = TupleDescAttr(desc, i);
    if (!att->attisdropped) cols.push_back({NameStr(att->attname), att->atttypid});
  }
  return cols;
}

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

}  // namespace

int find_column(const std::vector<std::string> &names, const std::string &name) {
  for (std::size_t i = 0; i < names.size(); ++i)
    if (names[i] == name) return static_cast<int>(i);
  int found = -1, matches = 0;
  for (std::size_t i = 0; i < names.size(); ++i)
    if (lower(names[i]) == lower(name)) {
      found = static_cast<int>(i);
      ++matches;
    }
  return matches == 1 ? found : -1;
}

const SourceColumn &resolve_column(const std::vector<SourceColumn> &cols, const std::string &name, const char *role) {
  std::vector<std::string> names;
  for (const auto &c : cols) names.push_back(c.name);
  const int i = find_column(names, name);
  if (i >= 0) return cols[static_cast<std::size_t>(i)];
  std::string list;
  for (const auto &c : cols) list += (list.empty() ? "" : ", ") + c.name;
  throw Error(ErrorKind::UndefinedColumn, std::string(role) + " column \"" + name + "\" does not exist in the source",
              "The source has columns: " + list + ".");
}

SourceCursor::SourceCursor(const std::string &select) {
  const char *q = select.c_str();
  Portal portal = nullptr;
  pg_call([&] {
    SPIPlanPtr plan = SPI_prepare(q, 0, nullptr);
    if (!plan) elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
    portal = SPI_cursor_open(nullptr, plan, nullptr, nullptr, true);
  });
  portal_ = portal;
}

bool SourceCursor::fetch(long limit) {
  free_batch();
  Portal portal = portal_;
  SPITupleTable *batch = nullptr;
  uint64 fetched = 0;
  pg_call([&] {
    CHECK_FOR_INTERRUPTS();
    SPI_cursor_fetch(portal, true, limit);
    fetched = SPI_processed;
    batch = SPI_tuptable;
  });
  batch_ = batch;
  size_ = fetched;
  return fetched > 0;
}

void SourceCursor::free_batch() {
  if (!batch_) return;
  SPITupleTable *batch = batch_;
  batch_ = nullptr;
  size_ = 0;
  pg_call([&] { SPI_freetuptable(batch); });
}

void SourceCursor::close() {
  free_batch();
  if (!portal_) return;
  Portal portal = portal_;
  portal_ = nullptr;
  pg_call([&] { SPI_cursor_close(portal); });
}

void raise_too_many_rows(long max_rows) {
  throw Error(ErrorKind::ResourceLimit, "the source has more than " + std::to_string(max_rows) + " rows",
              "Filter the source, or raise xb.max_train_rows.");
}

std::string type_name(Oid type) {
  char *name = nullptr;
  pg_call([&] { name = format_type_be(type); });
  return name;
}

namespace {

bool is_numeric(Oid t) {
  return t == INT2OID || t == INT4OID || t == INT8OID || t == FLOAT4OID || t == FLOAT8OID || t == NUMERICOID;
}

// A timestamptz is read as the wall-clock time in the spec's time zone, so
// weekly rows at local midnight are 7 days apart across daylight saving.
std::string time_expr(const Column &c, const std::string &time_zone) {
  std::string ref = "src." + quote_ident(c.name);
  if (c.type == DATEOID || c.type == TIMESTAMPOID) return ref + "::timestamp";
  if (c.type == TIMESTAMPTZOID)
    return "(" + ref + " AT TIME ZONE " + quote_literal(time_zone.empty() ? "UTC" : time_zone) + ")";
  throw Error(ErrorKind::DatatypeMismatch,
              "time column \"" + c.name + "\" must be date, timestamp or timestamptz, not " + type_name(c.type),
              "Cast it in a query source, e.g. 'SELECT day::date AS day, ... FROM t'.");
}

// Text-like columns (text, varchar, char, name, enums) are categorical covariates.
bool is_text_like(Oid t) {
  if (t == TEXTOID || t == VARCHAROID || t == BPCHAROID || t == NAMEOID) return true;
  bool is_enum = false;
  pg_call([&] { is_enum = type_is_enum(t); });
  return is_enum;
}

std::string number_expr(const Column &c, const char *role) {
  std::string ref = "src." + quote_ident(c.name);
  if (is_numeric(c.type)) return ref + "::float8";
  if (c.type == BOOLOID && std::string(role) == "feature") return ref + "::int::float8";
  throw Error(ErrorKind::DatatypeMismatch,
              std::string(role) + " column \"" + c.name + "\" must be numeric, not " + type_name(c.type),
              std::string(role) == "target"
                  ? "Forecast a numeric column, or cast it in a query source."
                  : "Use numeric, boolean or text covariates, or cast them in a query source.");
}

// Where a bad value is, as the user knows the data: the series and time
// when they have been read, with the source's row number beside them.
std::string describe_row(const SeriesRows &rows, std::size_t r) {
  std::string where;
  if (r < rows.series_key.size() && !rows.series_key[r].empty()) where = "series \"" + rows.series_key[r] + "\"";
  if (r < rows.time.size()) where += (where.empty() ? "" : " ") + std::string("at ") + format_time(rows.time[r]);
  const std::string row = "row " + std::to_string(r + 1);
  return where.empty() ? row : where + " (" + row + " of the source)";
}

}  // namespace

std::string quote_literal(const std::string &text) {
  const char *in = text.c_str();
  const char *out = nullptr;
  pg_call([&] { out = quote_literal_cstr(in); });
  return out;
}

std::string quote_ident(const std::string &name) {
  const char *in = name.c_str();
  const char *out = nullptr;
  pg_call([&] { out = quote_identifier(in); });
  return out;
}

std::string session_time_zone() {
  const char *name = nullptr;
  pg_call([&] { name = pg_get_timezone_name(session_timezone); });
  return name ? name : "UTC";
}

void check_time_zone(const std::string &zone) {
  const char *name = zone.c_str();
  bool known = false;
  pg_call([&] { known = pg_tzset(name) != nullptr; });
  if (!known)
    throw Error(ErrorKind::InvalidParameter, "option \"time_zone\" names no time zone: \"" + zone + "\"",
                "Use a name from pg_timezone_names, e.g. \"Europe/Berlin\" or \"UTC\".");
}

SeriesRows read_series(const SourceSpec &spec, long max_rows, bool nulls_as_missing, std::string *zone_used) {
  const std::string from = source_from_clause(spec.source);
  const std::vector<Column> cols = describe_source(from);
  const Column &time = resolve_column(cols, spec.time_col, "time");
  const bool zoned = time.type == TIMESTAMPTZOID;
  // Local times, and UTC beside them (the last column) to fall back on.
  const bool both = zoned && spec.local_if_midnight && !spec.time_zone.empty();
  std::vector<Timestamp> utc;

  // Select list: series keys, time, [target], numeric features, text features.
  std::string select;
  for (const auto &s : spec.series_cols)
    select += "src." + quote_ident(resolve_column(cols, s, "series").name) + "::text, ";
  select += time_expr(time, spec.time_zone);
  const bool has_target = !spec.target_col.empty();
  if (has_target) select += ", " + number_expr(resolve_column(cols, spec.target_col, "target"), "target");
  SeriesRows rows;
  std::string text_select;
  for (const auto &f : spec.feature_cols) {
    const Column &c = resolve_column(cols, f, "feature");
    if (is_text_like(c.type)) {
      text_select += ", src." + quote_ident(c.name) + "::text";
      rows.text_feature_names.push_back(c.name);
    } else {
      select += ", " + number_expr(c, "feature");
      rows.feature_names.push_back(c.name);
    }
  }
  const std::string sql =
      "SELECT " + select + text_select + (both ? ", " + time_expr(time, "UTC") : std::string()) + " FROM " + from;

  const int ns = static_cast<int>(spec.series_cols.size());
  const int nf = static_cast<int>(rows.feature_names.size());
  const int nt = static_cast<int>(rows.text_feature_names.size());
  const int time_att = ns + 1, target_att = ns + 2, first_feature = ns + (has_target ? 3 : 2);
  for_each_row(sql, max_rows, [&](HeapTuple tuple, TupleDesc desc) {
    bool isnull = false;
    std::string key;
    for (int s = 0; s < ns; ++s) {
      Datum d = SPI_getbinval(tuple, desc, s + 1, &isnull);
      if (isnull)
        throw Error(ErrorKind::DataException,
                    "series column \"" + spec.series_cols[s] + "\" is NULL in row " + std::to_string(rows.rows() + 1),
                    "Filter out or COALESCE NULL series keys in the source.");
      key += (s ? "|" : "") + text_of(d);
    }
    rows.series_key.push_back(std::move(key));
    Datum t = SPI_getbinval(tuple, desc, time_att, &isnull);
    if (isnull)
      throw Error(ErrorKind::DataException,
                  "time column \"" + spec.time_col + "\" is NULL in " + describe_row(rows, rows.rows()));
    Timestamp ts = DatumGetTimestamp(t);
    if (TIMESTAMP_NOT_FINITE(ts))
      throw Error(ErrorKind::DataException,
                  "time column \"" + spec.time_col + "\" is infinite in " + describe_row(rows, rows.rows()));
    rows.time.push_back(ts);
    double y = std::nan("");
    if (has_target) {
      Datum d = SPI_getbinval(tuple, desc, target_att, &isnull);
      if (isnull && !nulls_as_missing)
        throw Error(ErrorKind::DataException,
                    "target column \"" + spec.target_col + "\" is NULL in " + describe_row(rows, rows.rows() - 1),
                    "Filter out NULL targets, fill them in the source, or set options.invalid to \"drop\".");
      if (!isnull) y = DatumGetFloat8(d);
    }
    rows.target.push_back(y);
    for (int f = 0; f < nf + nt; ++f) {
      Datum x = SPI_getbinval(tuple, desc, first_feature + f, &isnull);
      const std::string &name = f < nf ? rows.feature_names[f] : rows.text_feature_names[f - nf];
      if (isnull && !nulls_as_missing && f < nf)
        throw Error(ErrorKind::DataException,
                    "feature column \"" + name + "\" is NULL in " + describe_row(rows, rows.rows() - 1),
                    "Filter out or fill NULL covariates in the source, or set options.invalid to \"drop\".");
      if (f < nf)
        rows.features.push_back(isnull ? std::nan("") : DatumGetFloat8(x));
      else
        rows.text_features.push_back(isnull ? std::string() : text_of(x));
    }
    if (both) utc.push_back(DatumGetTimestamp(SPI_getbinval(tuple, desc, first_feature + nf + nt, &isnull)));
  });
  std::string zone = zoned ? (spec.time_zone.empty() ? "UTC" : spec.time_zone) : "";
  if (both) {
    const bool midnights = std::all_of(rows.time.begin(), rows.time.end(), [](Timestamp t) {
      return (t % USECS_PER_DAY + USECS_PER_DAY) % USECS_PER_DAY == 0;
    });
    if (!midnights) {
      rows.time = std::move(utc);
      zone = "UTC";
    }
  }
  if (zone_used) *zone_used = zone;
  return rows;
}

}  // namespace xb::pg
