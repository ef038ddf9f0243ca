#include "pg/scorer_call.hpp"

#include "core/common/error.hpp"
#include "pg/guard.hpp"

namespace xb::pg {

// The deployed version of the model named by argument 0: looked up once per
// statement (fn_extra), so a new version is used from the next statement on.
ModelVersion deployed_for_call(FunctionCallInfo fcinfo, const std::string &name) {
  auto *state = static_cast<StatementState *>(fcinfo->flinfo->fn_extra);
  if (state && state->name && name == state->name && state->user == GetUserId())
    return ModelVersion{state->id, state->version, "", state->stamp};
  pg_call([] { SPI_connect(); });
  ModelVersion m = find_model(name, Right::Use);
  m.stamp = row_stamp(m.id);
  pg_call([] { SPI_finish(); });
  if (m.kind == "forecaster")
    throw Error(ErrorKind::InvalidParameter, "model \"" + name + "\" is a forecaster, not a classifier or regressor",
                "Use xb_forecast() for forecasters.");
  const char *n = name.c_str();
  const char *stamp = m.stamp.c_str();
  pg_call([&] {
    MemoryContext mcxt = fcinfo->flinfo->fn_mcxt;
    auto *s = static_cast<StatementState *>(fcinfo->flinfo->fn_extra);
    if (!s) {
      s = static_cast<StatementState *>(MemoryContextAllocZero(mcxt, sizeof(StatementState)));
      fcinfo->flinfo->fn_extra = s;
    }
    // Copy before freeing: an out-of-memory ERROR between the two must not
    // leave the state pointing at freed memory for the next call.
    char *name_copy = MemoryContextStrdup(mcxt, n);
    char *stamp_copy = MemoryContextStrdup(mcxt, stamp);
    if (s->name) pfree(s->name);
    if (s->stamp) pfree(s->stamp);
    s->name = name_copy;
    s->stamp = stamp_copy;
    s->user = GetUserId();
    s->id = m.id;
    s->version = m.version;
  });
  return m;
}

SharedScorer scorer_for_call(FunctionCallInfo fcinfo, const std::string &name, ModelVersion &m) {
  m = deployed_for_call(fcinfo, name);
  return scorer_for(name, m, [&] {
    pg_call([] { SPI_connect(); });
    std::string bytes = model_bytes(m.id);
    pg_call([] { SPI_finish(); });
    return bytes;
  });
}

}  // namespace xb::pg
