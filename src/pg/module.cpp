// Library entry: the module magic, the settings (xb_base.so's), the
// executor check for stored sources and the fast exit (none touches LibTorch).
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/common/error.hpp"
#include "pg/guard.hpp"
#include "pg/postgres.hpp"
#include "pg/run_as.hpp"

extern "C" {
#include "storage/ipc.h"
}

namespace {

// A process that loaded LibTorch would run its static destructors at exit
// (deregistering every operator kernel, and copying the postmaster's pages
// it writes): 0.6 s of CPU for every backend of a server that preloads xb,
// whether or not it used xb, 0.1 s otherwise. Once PostgreSQL's proc_exit
// has run every cleanup of its own, nothing is left that needs them, so the
// process ends there. Registered with glibc's on_exit, which passes the
// status and is inherited across fork (PostgreSQL's own exit callbacks are
// reset in each child); an exit() that is not proc_exit's is left alone.
#ifdef __GLIBC__
void end_without_destructors(int status, void *) {
  if (!proc_exit_inprogress) return;
  fflush(nullptr);
  _exit(status);
}
#endif

}  // namespace

extern "C" {
PG_MODULE_MAGIC;

// Idempotent: xb_base.so runs it when it opens this library itself, and
// PostgreSQL again if it loads this library later (src/pg_base/module.cpp).
// xb_base.so checks that it opened an xb.so of its own version.
PGDLLEXPORT const char *xb_library_version(void);
const char *xb_library_version(void) { return XB_VERSION; }

// Done is set last: a load_file that fails leaves the next load to retry it all.
PGDLLEXPORT void _PG_init(void);
void _PG_init(void) {
  static bool done = false;
  if (done) return;
  // xb_base.so defines the settings; linked, it is loaded already, and this
  // enters it in PostgreSQL's list of libraries, which runs its _PG_init
  // unless an aggregate loaded it first.
  load_file("$libdir/xb_base", false);
  xb::pg::install_source_checks();  // idempotent
  xb::pg::set_library_error_translator(&xb::library_error);
#ifdef __GLIBC__  // elsewhere exits run the destructors, as before
  on_exit(end_without_destructors, nullptr);
#endif
  done = true;
}
}
