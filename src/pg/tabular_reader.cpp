#include "pg/tabular_reader.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>

#include "core/common/error.hpp"
#include "pg/args.hpp"
#include "pg/guard.hpp"
#include "pg/spi_reader.hpp"

namespace xb::pg {
namespace {

using Column = SourceColumn;

enum class TypeClass { Number, Boolean, Integer, Text, Bytes, Other };

TypeClass classify(Oid t) {
  if (t == INT2OID || t == INT4OID || t == INT8OID) return TypeClass::Integer;
  if (t == FLOAT4OID || t == FLOAT8OID || t == NUMERICOID) return TypeClass::Number;
  if (t == BOOLOID) return TypeClass::Boolean;
  if (t == TEXTOID || t == VARCHAROID || t == BPCHAROID || t == NAMEOID) return TypeClass::Text;
  if (t == BYTEAOID) return TypeClass::Bytes;
  char typtype = 0;
  pg_call([&] { typtype = get_typtype(t); });
  return typtype == TYPTYPE_ENUM ? TypeClass::Text : TypeClass::Other;
}

bool is_number_class(TypeClass c) {
  return c == TypeClass::Number || c == TypeClass::Integer || c == TypeClass::Boolean;
}

std::string name_list(const std::vector<std::string> &names) {
  std::string list;
  for (const auto &n : names) list += (list.empty() ? "" : ", ") + n;
  return list;
}

Error wrong_feature_type(const std::string &name, Oid type) {
  return Error(
      ErrorKind::DatatypeMismatch,
      "feature column \"" + name + "\" must be numeric, boolean, text or bytea (a picture), not " + type_name(type),
      "Cast it in a query source, e.g. 'SELECT col::text AS col, ... FROM t'.");
}

// The SELECT expression of a feature: a float8 number, a text category, or
// a picture's bytes.
std::string feature_expr(const Column &c, bool as_category) {
  const std::string ref = "src." + quote_ident(c.name);
  TypeClass k = classify(c.type);
  if (k == TypeClass::Other) throw wrong_feature_type(c.name, c.type);
  if (k == TypeClass::Bytes) return ref;
  if (as_category || k == TypeClass::Text) return ref + "::text";
  if (k == TypeClass::Boolean) return ref + "::int::float8";
  return ref + "::float8";
}

std::optional<std::string> text_cell(HeapTuple tuple, TupleDesc desc, int attno) {
  bool isnull = false;
  Datum d = SPI_getbinval(tuple, desc, attno, &isnull);
  if (isnull) return std::nullopt;
  return text_of(d);
}

double number_cell(HeapTuple tuple, TupleDesc desc, int attno) {
  bool isnull = false;
  Datum d = SPI_getbinval(tuple, desc, attno, &isnull);
  return isnull ? NAN : DatumGetFloat8(d);  // float8 is passed by value
}

// Appends one tuple's features (from attribute first_attno on) to columns.
void append_features(HeapTuple tuple, TupleDesc desc, int first_attno, std::vector<TabularColumn> &columns) {
  for (std::size_t f = 0; f < columns.size(); ++f) {
    const int attno = first_attno + static_cast<int>(f);
    if (columns[f].numeric)
      columns[f].numbers.push_back(number_cell(tuple, desc, attno));
    else
      columns[f].texts.push_back(text_cell(tuple, desc, attno));  // a bytea's bytes, for a picture
  }
}

// A number from a Datum of a numeric or boolean type.
double datum_number(Datum d, Oid type) {
  switch (type) {
    case INT2OID: return DatumGetInt16(d);
    case INT4OID: return DatumGetInt32(d);
    case INT8OID: return static_cast<double>(DatumGetInt64(d));
    case FLOAT4OID: return DatumGetFloat4(d);
    case FLOAT8OID: return DatumGetFloat8(d);
    case BOOLOID: return DatumGetBool(d) ? 1.0 : 0.0;
    case NUMERICOID: {
      double v = NAN;
      pg_call([&] { v = DatumGetFloat8(DirectFunctionCall1(numeric_float8_no_overflow, d)); });
      return v;
    }
  }
  return NAN;
}

std::string datum_text(Datum d, Oid type) {
  if (type == TEXTOID || type == VARCHAROID || type == BPCHAROID) return text_of(d);
  char *s = nullptr;
  pg_call([&] {
    Oid out;
    bool varlena;
    getTypeOutputInfo(type, &out, &varlena);
    s = OidOutputFunctionCall(out, d);
  });
  return s;
}

Error image_mismatch(const std::string &name, bool image, Oid type) {
  return image
             ? Error(ErrorKind::DatatypeMismatch,
                     "feature column \"" + name + "\" must be bytea (a picture) for this model, not " + type_name(type),
                     "The model was trained on PNG or JPEG pictures in this column.")
             : Error(ErrorKind::DatatypeMismatch,
                     "feature column \"" + name + "\" is bytea, but the model was not trained on a picture there",
                     "Cast it in a query source to the type the model was trained on.");
}

Error missing_feature(const std::string &name, const std::vector<std::string> &have, const char *what) {
  return Error(
      ErrorKind::UndefinedColumn, std::string("the ") + what + " has no feature column \"" + name + "\"",
      std::string("The model needs every feature it was trained on; the ") + what + " has: " + name_list(have) + ".");
}

}  // namespace

TabularRows read_tabular(const TabularSourceSpec &spec, long max_rows) {
  const std::string from = source_from_clause(spec.source);
  const std::vector<Column> cols = describe_source(from);
  const char *role = spec.classifier ? "label" : "target";
  const Column &label = resolve_column(cols, spec.label_col, role);
  const std::string label_ref = "src." + quote_ident(label.name);
  TabularRows rows;
  rows.label_name = label.name;
  std::string select;
  const TypeClass lk = classify(label.type);
  if (spec.classifier) {
    if (lk == TypeClass::Boolean)
      rows.label_type = LabelType::Boolean;
    else if (lk == TypeClass::Integer)
      rows.label_type = LabelType::Integer;
    else if (lk == TypeClass::Text)
      rows.label_type = LabelType::Text;
    else
      throw Error(ErrorKind::DatatypeMismatch,
                  "label column \"" + label.name + "\" must be boolean, integer or text, not " + type_name(label.type),
                  "Cast it in a query source, e.g. 'SELECT label::int AS label, ... FROM t', or train a regressor.");
    select = label_ref + "::text";
  } else {
    if (lk != TypeClass::Number && lk != TypeClass::Integer)
      throw Error(ErrorKind::DatatypeMismatch,
                  "target column \"" + label.name + "\" must be numeric, not " + type_name(label.type),
                  "Cast it in a query source, or train a classifier for labels.");
    select = label_ref + "::float8";
  }
  for (const auto &name : spec.categorical)
    if (std::find(spec.feature_cols.begin(), spec.feature_cols.end(), name) == spec.feature_cols.end())
      throw Error(ErrorKind::InvalidParameter, "option \"categorical\" names \"" + name + "\", not a feature column",
                  "List only columns of feature_cols.");
  for (const auto &f : spec.feature_cols) {
    const Column &c = resolve_column(cols, f, "feature");
    if (c.name == label.name)
      throw Error(ErrorKind::InvalidParameter, "column \"" + c.name + "\" is both the " + role + " and a feature",
                  "Leave the " + std::string(role) + " out of feature_cols.");
    for (const auto &seen : rows.features)
      if (seen.name == c.name)
        throw Error(ErrorKind::InvalidParameter, "feature column \"" + c.name + "\" is named twice");
    const bool as_category = std::find(spec.categorical.begin(), spec.categorical.end(), f) != spec.categorical.end();
    select += ", " + feature_expr(c, as_category);
    TabularColumn col;
    col.name = c.name;
    col.image = classify(c.type) == TypeClass::Bytes;
    if (col.image && as_category)
      throw Error(ErrorKind::InvalidParameter, "option \"categorical\" names \"" + c.name + "\", a bytea column",
                  "A bytea feature is a picture; leave it out of \"categorical\".");
    col.numeric = !as_category && !col.image && classify(c.type) != TypeClass::Text;
    rows.features.push_back(std::move(col));
  }
  long count = 0;
  for_each_row("SELECT " + select + " FROM " + from, max_rows, [&](HeapTuple tuple, TupleDesc desc) {
    ++count;
    bool isnull = false;
    Datum y = SPI_getbinval(tuple, desc, 1, &isnull);
    if (isnull)
      throw Error(ErrorKind::DataException,
                  std::string(role) + " column \"" + label.name + "\" is NULL in row " + std::to_string(count),
                  "Filter out rows without a " + std::string(role) + ", e.g. WHERE " + quote_ident(label.name) +
                      " IS NOT NULL in a query source.");
    if (spec.classifier)
      rows.labels.push_back(text_of(y));
    else
      rows.targets.push_back(DatumGetFloat8(y));
    append_features(tuple, desc, 2, rows.features);
  });
  if (count == 0) throw Error(ErrorKind::InsufficientData, "the source has no rows", "Check the source's filter.");
  return rows;
}

TabularBatches::TabularBatches(const std::string &source, const std::string &key_col,
                               const std::vector<TabularFeature> &features)
    : features_(features) {
  const std::string from = source_from_clause(source);
  const std::vector<Column> cols = describe_source(from);
  std::string select = "src." + quote_ident(resolve_column(cols, key_col, "key").name) + "::text";
  for (const auto &f : features) {
    std::vector<std::string> names;
    for (const auto &c : cols) names.push_back(c.name);
    int i = find_column(names, f.name);
    if (i < 0) throw missing_feature(f.name, names, "source");
    const Column &c = cols[i];
    if (f.numeric && !is_number_class(classify(c.type)))
      throw Error(ErrorKind::DatatypeMismatch,
                  "feature column \"" + c.name + "\" must be numeric for this model, not " + type_name(c.type),
                  "The model was trained on numbers in this column; cast it in a query source.");
    if (f.image != (classify(c.type) == TypeClass::Bytes)) throw image_mismatch(c.name, f.image, c.type);
    select += ", " + feature_expr(c, !f.numeric && !f.image);
  }
  cursor_.emplace("SELECT " + select + " FROM " + from);
}

bool TabularBatches::next(long limit, std::vector<std::optional<std::string>> &keys,
                          std::vector<TabularColumn> &columns) {
  keys.clear();
  columns.assign(features_.size(), TabularColumn{});
  for (std::size_t f = 0; f < features_.size(); ++f) {
    columns[f].name = features_[f].name;
    columns[f].numeric = features_[f].numeric;
    columns[f].image = features_[f].image;
  }
  if (!cursor_ || !cursor_->fetch(limit)) return false;
  for (uint64 r = 0; r < cursor_->size(); ++r) {
    keys.push_back(text_cell(cursor_->row(r), cursor_->desc(), 1));
    append_features(cursor_->row(r), cursor_->desc(), 2, columns);
  }
  return true;
}

void TabularBatches::close() {
  if (cursor_) cursor_->close();
  cursor_.reset();
}

std::vector<TabularColumn> row_columns(Datum row, const std::vector<TabularFeature> &features, long model_id,
                                       RowLayout **layout, MemoryContext mcxt) {
  HeapTupleHeader th = nullptr;
  Oid type = InvalidOid;
  int32 typmod = -1;
  pg_call([&] {
    th = DatumGetHeapTupleHeader(row);
    type = HeapTupleHeaderGetTypeId(th);
    typmod = HeapTupleHeaderGetTypMod(th);
  });
  RowLayout *map = layout ? *layout : nullptr;
  const int n = static_cast<int>(features.size());
  if (!map || map->row_type != type || map->row_typmod != typmod || map->model_id != model_id || map->count != n) {
    // Where each feature is in this row type: names copied out of the tuple descriptor first.
    int natts = 0;
    char **names = nullptr;
    Oid *types = nullptr;
    bool *dropped = nullptr;
    pg_call([&] {
      TupleDesc desc = lookup_rowtype_tupdesc(type, typmod);
      natts = desc->natts;
      names = static_cast<char **>(palloc(sizeof(char *) * std::max(natts, 1)));
      types = static_cast<Oid *>(palloc(sizeof(Oid) * std::max(natts, 1)));
      dropped = static_cast<bool *>(palloc(sizeof(bool) * std::max(natts, 1)));
      for (int i = 0; i < natts; ++i) {
        Form_pg_attribute att = TupleDescAttr(desc, i);
        names[i] = pstrdup(NameStr(att->attname));
        types[i] = att->atttypid;
        dropped[i] = att->attisdropped;
      }
      ReleaseTupleDesc(desc);
    });
    std::vector<std::string> have;
    std::vector<int> attnos;
    for (int i = 0; i < natts; ++i)
      if (!dropped[i]) {
        have.push_back(names[i]);
        attnos.push_back(i + 1);
      }
    std::vector<AttrNumber> attnum(n);
    std::vector<Oid> atttype(n);
    for (int f = 0; f < n; ++f) {
      int i = find_column(have, features[f].name);
      if (i < 0) throw missing_feature(features[f].name, have, "row");
      attnum[f] = static_cast<AttrNumber>(attnos[i]);
      atttype[f] = types[attnos[i] - 1];
      TypeClass k = classify(atttype[f]);
      if (features[f].numeric && !is_number_class(k))
        throw Error(ErrorKind::DatatypeMismatch,
                    "feature column \"" + have[i] + "\" must be numeric for this model, not " + type_name(atttype[f]),
                    "The model was trained on numbers in this column.");
      if (!features[f].numeric && k == TypeClass::Other) throw wrong_feature_type(have[i], atttype[f]);
      if (features[f].image != (k == TypeClass::Bytes)) throw image_mismatch(have[i], features[f].image, atttype[f]);
    }
    RowLayout *fresh = nullptr;
    const AttrNumber *an = attnum.data();
    const Oid *at = atttype.data();
    pg_call([&] {
      fresh = static_cast<RowLayout *>(MemoryContextAlloc(mcxt, sizeof(RowLayout)));
      fresh->attnum = static_cast<AttrNumber *>(MemoryContextAlloc(mcxt, sizeof(AttrNumber) * std::max(n, 1)));
      fresh->atttype = static_cast<Oid *>(MemoryContextAlloc(mcxt, sizeof(Oid) * std::max(n, 1)));
      memcpy(fresh->attnum, an, sizeof(AttrNumber) * n);
      memcpy(fresh->atttype, at, sizeof(Oid) * n);
    });
    fresh->row_type = type;
    fresh->row_typmod = typmod;
    fresh->model_id = model_id;
    fresh->count = n;
    if (map)
      pg_call([&] {
        pfree(map->attnum);
        pfree(map->atttype);
        pfree(map);
      });
    map = fresh;
    if (layout) *layout = map;
  }

  std::vector<Datum> values(n);
  std::vector<char> nulls(n);
  {
    Datum *v = values.data();
    char *isnull = nulls.data();
    const AttrNumber *attnum = map->attnum;
    pg_call([&] {
      TupleDesc desc = lookup_rowtype_tupdesc(type, typmod);
      HeapTupleData tuple;
      tuple.t_len = HeapTupleHeaderGetDatumLength(th);
      ItemPointerSetInvalid(&tuple.t_self);
      tuple.t_tableOid = InvalidOid;
      tuple.t_data = th;
      for (int f = 0; f < n; ++f) {
        bool null = false;
        v[f] = heap_getattr(&tuple, attnum[f], desc, &null);
        isnull[f] = null;
      }
      ReleaseTupleDesc(desc);
    });
  }
  std::vector<TabularColumn> out(features.size());
  for (int f = 0; f < n; ++f) {
    out[f].name = features[f].name;
    out[f].numeric = features[f].numeric;
    out[f].image = features[f].image;
    if (features[f].numeric)
      out[f].numbers.push_back(nulls[f] ? NAN : datum_number(values[f], map->atttype[f]));
    else if (features[f].image)
      out[f].texts.push_back(nulls[f] ? std::nullopt : std::optional<std::string>(text_of(values[f])));
    else
      out[f].texts.push_back(nulls[f] ? std::nullopt
                                      : std::optional<std::string>(datum_text(values[f], map->atttype[f])));
  }
  if (!layout)
    pg_call([&] {
      pfree(map->attnum);
      pfree(map->atttype);
      pfree(map);
    });
  return out;
}

namespace {

// One feature's value read from the jsonb itself, as feature_columns_from_json
// would read it from the jsonb's text; false where that reading is not
// certain to be the same (a number for a text feature: JSON text and jsonb
// spell numbers differently) or is an error (it words those).
bool read_jsonb_value(const JsonbValue &v, TabularColumn &column) {
  if (column.image) return false;  // a picture's hex text is decoded by the text reader
  if (column.numeric) {
    double x = NAN;
    if (v.type == jbvNumeric) {
      pg_call([&] { x = DatumGetFloat8(DirectFunctionCall1(numeric_float8, NumericGetDatum(v.val.numeric))); });
    } else if (v.type == jbvBool) {
      x = v.val.boolean ? 1 : 0;
    } else if (v.type == jbvString) {
      const std::string s(v.val.string.val, static_cast<std::size_t>(v.val.string.len));
      char *end = nullptr;
      x = std::strtod(s.c_str(), &end);
      if (s.empty() || *end != '\0') return false;
    } else if (v.type != jbvNull) {
      return false;
    }
    column.numbers.push_back(x);
    return true;
  }
  if (v.type == jbvNull) {
    column.texts.push_back(std::nullopt);
    return true;
  }
  if (v.type != jbvString) return false;
  column.texts.push_back(std::string(v.val.string.val, static_cast<std::size_t>(v.val.string.len)));
  return true;
}

}  // namespace

// Each feature looked up in the jsonb by its exact name (no text round trip
// per row); a row that needs more (a key in another case, a value only the
// text reader decides, an error to word) goes through the jsonb's text.
std::vector<TabularColumn> jsonb_columns(Datum row, const std::vector<TabularFeature> &features) {
  Jsonb *j = nullptr;
  pg_call([&] { j = DatumGetJsonbP(row); });
  std::vector<TabularColumn> out(features.size());
  bool read = JB_ROOT_IS_OBJECT(j);
  for (std::size_t f = 0; read && f < features.size(); ++f) {
    out[f].name = features[f].name;
    out[f].numeric = features[f].numeric;
    out[f].image = features[f].image;
    const std::string &name = features[f].name;
    JsonbValue key;
    key.type = jbvString;
    key.val.string.val = const_cast<char *>(name.data());
    key.val.string.len = static_cast<int>(name.size());
    JsonbValue *v = nullptr;
    pg_call([&] { v = findJsonbValueFromContainer(&j->root, JB_FOBJECT, &key); });
    read = v != nullptr && read_jsonb_value(*v, out[f]);
  }
  if (read) return out;
  char *text = nullptr;
  pg_call([&] { text = JsonbToCString(nullptr, &j->root, VARSIZE(j)); });
  return feature_columns_from_json(text, features);
}

}  // namespace xb::pg
