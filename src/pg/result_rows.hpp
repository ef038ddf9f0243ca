// The one way a set-returning function hands rows to PostgreSQL: a
// materialized result (InitMaterializedSRF), filled a row at a time. Every
// double goes through float8_or_null, so NaN (a metric of an empty split,
// a coverage an estimator has no interval for, an elasticity at delta 0)
// reads as NULL in SQL whichever function produced it.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "pg/postgres.hpp"

namespace xb::pg {

// The rule for every double xb returns: NaN is NULL.
Datum float8_or_null(double v, bool &isnull);

class ResultRows {
 public:
  explicit ResultRows(FunctionCallInfo fcinfo);
  ResultRows &text(const std::string &s);
  ResultRows &text(const std::optional<std::string> &s);  // nullopt: NULL
  ResultRows &null();
  ResultRows &timestamp(Timestamp t);
  ResultRows &int4(int v);
  ResultRows &int8(long v);
  ResultRows &float8(double v);  // NaN: NULL
  // Hands the row to PostgreSQL; the next call starts a new one.
  void end_row();

 private:
  ResultRows &datum(Datum d, bool null);
  ReturnSetInfo *rsinfo_;
  std::vector<Datum> values_;
  std::vector<char> nulls_;  // bool storage; std::vector<bool> has no data()
};

}  // namespace xb::pg
