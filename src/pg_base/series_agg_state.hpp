// The transition state of the forecasting aggregates: one group's (ts, y)
// rows and the horizon and options all its rows agree on. It is plain
// PostgreSQL memory in the aggregate's memory context (palloc'd arrays, no C++
// objects), so the context's reset or an ERROR frees it and nothing leaks.
// Every function here calls PostgreSQL through pg_call and reports problems
// as xb::Error.
#pragma once
#include <string>

#include "core/forecast/series_data.hpp"
#include "pg/postgres.hpp"

namespace xb::pg {

struct SeriesAggState {
  int64 rows;  // rows kept; rows with a NULL ts or y are skipped
  int64 capacity;
  Timestamp *time;  // microseconds since 2000-01-01; timestamptz as UTC
  float8 *target;
  int32 horizon;   // xb_forecast_agg's argument; 0 for xb_fit_forecaster
  Jsonb *options;  // a copy of the options argument; nullptr when NULL
};

// A state in cxt holding a copy of options (which may be nullptr).
SeriesAggState *new_state(MemoryContext cxt, int32 horizon, const Jsonb *options);

// Appends one row; refuses a group larger than max_rows.
void append_row(SeriesAggState *s, MemoryContext cxt, Timestamp time, float8 target, int64 max_rows);

// Appends from's rows to into's; their horizon and options must agree, and
// the sum must not pass max_rows.
void merge_states(SeriesAggState *into, const SeriesAggState *from, MemoryContext cxt, int64 max_rows);

// The options argument of a row against the group's; same bytes is same.
bool same_options(const Jsonb *a, const Jsonb *b);
void require_same_options(const Jsonb *group, const Jsonb *row);
void require_same_horizon(int32 group, int32 row);

// Argument arg as a state; nullptr when NULL.
inline SeriesAggState *state_argument(FunctionCallInfo fcinfo, int arg) {
  return PG_ARGISNULL(arg) ? nullptr : reinterpret_cast<SeriesAggState *>(PG_GETARG_POINTER(arg));
}

// bytea for parallel aggregation, and back (in the current memory context).
bytea *serialize_state(const SeriesAggState *s);
SeriesAggState *deserialize_state(const bytea *b);

// The options as JSON text ("{}" when NULL), and the rows sorted by time as
// one series named series_key.
std::string options_text(const SeriesAggState *s);
std::string jsonb_text(const Jsonb *j);  // "{}" when nullptr
SeriesRows rows_of(const SeriesAggState *s, const std::string &series_key);

}  // namespace xb::pg
