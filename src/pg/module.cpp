// Library entry: the module magic and the settings.
#include "pg/guc.hpp"
#include "pg/postgres.hpp"

extern "C" {
PG_MODULE_MAGIC;

PGDLLEXPORT void _PG_init(void);
void _PG_init(void) { xb::pg::define_settings(); }
}
