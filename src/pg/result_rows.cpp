#include "pg/result_rows.hpp"

#include <cmath>

#include "pg/args.hpp"
#include "pg/guard.hpp"

namespace xb::pg {

Datum float8_or_null(double v, bool &isnull) {
  isnull = std::isnan(v);
  return isnull ? Datum(0) : Float8GetDatum(v);
}

ResultRows::ResultRows(FunctionCallInfo fcinfo) : rsinfo_(reinterpret_cast<ReturnSetInfo *>(fcinfo->resultinfo)) {
  pg_call([&] { InitMaterializedSRF(fcinfo, 0); });
}

ResultRows &ResultRows::text(const std::string &s) { return datum(text_datum(s), false); }

ResultRows &ResultRows::text(const std::optional<std::string> &s) { return s ? text(*s) : null(); }

ResultRows &ResultRows::null() { return datum(0, true); }

ResultRows &ResultRows::timestamp(Timestamp t) { return datum(TimestampGetDatum(t), false); }

ResultRows &ResultRows::int4(int v) { return datum(Int32GetDatum(v), false); }

ResultRows &ResultRows::int8(long v) { return datum(Int64GetDatum(v), false); }

ResultRows &ResultRows::float8(double v) {
  bool isnull = false;
  const Datum d = float8_or_null(v, isnull);
  return datum(d, isnull);
}

ResultRows &ResultRows::datum(Datum d, bool null) {
  values_.push_back(d);
  nulls_.push_back(null);
  return *this;
}

void ResultRows::end_row() {
  Datum *values = values_.data();
  bool *nulls = reinterpret_cast<bool *>(nulls_.data());
  ReturnSetInfo *rsinfo = rsinfo_;
  pg_call([&] {
    if (rsinfo->setDesc->natts != static_cast<int>(values_.size()))
      elog(ERROR, "xb result row has %d columns, the function returns %d", static_cast<int>(values_.size()),
           rsinfo->setDesc->natts);
    tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
  });
  values_.clear();
  nulls_.clear();
}

}  // namespace xb::pg
