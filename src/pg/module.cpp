// Library entry: the module magic, the settings and the executor check for
// stored sources (neither touches LibTorch).
#include "pg/guc.hpp"
#include "pg/postgres.hpp"
#include "pg/run_as.hpp"

extern "C" {
PG_MODULE_MAGIC;

PGDLLEXPORT void _PG_init(void);
void _PG_init(void) {
  xb::pg::define_settings();
  xb::pg::install_source_checks();
}
}
