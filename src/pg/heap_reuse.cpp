#include "pg/heap_reuse.hpp"

#include <malloc.h>

namespace xb::pg {

namespace {

constexpr int kCallTopPad = 64 << 20;
constexpr int kDefaultTopPad = 128 << 10;  // glibc's M_TOP_PAD default (mallopt(3))
int depth = 0;           // a backend has one thread; calls may nest (a training inside xb_score's source)
bool give_back = false;  // what the outermost call asked for

}  // namespace

// Setting M_TOP_PAD also stops glibc's mmap threshold from sliding for the
// rest of the backend's life: blocks above wherever it stands then (128 kB
// to 32 MB, by what the backend freed before) are mapped and unmapped each
// time. Fixing it at 4 or 32 MB here made Walmart's training slower (2.3-3.2 s
// against 2.1-2.2 s), so it is left where it is.
HeapReuse::HeapReuse(AtEnd at_end) {
  if (depth++ > 0) return;
  give_back = at_end == AtEnd::GiveBack;
  mallopt(M_TOP_PAD, kCallTopPad);
}

HeapReuse::~HeapReuse() {
  if (--depth > 0) return;
  mallopt(M_TOP_PAD, kDefaultTopPad);  // the next free at the top trims it
  if (give_back) malloc_trim(0);
}

}  // namespace xb::pg
