// xb_base.so: the part of xb that every process running xb may load without
// LibTorch: the xb.* settings (guc.cpp) and the forecasting aggregates' row
// collection (series_agg_fn.cpp). xb.so links it and loads it first.
//
// Why a library of its own: a parallel worker loads every library in its
// leader's list of loaded libraries (PostgreSQL's dfmgr) before the plan
// runs, and xb.so with LibTorch cost each worker 0.6 s and more, though the
// workers of an aggregate plan only collect rows. The aggregates name this
// library, so their workers load it alone, in milliseconds; and the settings
// are defined here, in every process that runs an aggregate, before its plan
// starts (a placeholder's value cannot be applied during a parallel
// operation: defining them later, from xb.so, lost a SET with a WARNING).
//
// The final functions train, in xb.so. They are named here too, because
// PostgreSQL loads a C function's library when the executor looks it up,
// before the workers start: these open xb.so with dlopen at the group's
// first final call and hand it the call, which keeps xb.so out of the
// dfmgr's list (and out of the workers of the session's later plans) unless
// the session calls xb.so's own functions. They hold no C++ objects: an ERROR
// from the loading or from xb.so's own guarded function passes through them.
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include "pg_base/guc.hpp"
#include "pg/postgres.hpp"

extern "C" {
PG_MODULE_MAGIC;
}

namespace {

void *xb_library = nullptr;
char xb_path[MAXPGPATH];

// xb.so's own definition of name. dlsym searches a library's dependencies
// too, and xb_base.so is one: a name xb.so lacks would find ours (a final
// function here would call itself), so where it was found is checked.
void *xb_symbol(void *library, const char *name) {
  void *address = dlsym(library, name);
  Dl_info info;
  if (address == nullptr || dladdr(address, &info) == 0 || info.dli_fname == nullptr ||
      strcmp(info.dli_fname, xb_path) != 0)
    ereport(ERROR, (errcode(ERRCODE_UNDEFINED_FUNCTION), errmsg("could not find \"%s\" in \"%s\"", name, xb_path),
                    errhint("Install xb.so and xb_base.so of the same version (make install).")));
  return address;
}

void open_xb() {
  if (xb_library != nullptr) return;
  snprintf(xb_path, sizeof xb_path, "%s/xb%s", pkglib_path, DLSUFFIX);
  void *library = dlopen(xb_path, RTLD_NOW | RTLD_GLOBAL);  // as the dfmgr opens libraries
  if (library == nullptr)
    ereport(ERROR, (errcode_for_file_access(), errmsg("could not load library \"%s\": %s", xb_path, dlerror())));
  // The dfmgr's check, as it would make it (built for this server as we
  // were), and xb's own version, which fixes the layout of what we share.
  const auto magic = reinterpret_cast<PGModuleMagicFunction>(xb_symbol(library, PG_MAGIC_FUNCTION_NAME_STRING));
  const auto version = reinterpret_cast<const char *(*)(void)>(xb_symbol(library, "xb_library_version"));
  if (memcmp(magic(), Pg_magic_func(), sizeof(Pg_magic_struct)) != 0 || strcmp(version(), XB_VERSION) != 0)
    ereport(ERROR,
            (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
             errmsg("incompatible library \"%s\": built for another server or xb version than xb_base.so", xb_path),
             errhint("Install xb.so and xb_base.so of the same version (make install).")));
  reinterpret_cast<void (*)(void)>(xb_symbol(library, "_PG_init"))();
  xb_library = library;
}

Datum call_in_xb(const char *function, PGFunction *cached, FunctionCallInfo fcinfo) {
  if (*cached == nullptr) {
    open_xb();
    *cached = reinterpret_cast<PGFunction>(xb_symbol(xb_library, function));
  }
  return (*cached)(fcinfo);
}

PGFunction fit_forecaster_final = nullptr;
PGFunction forecast_agg_final = nullptr;

}  // namespace

extern "C" {
PGDLLEXPORT void _PG_init(void);
void _PG_init(void) { xb::pg::define_settings(); }

PG_FUNCTION_INFO_V1(xb_fit_forecaster_final);
PGDLLEXPORT Datum xb_fit_forecaster_final(PG_FUNCTION_ARGS) {
  return call_in_xb("xb_fit_forecaster_final", &fit_forecaster_final, fcinfo);
}

PG_FUNCTION_INFO_V1(xb_forecast_agg_final);
PGDLLEXPORT Datum xb_forecast_agg_final(PG_FUNCTION_ARGS) {
  return call_in_xb("xb_forecast_agg_final", &forecast_agg_final, fcinfo);
}
}
