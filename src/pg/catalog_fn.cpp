// The catalog primitives the SQL functions write through (xb_deploy,
// xb_rollback, xb_retrain, xb_grant, xb_revoke, xb_model_load, xb_drop,
// xb_set_retention). Each checks
// the caller's right and writes as the catalog's owner (catalog.hpp), so
// calling one directly gives nothing the public function does not.
#include <cstring>

#include "core/common/error.hpp"
#include "pg/args.hpp"
#include "pg/catalog.hpp"
#include "pg/guard.hpp"

using namespace xb;
using namespace xb::pg;

namespace {

int required_int(FunctionCallInfo fcinfo, int arg, const char *name) {
  const auto v = optional_int(fcinfo, arg);
  if (!v) throw Error(ErrorKind::InvalidParameter, std::string(name) + " must not be NULL");
  return *v;
}

// Runs a primitive with SPI connected.
template <typename F>
void connected(F &&body) {
  pg_call([] { SPI_connect(); });
  body();
  pg_call([] { SPI_finish(); });
}

}  // namespace

// xb.model_id(name, needed, version) -> id: the one model lookup
// (find_model) for the SQL functions; needed is 'use', 'manage' or 'own'.
XB_FUNCTION(xb_model_id) {
  const std::string name = required_text(fcinfo, 0, "name");
  const std::string needed = required_text(fcinfo, 1, "needed");
  if (needed != "use" && needed != "manage" && needed != "own")
    throw Error(ErrorKind::InvalidParameter, "needed must be 'use', 'manage' or 'own', not '" + needed + "'");
  const Right right = needed == "use" ? Right::Use : needed == "manage" ? Right::Manage : Right::Own;
  const auto version = optional_int(fcinfo, 2);
  long id = 0;
  connected([&] { id = find_model(name, right, version).id; });
  PG_RETURN_INT64(id);
}

// xb_model_bytes(name, version) -> the blob of the deployed (or given)
// version. Needs manage: a forecaster's blob holds the last lookback points
// of every series and their covariates.
XB_FUNCTION(xb_model_bytes) {
  const std::string name = required_text(fcinfo, 0, "name");
  const auto version = optional_int(fcinfo, 1);
  std::string bytes;
  connected([&] { bytes = exported_model_bytes(find_model(name, Right::Manage, version).id); });
  const std::size_t n = bytes.size();
  bytea *out = nullptr;
  pg_call([&] { out = static_cast<bytea *>(palloc(n + VARHDRSZ)); });
  SET_VARSIZE(out, n + VARHDRSZ);
  memcpy(VARDATA(out), bytes.data(), n);
  PG_RETURN_BYTEA_P(out);
}

// xb.deploy_version(name, version) -> version
XB_FUNCTION(xb_deploy_version) {
  const std::string name = required_text(fcinfo, 0, "name");
  const int version = required_int(fcinfo, 1, "version");
  connected([&] { deploy_version(name, version); });
  PG_RETURN_INT32(version);
}

// xb.reject_version(name, version)
XB_FUNCTION(xb_reject_version) {
  const std::string name = required_text(fcinfo, 0, "name");
  const int version = required_int(fcinfo, 1, "version");
  connected([&] { reject_version(name, version); });
  PG_RETURN_VOID();
}

// xb.drop_version(name, version)
XB_FUNCTION(xb_drop_version) {
  const std::string name = required_text(fcinfo, 0, "name");
  const int version = required_int(fcinfo, 1, "version");
  connected([&] { drop_version(name, version); });
  PG_RETURN_VOID();
}

// xb.drop_model(name) -> versions dropped
XB_FUNCTION(xb_drop_model) {
  const std::string name = required_text(fcinfo, 0, "name");
  long versions = 0;
  connected([&] { versions = drop_model(name); });
  PG_RETURN_INT32(static_cast<int32>(versions));
}

// xb.set_retention(name, keep_versions)
XB_FUNCTION(xb_set_retention) {
  const std::string name = required_text(fcinfo, 0, "name");
  const int keep = required_int(fcinfo, 1, "keep_versions");
  connected([&] { set_retention(name, keep); });
  PG_RETURN_VOID();
}

// xb.set_grant(name, grantee, privilege)
XB_FUNCTION(xb_set_grant) {
  const std::string name = required_text(fcinfo, 0, "name");
  const std::string grantee = required_text(fcinfo, 1, "role");
  const std::string privilege = required_text(fcinfo, 2, "privilege");
  connected([&] { set_grant(name, grantee, privilege); });
  PG_RETURN_VOID();
}

// xb.drop_grant(name, grantee)
XB_FUNCTION(xb_drop_grant) {
  const std::string name = required_text(fcinfo, 0, "name");
  const std::string grantee = required_text(fcinfo, 1, "role");
  connected([&] { drop_grant(name, grantee); });
  PG_RETURN_VOID();
}

// xb.import_version(name, model, deploy, time_col, target_col, series_cols) -> model id
XB_FUNCTION(xb_import_version) {
  const std::string name = required_text(fcinfo, 0, "name");
  if (PG_ARGISNULL(1))
    throw Error(ErrorKind::InvalidParameter, "model must not be NULL",
                "Pass a model blob, e.g. xb_model_load('copy', xb_model_bytes('sales_gru')).");
  bytea *model = nullptr;
  pg_call([&] { model = PG_GETARG_BYTEA_PP(1); });
  const std::string bytes(VARDATA_ANY(model), VARSIZE_ANY_EXHDR(model));
  const bool deploy = PG_ARGISNULL(2) || PG_GETARG_BOOL(2);
  ImportedColumns columns;
  if (!PG_ARGISNULL(3)) columns.time_col = text_of(PG_GETARG_DATUM(3));
  if (!PG_ARGISNULL(4)) columns.target_col = text_of(PG_GETARG_DATUM(4));
  columns.series_cols = optional_text_array(fcinfo, 5, "series_cols");
  long id = 0;
  connected([&] { id = import_version(name, bytes, deploy, columns); });
  PG_RETURN_INT64(id);
}
