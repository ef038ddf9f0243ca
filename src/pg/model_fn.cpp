// xb_model_info(model bytea) -> jsonb: what a model blob is, after checking
// that it loads. xb_model_load() calls it before importing a blob; deploy,
// rollback and export are plain SQL in the install script.
#include <string>

#include "core/common/error.hpp"
#include "core/model_info.hpp"
#include "pg/guard.hpp"
#include "pg_base/guc.hpp"

using namespace xb;
using namespace xb::pg;

XB_FUNCTION(xb_model_info) {
  if (PG_ARGISNULL(0))
    throw Error(ErrorKind::InvalidParameter, "model must not be NULL",
                "Pass a model blob, e.g. xb_model_info(xb_model_bytes('sales_gru')).");
  bytea *model = nullptr;
  pg_call([&] { model = PG_GETARG_BYTEA_PP(0); });
  const std::string info =
      describe_model(std::string_view(VARDATA_ANY(model), VARSIZE_ANY_EXHDR(model)), runtime_settings());
  const char *text = info.c_str();
  Datum result = 0;
  pg_call([&] { result = DirectFunctionCall1(jsonb_in, CStringGetDatum(text)); });
  return result;
}
