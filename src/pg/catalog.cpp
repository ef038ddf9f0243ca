#include "pg/catalog.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

#include "core/common/blob.hpp"
#include "core/common/error.hpp"
#include "core/model_info.hpp"
#include "pg/args.hpp"
#include "pg/guard.hpp"
#include "pg_base/guc.hpp"

namespace xb::pg {
namespace {

// Every statement below runs as the catalog's owner with search_path pinned
// to pg_catalog (write_catalog), so none names an object of the caller's.

constexpr const char *kInsertMetrics = R"SQL(
INSERT INTO xb.model_metrics (model_id, split, estimator, metric, value)
SELECT $1, u.split, u.estimator, u.metric, u.value
FROM unnest($2::text[], $3::text[], $4::text[], $5::float8[]) AS u(split, estimator, metric, value))SQL";

constexpr const char *kInsertLog = R"SQL(
INSERT INTO xb.training_log (model_id, member, epoch, train_loss, validation_loss, learning_rate, seconds)
SELECT $1, u.* FROM unnest($2::int[], $3::int[], $4::float8[], $5::float8[], $6::float8[], $7::float8[]) AS u)SQL";

// A score that is not a finite number (a failed trial, a classifier's WAPE) is NULL.
constexpr const char *kInsertTrials = R"SQL(
INSERT INTO xb.trials (model_id, trial, arch, params, validation_wape, validation_mase, validation_smape, seconds,
                       chosen, validation_metric, validation_score)
SELECT $1, u.trial, u.arch, u.params::jsonb, nullif(u.wape, 'NaN'), nullif(u.mase, 'NaN'), nullif(u.smape, 'NaN'),
       u.seconds, u.chosen, u.metric, nullif(u.score, 'NaN')
FROM unnest($2::int[], $3::text[], $4::text[], $5::float8[], $6::float8[], $7::float8[], $8::float8[], $9::bool[],
            $10::text[], $11::float8[])
  AS u(trial, arch, params, wape, mase, smape, seconds, chosen, metric, score))SQL";

constexpr const char *kInsertResiduals = R"SQL(
INSERT INTO xb.residuals (model_id, series, ts, step, actual, fitted, lo, hi)
SELECT $1, u.series, u.ts, u.step, u.actual, u.fitted, nullif(u.lo, 'NaN'), nullif(u.hi, 'NaN')
FROM unnest($2::text[], $3::timestamp[], $4::int[], $5::float8[], $6::float8[], $7::float8[], $8::float8[])
  AS u(series, ts, step, actual, fitted, lo, hi))SQL";

// Read as the caller, after find_model: row-level security shows only what it may use.
constexpr const char *kSelectModel = R"SQL(
SELECT id, version, kind, arch, coalesce(horizon, 0), options::text, source, coalesce(time_col, ''),
       coalesce(target_col, ''), series_cols, feature_cols, weights, source_author::text, source_search_path,
       coalesce(lineage->>'arch_requested', arch), xmin::text || '/' || ctid::text
FROM xb.models WHERE id = $1)SQL";

// Datums for SPI parameters, built in the SPI memory context. Values are
// plain pointers and numbers: nothing here may throw while PG_TRY is active.
struct Params {
  static constexpr int kMax = 32;
  Oid types[kMax];
  Datum values[kMax];
  char nulls[kMax];
  int count = 0;

  void add(Oid type, Datum value, bool is_null = false) {
    if (count == kMax) throw std::logic_error("xb catalog statement with more than 32 parameters");
    types[count] = type;
    values[count] = value;
    nulls[count] = is_null ? 'n' : ' ';
    ++count;
  }
};

// A jsonb Datum parsed from JSON text (an ERROR, raised as PgError, when it is not JSON).
Datum jsonb_datum(const std::string &json) {
  const char *c = json.c_str();
  Datum d = 0;
  pg_call([&] { d = DirectFunctionCall1(jsonb_in, CStringGetDatum(c)); });
  return d;
}

// A one-dimensional array of elem_type from Datums of that type.
Datum datum_array(const std::vector<Datum> &elems, Oid elem_type) {
  const Datum *e = elems.data();
  int n = static_cast<int>(elems.size());
  Datum d = 0;
  pg_call([&] {
    int16 len;
    bool byval;
    char align;
    get_typlenbyvalalign(elem_type, &len, &byval, &align);
    d = PointerGetDatum(construct_array(const_cast<Datum *>(e), n, elem_type, len, byval, align));
  });
  return d;
}

Datum text_array(const std::vector<std::string> &items) {
  std::vector<Datum> elems;
  for (const auto &s : items) elems.push_back(text_datum(s));
  return datum_array(elems, TEXTOID);
}

Datum float8_array(const std::vector<double> &items) {
  std::vector<Datum> elems;
  for (double v : items) elems.push_back(Float8GetDatum(v));
  return datum_array(elems, FLOAT8OID);
}

Datum int4_array(const std::vector<int> &items) {
  std::vector<Datum> elems;
  for (int v : items) elems.push_back(Int32GetDatum(v));
  return datum_array(elems, INT4OID);
}

Datum timestamp_array(const std::vector<Micros> &items) {
  std::vector<Datum> elems;
  for (Micros v : items) elems.push_back(TimestampGetDatum(v));
  return datum_array(elems, TIMESTAMPOID);
}

std::vector<std::string> text_array_items(Datum array) {
  std::vector<std::string> out;
  Datum *elems = nullptr;
  bool *nulls = nullptr;
  int n = 0;
  pg_call([&] { deconstruct_array(DatumGetArrayTypeP(array), TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n); });
  for (int i = 0; i < n; ++i)
    if (!nulls[i]) out.push_back(text_of(elems[i]));
  return out;
}

// Runs a statement and returns the first column of its first row (or 0).
long execute(const char *sql, const Params &p, int expected) {
  long id = 0;
  const Params *pp = &p;
  pg_call([&] {
    int rc = SPI_execute_with_args(sql, pp->count, const_cast<Oid *>(pp->types), const_cast<Datum *>(pp->values),
                                   pp->nulls, false, 0);
    if (rc != expected) elog(ERROR, "xb catalog statement failed: %s", SPI_result_code_string(rc));
    if ((rc == SPI_OK_INSERT_RETURNING || rc == SPI_OK_SELECT) && SPI_processed >= 1) {
      bool isnull = false;
      Datum d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
      if (!isnull) {
        const Oid type = SPI_gettypeid(SPI_tuptable->tupdesc, 1);
        id = type == INT8OID   ? DatumGetInt64(d)
             : type == INT4OID ? DatumGetInt32(d)
             : type == BOOLOID ? DatumGetBool(d)
                               : 0;
      }
    } else if (rc == SPI_OK_INSERT || rc == SPI_OK_DELETE || rc == SPI_OK_UPDATE) {
      id = static_cast<long>(SPI_processed);
    }
  });
  return id;
}

long execute1(const char *sql, Oid type, Datum value, int expected) {
  Params p;
  p.add(type, value);
  return execute(sql, p, expected);
}

// A jsonb object built by PostgreSQL (jsonb_build_object over parameters),
// so every key and value is escaped as JSON wherever it came from.
class JsonObject {
 public:
  JsonObject &string(const char *key, const std::string &v) { return add(key, TEXTOID, text_datum(v)); }
  JsonObject &number(const char *key, long v) { return add(key, INT8OID, Int64GetDatum(v)); }
  JsonObject &numbers(const char *key, const std::vector<int> &v) { return add(key, INT4ARRAYOID, int4_array(v)); }
  JsonObject &real(const char *key, double v) { return add(key, FLOAT8OID, Float8GetDatum(v)); }
  JsonObject &json(const char *key, Datum jsonb) { return add(key, JSONBOID, jsonb); }

  Datum build() const {
    std::string sql = "SELECT pg_catalog.jsonb_build_object(";
    for (int i = 1; i <= p_.count; ++i) sql += (i > 1 ? ", $" : "$") + std::to_string(i);
    sql += ")";
    const char *q = sql.c_str();
    const Params *pp = &p_;
    Datum d = 0;
    pg_call([&] {
      const int rc = SPI_execute_with_args(q, pp->count, const_cast<Oid *>(pp->types), const_cast<Datum *>(pp->values),
                                           pp->nulls, true, 1);
      if (rc != SPI_OK_SELECT || SPI_processed != 1)
        elog(ERROR, "xb could not build a jsonb object: %s", SPI_result_code_string(rc));
      bool isnull = false;
      d = datumCopy(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull), false, -1);
    });
    return d;
  }

 private:
  JsonObject &add(const char *key, Oid type, Datum value) {
    p_.add(TEXTOID, text_datum(key));
    p_.add(type, value);
    return *this;
  }
  Params p_;
};

// Where a training's time went, in the lineage: reading the source (the
// boundary), preparing (core: until the first epoch began) and training
// (the rest of the core's time, which xb.models.train_seconds holds whole).
Datum phase_seconds(double read, double prepare, double core) {
  const auto ms = [](double s) { return std::round(s * 1000) / 1000; };
  return JsonObject().real("read", ms(read)).real("prepare", ms(prepare)).real("train", ms(core - prepare)).build();
}

// One row of xb.models: each value is given with its column's name, and
// insert() names the columns in the order they were set, so no value hangs
// on a parameter's position. A column left unset gets its default.
class ModelRow {
 public:
  ModelRow &text(const char *column, const std::string &v) { return set(column, TEXTOID, text_datum(v)); }
  ModelRow &texts(const char *column, const std::vector<std::string> &v) {
    return set(column, TEXTARRAYOID, text_array(v));
  }
  ModelRow &json(const char *column, const std::string &v) { return set(column, JSONBOID, jsonb_datum(v)); }
  ModelRow &json(const char *column, Datum jsonb) { return set(column, JSONBOID, jsonb); }
  ModelRow &integer(const char *column, int v) { return set(column, INT4OID, Int32GetDatum(v)); }
  ModelRow &bigint(const char *column, long v) { return set(column, INT8OID, Int64GetDatum(v)); }
  ModelRow &float8(const char *column, double v) { return set(column, FLOAT8OID, Float8GetDatum(v)); }
  ModelRow &timestamp(const char *column, Micros v) { return set(column, TIMESTAMPOID, TimestampGetDatum(v)); }
  ModelRow &boolean(const char *column, bool v) { return set(column, BOOLOID, BoolGetDatum(v)); }
  ModelRow &bytes(const char *column, const std::string &v) {
    return set(column, BYTEAOID, bytea_datum(v, "the model"));
  }

  // INSERT ... RETURNING id; as the catalog's owner (inside write_catalog).
  long insert() const {
    std::string columns, values;
    for (std::size_t i = 0; i < columns_.size(); ++i) {
      columns += (i ? ", " : "") + quote_ident(columns_[i]);
      values += (i ? ", $" : "$") + std::to_string(i + 1);
    }
    const std::string sql = "INSERT INTO xb.models (" + columns + ") VALUES (" + values + ") RETURNING id";
    return execute(sql.c_str(), params_, SPI_OK_INSERT_RETURNING);
  }

 private:
  ModelRow &set(const char *column, Oid type, Datum value) {
    if (std::find(columns_.begin(), columns_.end(), column) != columns_.end())
      throw std::logic_error(std::string("xb.models column set twice: ") + column);
    columns_.emplace_back(column);
    params_.add(type, value);
    return *this;
  }
  std::vector<std::string> columns_;
  Params params_;
};

}  // namespace

void lock_name(const std::string &name) {
  execute1("SELECT pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('xb.models'), pg_catalog.hashtext($1))",
           TEXTOID, text_datum(name), SPI_OK_SELECT);
}

namespace {

struct NewVersion {
  int version = 0;
  bool deployed = false;
};

// Starts a new version of name: the per-name lock (keeps versions unique and
// one deployed), the 'manage' check, a new name claimed by the caller, the
// deployed version retired when the new one is deployed (always when
// deploy_requested, else only when none is). The caller adds the row.
NewVersion begin_model_version(const std::string &name, bool deploy_requested) {
  lock_name(name);
  NewVersion v;
  write_catalog(name, Right::Manage, [&](const std::string &caller) {
    Params p;
    p.add(TEXTOID, text_datum(name));
    p.add(TEXTOID, text_datum(caller));
    execute("INSERT INTO xb.model_names (name, owner) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING", p, SPI_OK_INSERT);
    const Datum n = text_datum(name);
    v.deployed = deploy_requested || execute1("SELECT NOT EXISTS (SELECT FROM xb.models WHERE name = $1 AND deployed)",
                                              TEXTOID, n, SPI_OK_SELECT) != 0;
    if (v.deployed)
      execute1("UPDATE xb.models SET deployed = false WHERE name = $1 AND deployed", TEXTOID, n, SPI_OK_UPDATE);
    // Never a number the name has had: a dropped version's stays retired,
    // so a version number names one model for the name's whole life.
    v.version = static_cast<int>(execute1(
        "SELECT greatest(coalesce(max(m.version), 0), (SELECT n.last_version FROM xb.model_names n WHERE n.name = $1)) "
        "+ 1 FROM xb.models m WHERE m.name = $1",
        TEXTOID, n, SPI_OK_SELECT));
    Params last;
    last.add(TEXTOID, n);
    last.add(INT4OID, Int32GetDatum(v.version));
    execute("UPDATE xb.model_names SET last_version = $2 WHERE name = $1", last, SPI_OK_UPDATE);
  });
  return v;
}

void insert_trial_rows(long id, const std::vector<TrialRecord> &trials) {
  if (trials.empty()) return;
  std::vector<int> trial;
  std::vector<std::string> arch, params, metric;
  std::vector<double> wape, mase, smape, seconds, score;
  std::vector<Datum> chosen;
  for (const auto &t : trials) {
    metric.push_back(t.metric);
    score.push_back(std::isfinite(t.score) ? t.score : NAN);
    trial.push_back(t.trial);
    arch.push_back(t.arch);
    params.push_back(t.options_json);
    wape.push_back(t.val_wape);
    mase.push_back(t.val_mase);
    smape.push_back(t.val_smape);
    seconds.push_back(t.seconds);
    chosen.push_back(BoolGetDatum(t.chosen));
  }
  Params tp;
  tp.add(INT8OID, Int64GetDatum(id));
  tp.add(INT4ARRAYOID, int4_array(trial));
  tp.add(TEXTARRAYOID, text_array(arch));
  tp.add(TEXTARRAYOID, text_array(params));
  tp.add(FLOAT8ARRAYOID, float8_array(wape));
  tp.add(FLOAT8ARRAYOID, float8_array(mase));
  tp.add(FLOAT8ARRAYOID, float8_array(smape));
  tp.add(FLOAT8ARRAYOID, float8_array(seconds));
  tp.add(BOOLARRAYOID, datum_array(chosen, BOOLOID));
  tp.add(TEXTARRAYOID, text_array(metric));
  tp.add(FLOAT8ARRAYOID, float8_array(score));
  execute(kInsertTrials, tp, SPI_OK_INSERT);
}

void insert_metric_rows(long id, const std::vector<MetricRow> &metrics) {
  std::vector<std::string> split, estimator, metric;
  std::vector<double> value;
  for (const auto &r : metrics) {
    split.push_back(r.split);
    estimator.push_back(r.estimator);
    metric.push_back(r.metric);
    value.push_back(r.value);
  }
  Params mp;
  mp.add(INT8OID, Int64GetDatum(id));
  mp.add(TEXTARRAYOID, text_array(split));
  mp.add(TEXTARRAYOID, text_array(estimator));
  mp.add(TEXTARRAYOID, text_array(metric));
  mp.add(FLOAT8ARRAYOID, float8_array(value));
  execute(kInsertMetrics, mp, SPI_OK_INSERT);
}

void insert_epoch_rows(long id, const std::vector<EpochRecord> &epochs) {
  std::vector<int> member, epoch;
  std::vector<double> train_loss, val_loss, lr, seconds;
  for (const auto &e : epochs) {
    member.push_back(e.member);
    epoch.push_back(e.epoch);
    train_loss.push_back(e.train_loss);
    val_loss.push_back(e.val_loss);
    lr.push_back(e.lr);
    seconds.push_back(e.seconds);
  }
  Params lp;
  lp.add(INT8OID, Int64GetDatum(id));
  lp.add(INT4ARRAYOID, int4_array(member));
  lp.add(INT4ARRAYOID, int4_array(epoch));
  lp.add(FLOAT8ARRAYOID, float8_array(train_loss));
  lp.add(FLOAT8ARRAYOID, float8_array(val_loss));
  lp.add(FLOAT8ARRAYOID, float8_array(lr));
  lp.add(FLOAT8ARRAYOID, float8_array(seconds));
  execute(kInsertLog, lp, SPI_OK_INSERT);
}

}  // namespace

long insert_forecaster(const NewForecaster &m) {
  const TrainedForecaster &t = *m.trained;
  const Datum lineage = JsonObject()
                            .string("frequency", t.frequency)
                            .number("series", t.series_used)
                            .number("series_skipped", t.series_skipped)
                            .number("rows_dropped", t.rows_dropped)
                            .string("arch_requested", m.arch)
                            .numbers("best_epochs", t.best_epochs)
                            .string("runtime", t.device)
                            .string("xb", XB_VERSION)
                            .json("seconds", phase_seconds(m.read_seconds, t.prepare_seconds, t.seconds))
                            .build();
  ModelRow row;
  row.text("name", m.name).text("kind", "forecaster").text("arch", t.arch);
  row.text("source", m.source.source).text("time_col", m.source.time_col).text("target_col", m.source.target_col);
  row.texts("series_cols", m.source.series_cols).texts("feature_cols", m.source.feature_cols);
  row.integer("horizon", m.horizon).json("options", m.options_json).json("hyperparameters", t.hyperparameters_json);
  row.bigint("train_rows", m.train_rows).timestamp("time_from", t.time_from).timestamp("time_to", t.time_to);
  row.json("lineage", lineage).text("device", t.device).float8("train_seconds", t.seconds);
  row.text("status", "trained").boolean("deployed", true).bytes("weights", t.blob);
  row.text("source_author", m.author.role).text("source_search_path", m.author.search_path);
  row.integer("version", begin_model_version(m.name, true).version);

  std::vector<std::string> series;
  std::vector<Micros> ts;
  std::vector<int> step;
  std::vector<double> actual, fitted, lo, hi;
  for (const auto &r : t.residuals) {
    series.push_back(r.series);
    ts.push_back(r.ts);
    step.push_back(r.step);
    actual.push_back(r.actual);
    fitted.push_back(r.fitted);
    lo.push_back(r.lo);
    hi.push_back(r.hi);
  }
  Params rp;
  rp.add(INT8OID, 0);  // the new id, set below
  rp.add(TEXTARRAYOID, text_array(series));
  rp.add(TIMESTAMPARRAYOID, timestamp_array(ts));
  rp.add(INT4ARRAYOID, int4_array(step));
  rp.add(FLOAT8ARRAYOID, float8_array(actual));
  rp.add(FLOAT8ARRAYOID, float8_array(fitted));
  rp.add(FLOAT8ARRAYOID, float8_array(lo));
  rp.add(FLOAT8ARRAYOID, float8_array(hi));

  long id = 0;
  write_catalog(m.name, Right::Manage, [&](const std::string &caller) {
    id = row.text("owner", caller).insert();
    rp.values[0] = Int64GetDatum(id);
    insert_metric_rows(id, t.metrics);
    insert_epoch_rows(id, t.epochs);
    insert_trial_rows(id, t.trials);
    execute(kInsertResiduals, rp, SPI_OK_INSERT);
  });
  return id;
}

StoredModel stored_model(const std::string &name, Right needed, std::optional<int> wanted, bool with_weights) {
  const ModelVersion version = find_model(name, needed, wanted);
  Params p;
  p.add(INT8OID, Int64GetDatum(version.id));
  const Params *pp = &p;
  bool found = false;
  StoredModel m;
  constexpr int kCols = 16;
  Datum cols[kCols];
  bool nulls[kCols];
  // weights is not the caller's to read (only xb's functions hand it out):
  // the row is read as the catalog's owner, after find_model's check, with
  // a new snapshot (not read-only), as find_model reads.
  as_catalog_owner([&] {
    pg_call([&] {
      SPI_execute_with_args(kSelectModel, 1, const_cast<Oid *>(pp->types), const_cast<Datum *>(pp->values), pp->nulls,
                            false, 1);
      if (SPI_processed == 1) {
        found = true;
        for (int i = 0; i < kCols; ++i)
          cols[i] = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, i + 1, &nulls[i]);
      }
    });
  });
  if (!found)
    throw Error(ErrorKind::UndefinedObject, "model \"" + name + "\" was dropped while in use",
                "Run the statement again.");
  m.id = DatumGetInt64(cols[0]);
  m.version = DatumGetInt32(cols[1]);
  m.stamp = text_of(cols[15]);
  m.kind = text_of(cols[2]);
  m.arch = text_of(cols[3]);
  m.horizon = DatumGetInt32(cols[4]);
  m.options_json = text_of(cols[5]);
  m.source.source = text_of(cols[6]);
  m.source.time_col = text_of(cols[7]);
  m.source.target_col = text_of(cols[8]);
  m.source.series_cols = text_array_items(cols[9]);
  m.source.feature_cols = text_array_items(cols[10]);
  m.author.role = text_of(cols[12]);
  m.author.search_path = text_of(cols[13]);
  m.arch_requested = text_of(cols[14]);
  if (!with_weights) return m;  // the weights stay in TOAST, never read
  bytea *weights = nullptr;
  if (!nulls[11]) pg_call([&] { weights = DatumGetByteaPP(cols[11]); });
  if (!weights) throw Error(ErrorKind::CorruptModel, "model \"" + name + "\" has no weights");
  m.bytes.assign(VARDATA_ANY(weights), VARSIZE_ANY_EXHDR(weights));
  return m;
}

}  // namespace xb::pg

// ---------------------------------------------------------------------------
// Classifiers and regressors (product customization)
// ---------------------------------------------------------------------------

namespace xb::pg {
namespace {

// Runs a read-only query with one parameter; copies nothing, the caller reads SPI_tuptable.
// With a new snapshot, as find_model reads: a row it found (committed since
// the statement began, say) is seen here too.
uint64 select_one(const char *sql, Oid type, Datum value) {
  Params p;
  p.add(type, value);
  const Params *pp = &p;
  uint64 n = 0;
  pg_call([&] {
    SPI_execute_with_args(sql, 1, const_cast<Oid *>(pp->types), const_cast<Datum *>(pp->values), pp->nulls, false, 1);
    n = SPI_processed;
  });
  return n;
}

}  // namespace

long insert_tabular_model(const NewTabularModel &m) {
  const TrainedTabular &t = *m.trained;
  const Datum lineage = JsonObject()
                            .string("runtime", t.device)
                            .number("best_epoch", t.best_epoch)
                            .string("xb", XB_VERSION)
                            .json("seconds", phase_seconds(m.read_seconds, t.prepare_seconds, t.seconds))
                            .build();
  ModelRow row;
  row.text("name", m.name).text("kind", m.kind).text("arch", "mlp");
  row.text("source", m.source).text("target_col", m.label_col).texts("feature_cols", m.feature_cols);
  row.json("options", m.options_json)
      .json("hyperparameters", t.hyperparameters_json)
      .bigint("train_rows", m.train_rows);
  row.json("lineage", lineage).text("device", t.device).float8("train_seconds", t.seconds);
  row.text("status", "trained").boolean("deployed", true).bytes("weights", t.blob);
  row.text("source_author", m.author.role).text("source_search_path", m.author.search_path);
  row.integer("version", begin_model_version(m.name, true).version);
  long id = 0;
  write_catalog(m.name, Right::Manage, [&](const std::string &caller) {
    id = row.text("owner", caller).insert();
    insert_metric_rows(id, t.metrics);
    insert_epoch_rows(id, t.epochs);
    insert_trial_rows(id, t.trials);
  });
  return id;
}

std::string model_bytes(long id) {
  uint64 found = 0;
  as_catalog_owner(
      [&] { found = select_one("SELECT weights FROM xb.models WHERE id = $1", INT8OID, Int64GetDatum(id)); });
  if (found != 1)
    throw Error(ErrorKind::UndefinedObject, "model id " + std::to_string(id) + " does not exist",
                "The model was dropped while in use; run the statement again.");
  bytea *weights = nullptr;
  pg_call([&] {
    bool isnull = false;
    Datum d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
    if (!isnull) weights = DatumGetByteaPP(d);
  });
  if (!weights) throw Error(ErrorKind::CorruptModel, "model id " + std::to_string(id) + " has no weights");
  return std::string(VARDATA_ANY(weights), VARSIZE_ANY_EXHDR(weights));
}

namespace {

// Rows of a query with text parameters, every column as text (nullopt for NULL).
// Not read-only: each query takes a new snapshot (in READ COMMITTED), so a
// lookup made after lock_name sees what the lock's previous holder committed.
using TextRow = std::vector<std::optional<std::string>>;
std::vector<TextRow> select_text(const char *sql, const std::vector<std::optional<std::string>> &args) {
  Params p;
  for (const auto &a : args) p.add(TEXTOID, a ? text_datum(*a) : 0, !a);
  const Params *pp = &p;
  std::vector<char *> cells;
  std::size_t rows = 0;
  int cols = 0;
  pg_call([&] {
    const int rc = SPI_execute_with_args(sql, pp->count, const_cast<Oid *>(pp->types), const_cast<Datum *>(pp->values),
                                         pp->nulls, false, 0);
    if (rc != SPI_OK_SELECT) elog(ERROR, "xb catalog query failed: %s", SPI_result_code_string(rc));
    rows = SPI_processed;
    cols = SPI_tuptable->tupdesc->natts;
  });
  cells.resize(rows * static_cast<std::size_t>(cols));
  char **out = cells.data();
  pg_call([&] {
    for (std::size_t r = 0; r < rows; ++r)
      for (int c = 0; c < cols; ++c)
        out[r * cols + c] = SPI_getvalue(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, c + 1);
  });
  std::vector<TextRow> result(rows, TextRow(static_cast<std::size_t>(cols)));
  for (std::size_t r = 0; r < rows; ++r)
    for (int c = 0; c < cols; ++c)
      if (const char *v = cells[r * cols + c]) result[r][c] = std::string(v);
  return result;
}

// Edit distance (insert, delete, substitute), case-insensitively.
std::size_t edit_distance(const std::string &a, const std::string &b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      const bool same =
          std::tolower(static_cast<unsigned char>(a[i - 1])) == std::tolower(static_cast<unsigned char>(b[j - 1]));
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (same ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

// The hint for a name that does not exist: the closest name the role may
// use, when it is at most a quarter of the name's length away (at least 2).
std::string missing_name_hint(const std::string &name) {
  std::string best;
  std::size_t best_distance = std::max<std::size_t>(2, name.size() / 4) + 1;
  for (const auto &row :
       select_text("SELECT n.name FROM xb.model_names n WHERE xb.may_use(n.name) ORDER BY n.name", {})) {
    const std::size_t d = edit_distance(name, *row[0]);
    if (d < best_distance) {
      best = *row[0];
      best_distance = d;
    }
  }
  if (!best.empty()) return "Did you mean \"" + best + "\"?";
  return "SELECT name, version FROM xb.models lists the models you can use.";
}

[[noreturn]] void raise_missing_name(const std::string &name) {
  raise_sql_error(ERRCODE_UNDEFINED_OBJECT, "model \"" + name + "\" does not exist", missing_name_hint(name));
}

// What the current role may do with name (xb.model_access: new, owner,
// manage, use or none) and who owns it. Answers 42501 or 42704 (for a name
// nobody has, unless allow_new) when that is less than needed.
void check_access(const std::string &name, Right needed, bool allow_new) {
  const auto rows = select_text(
      "SELECT xb.model_access($1), (SELECT n.owner::text FROM xb.model_names n WHERE n.name = $1), current_user::text",
      {name});
  const std::string access = rows.at(0).at(0).value_or("none");
  const std::string owner = rows.at(0).at(1).value_or("");
  const std::string me = rows.at(0).at(2).value_or("");
  if (access == "new") {
    if (allow_new && needed != Right::Own) return;
    raise_missing_name(name);
  }
  if (access == "owner" || (access == "manage" && needed != Right::Own) || (access == "use" && needed == Right::Use))
    return;
  const std::string grant_to = quote_literal(name) + ", " + quote_literal(me);
  if (needed == Right::Own)
    raise_sql_error(ERRCODE_INSUFFICIENT_PRIVILEGE,
                    "permission denied: only the owner of model \"" + name + "\" can grant, revoke or drop it",
                    "Its owner is " + owner + ".");
  if (access == "use")
    raise_sql_error(ERRCODE_INSUFFICIENT_PRIVILEGE, "permission denied to manage model \"" + name + "\"",
                    "You may use it. Its owner (" + owner + ") can grant more: xb_grant(" + grant_to + ", 'manage').");
  raise_sql_error(ERRCODE_INSUFFICIENT_PRIVILEGE, "permission denied for model \"" + name + "\"",
                  "Its owner (" + owner + ") can grant it: xb_grant(" + grant_to + ", '" +
                      (needed == Right::Use ? "use" : "manage") + "').");
}

}  // namespace

void require_right(const std::string &name, Right needed) { check_access(name, needed, true); }

ModelVersion find_model(const std::string &name, Right needed, std::optional<int> version) {
  check_access(name, needed, false);
  const std::optional<std::string> wanted =
      version ? std::optional<std::string>(std::to_string(*version)) : std::nullopt;
  const auto rows = select_text(R"SQL(
SELECT m.id, m.version, m.kind FROM xb.models m
WHERE m.name = $1 AND CASE WHEN $2::integer IS NULL THEN m.deployed ELSE m.version = $2::integer END)SQL",
                                {name, wanted});
  if (rows.size() == 1) return ModelVersion{std::stol(*rows[0][0]), std::stoi(*rows[0][1]), *rows[0][2]};
  const auto versions = select_text(
      "SELECT coalesce(string_agg(m.version::text, ', ' ORDER BY m.version), 'none') "
      "FROM xb.models m WHERE m.name = $1",
      {name});
  if (version)
    raise_sql_error(ERRCODE_UNDEFINED_OBJECT, "model \"" + name + "\" has no version " + std::to_string(*version),
                    "Its versions are: " + versions.at(0).at(0).value_or("none") + ".");
  raise_sql_error(ERRCODE_UNDEFINED_OBJECT, "model \"" + name + "\" has no deployed version",
                  "Deploy one of its versions (" + versions.at(0).at(0).value_or("none") + ") with xb_deploy().");
}

std::string row_stamp(long id) {
  std::vector<TextRow> rows;
  as_catalog_owner([&] {  // system columns are not among the columns roles may read
    rows = select_text("SELECT xmin::text || '/' || ctid::text FROM xb.models WHERE id = $1::bigint",
                       {std::to_string(id)});
  });
  if (rows.empty() || !rows[0].at(0))
    throw Error(ErrorKind::UndefinedObject, "the model was dropped while in use", "Run the statement again.");
  return *rows[0][0];
}

bool may_use(const std::string &name) {
  return execute1("SELECT xb.may_use($1)", TEXTOID, text_datum(name), SPI_OK_SELECT) != 0;
}

std::string exported_model_bytes(long id) {
  const std::string bytes = model_bytes(id);
  std::vector<TextRow> rows;
  // Values as their IEEE bits, whatever the session's extra_float_digits;
  // the test split first, then the evaluation, should the list be cut.
  as_catalog_owner([&] {
    rows = select_text(
        "SELECT split, estimator, metric, encode(float8send(value), 'hex') FROM xb.model_metrics "
        "WHERE model_id = $1::bigint ORDER BY split <> 'test', split <> 'evaluation', split, estimator, metric",
        {std::to_string(id)});
  });
  if (rows.empty()) return bytes;
  std::vector<MetricRow> metrics;
  for (const TextRow &r : rows) {
    double value = NAN;
    if (r.at(3)) {
      const std::uint64_t bits = std::strtoull(r.at(3)->c_str(), nullptr, 16);
      std::memcpy(&value, &bits, sizeof value);
    }
    metrics.push_back({*r.at(0), *r.at(1), *r.at(2), value});
  }
  return with_reported_metrics(bytes, metrics);
}

// --- Catalog primitives ---

void deploy_version(const std::string &name, int version) {
  lock_name(name);
  write_catalog(name, Right::Manage, [&](const std::string &) {
    Params p;
    p.add(TEXTOID, text_datum(name));
    p.add(INT4OID, Int32GetDatum(version));
    // Retires the deployed version only when the one to deploy exists.
    execute(R"SQL(UPDATE xb.models SET deployed = false
                  WHERE name = $1 AND deployed AND version <> $2
                    AND EXISTS (SELECT FROM xb.models v WHERE v.name = $1 AND v.version = $2))SQL",
            p, SPI_OK_UPDATE);
    execute("UPDATE xb.models SET deployed = true WHERE name = $1 AND version = $2 AND NOT deployed", p, SPI_OK_UPDATE);
  });
}

void drop_version(const std::string &name, int version) {
  lock_name(name);
  const ModelVersion v = find_model(name, Right::Manage, version);  // 42704 naming the versions there are
  const Datum id = Int64GetDatum(v.id);
  if (execute1("SELECT deployed FROM xb.models WHERE id = $1", INT8OID, id, SPI_OK_SELECT) != 0)
    throw Error(ErrorKind::ObjectInUse, "version " + std::to_string(version) + " of model \"" + name + "\" is deployed",
                "Deploy another version first (xb_deploy), or drop the whole model with xb_drop('" + name + "').");
  write_catalog(name, Right::Manage, [&](const std::string &) {
    execute1("DELETE FROM xb.models WHERE id = $1", INT8OID, id, SPI_OK_DELETE);
  });
}

long drop_model(const std::string &name) {
  lock_name(name);
  long versions = 0;
  write_catalog(name, Right::Own, [&](const std::string &) {
    const Datum n = text_datum(name);
    versions = execute1("DELETE FROM xb.models WHERE name = $1", TEXTOID, n, SPI_OK_DELETE);
    execute1("DELETE FROM xb.model_names WHERE name = $1", TEXTOID, n, SPI_OK_DELETE);  // grants cascade
  });
  return versions;
}

void set_retention(const std::string &name, int keep_versions) {
  if (keep_versions < 0)
    throw Error(ErrorKind::InvalidParameter,
                "keep_versions must be 0 (keep all) or more, not " + std::to_string(keep_versions));
  find_model(name, Right::Manage);  // 42704 for a name that does not exist
  write_catalog(name, Right::Manage, [&](const std::string &) {
    Params p;
    p.add(TEXTOID, text_datum(name));
    p.add(INT4OID, Int32GetDatum(keep_versions));
    execute("UPDATE xb.model_names SET keep_versions = nullif($2, 0) WHERE name = $1", p, SPI_OK_UPDATE);
  });
}

void reject_version(const std::string &name, int version) {
  write_catalog(name, Right::Manage, [&](const std::string &) {
    Params p;
    p.add(TEXTOID, text_datum(name));
    p.add(INT4OID, Int32GetDatum(version));
    execute("UPDATE xb.models SET status = 'rejected' WHERE name = $1 AND version = $2", p, SPI_OK_UPDATE);
  });
}

void set_grant(const std::string &name, const std::string &grantee, const std::string &privilege) {
  write_catalog(name, Right::Own, [&](const std::string &caller) {
    Params p;
    p.add(TEXTOID, text_datum(name));
    p.add(TEXTOID, text_datum(grantee));
    p.add(TEXTOID, text_datum(privilege));
    p.add(TEXTOID, text_datum(caller));
    execute(R"SQL(INSERT INTO xb.model_grants AS g (name, grantee, privilege, granted_by) VALUES ($1, $2, $3, $4)
                  ON CONFLICT ON CONSTRAINT model_grants_pkey DO UPDATE
                    SET privilege = excluded.privilege, granted_by = excluded.granted_by, granted_at = now())SQL",
            p, SPI_OK_INSERT);
  });
}

void drop_grant(const std::string &name, const std::string &grantee) {
  write_catalog(name, Right::Own, [&](const std::string &) {
    Params p;
    p.add(TEXTOID, text_datum(name));
    p.add(TEXTOID, text_datum(grantee));
    execute("DELETE FROM xb.model_grants WHERE name = $1 AND grantee = $2", p, SPI_OK_DELETE);
  });
}

long replace_forecasts(const std::string &name, const StoredModel &m, const std::vector<ForecastPoint> &points) {
  std::vector<std::string> series;
  std::vector<Micros> ts;
  std::vector<double> yhat, lo, hi;
  for (const auto &pt : points) {
    series.push_back(pt.series);
    ts.push_back(pt.ts);
    yhat.push_back(pt.yhat);
    lo.push_back(pt.lo);
    hi.push_back(pt.hi);
  }
  Params p;
  p.add(TEXTOID, text_datum(name));
  p.add(INT8OID, Int64GetDatum(m.id));
  p.add(INT4OID, Int32GetDatum(m.version));
  p.add(TEXTARRAYOID, text_array(series));
  p.add(TIMESTAMPARRAYOID, timestamp_array(ts));
  p.add(FLOAT8ARRAYOID, float8_array(yhat));
  p.add(FLOAT8ARRAYOID, float8_array(lo));
  p.add(FLOAT8ARRAYOID, float8_array(hi));
  long written = 0;
  write_catalog(name, Right::Manage, [&](const std::string &) {
    execute1("DELETE FROM xb.forecasts WHERE model_name = $1", TEXTOID, p.values[0], SPI_OK_DELETE);
    written = execute(R"SQL(
INSERT INTO xb.forecasts (model_name, model_id, version, series, ts, yhat, lo, hi)
SELECT $1, $2, $3, u.series, u.ts, u.yhat, nullif(u.lo, 'NaN'), nullif(u.hi, 'NaN')
FROM unnest($4::text[], $5::timestamp[], $6::float8[], $7::float8[], $8::float8[]) AS u(series, ts, yhat, lo, hi))SQL",
                      p, SPI_OK_INSERT);
  });
  return written;
}

void replace_evaluation(const std::string &name, long model_id, const std::vector<MetricRow> &rows) {
  write_catalog(name, Right::Manage, [&](const std::string &) {
    execute1("DELETE FROM xb.model_metrics WHERE model_id = $1 AND split = 'evaluation'", INT8OID,
             Int64GetDatum(model_id), SPI_OK_DELETE);
    insert_metric_rows(model_id, rows);
  });
}

namespace {

// Columns an importer names must fit the blob: a time column (and target,
// series) for a forecaster only, and names that are not empty.
void check_imported_columns(const std::string &bytes, const ImportedColumns &c) {
  const bool forecaster = decode_blob(bytes).kind == ModelKind::Forecaster;
  if (!forecaster && (!c.time_col.empty() || !c.series_cols.empty()))
    throw Error(ErrorKind::InvalidParameter, "a classifier or regressor has no time or series columns",
                "Name only target_col (the label), or nothing: the blob knows its features and label.");
  if (forecaster && (c.time_col.empty() != c.target_col.empty() || (!c.series_cols.empty() && c.time_col.empty())))
    throw Error(ErrorKind::InvalidParameter,
                "name the forecaster's time_col and target_col together, series_cols with them",
                "For example time_col => 'date', target_col => 'weekly_sales', series_cols => ARRAY['store'].");
  for (const auto &col : c.series_cols)
    if (col.empty()) throw Error(ErrorKind::InvalidParameter, "series_cols must not contain an empty name");
}

}  // namespace

long import_version(const std::string &name, const std::string &bytes, bool deploy, const ImportedColumns &columns) {
  // The whole blob is checked before anything is written.
  const std::string info = describe_model(bytes, runtime_settings());
  check_imported_columns(bytes, columns);
  const SourceAuthor author = current_author();
  Params p;
  p.add(TEXTOID, text_datum(name));
  p.add(INT4OID, 0);        // version, below
  p.add(TEXTOID, 0, true);  // the importing role, below
  p.add(TEXTOID, text_datum(info));
  p.add(BYTEAOID, bytea_datum(bytes, "the model"));
  p.add(BOOLOID, 0);  // deployed, below
  p.add(TEXTOID, text_datum(author.search_path));
  p.add(TEXTOID, text_datum(columns.time_col), columns.time_col.empty());
  p.add(TEXTOID, text_datum(columns.target_col), columns.target_col.empty());
  p.add(TEXTARRAYOID, columns.series_cols.empty() ? 0 : text_array(columns.series_cols), columns.series_cols.empty());
  const NewVersion v = begin_model_version(name, deploy);
  p.values[1] = Int32GetDatum(v.version);
  p.values[5] = BoolGetDatum(v.deployed);
  long id = 0;
  // The blob knows its features and label, not the table it was trained
  // from (source says it was imported); the importer may name its time,
  // target and series columns, and the metrics it reports go to the lineage.
  write_catalog(name, Right::Manage, [&](const std::string &caller) {
    p.values[2] = text_datum(caller);
    p.nulls[2] = ' ';
    id = execute(R"SQL(
INSERT INTO xb.models (name, version, kind, arch, source, time_col, target_col, series_cols, feature_cols, horizon,
                       options, hyperparameters, train_rows, lineage, device, train_seconds, status, deployed,
                       weights, owner, source_author, source_search_path)
SELECT $1, $2, i->>'kind', i->>'arch', '(imported)', $8, coalesce($9, i->>'label'), coalesce($10, '{}'),
       ARRAY(SELECT jsonb_array_elements_text(i->'features' || coalesce(i->'text_features', '[]'))),
       (i->>'horizon')::integer, jsonb_strip_nulls(jsonb_build_object('time_zone', i->'options'->'time_zone')),
       i->'options' || jsonb_strip_nulls(jsonb_build_object('decision_threshold', i->'decision_threshold')), 0,
       jsonb_build_object('imported_at', now(), 'imported_by', $3, 'bytes', octet_length($5),
                          'sha256', encode(sha256($5), 'hex'), 'format_version', i->'format_version')
         || CASE WHEN i ? 'reported_metrics'
                 THEN jsonb_build_object('reported_metrics', i->'reported_metrics',
                                         'metrics', 'reported by the blob, not measured here; xb_evaluate measures them')
                 ELSE '{}' END,
       'imported', 0, 'imported', $6, $5, $3, $3, $7
FROM (SELECT $4::jsonb AS i) AS blob_info
RETURNING id)SQL",
                 p, SPI_OK_INSERT_RETURNING);
  });
  return id;
}

}  // namespace xb::pg
