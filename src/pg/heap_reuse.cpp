#include "pg/heap_reuse.hpp"

#include <malloc.h>

namespace xb::pg {

namespace {

constexpr int kTrainingTopPad = 64 << 20;
constexpr int kDefaultTopPad = 128 << 10;  // glibc's M_TOP_PAD default (mallopt(3))
int depth = 0;                             // a backend has one thread; calls may nest (a training inside a retrain)

}  // namespace

// mallopt also turns off glibc's sliding mmap threshold for the rest of the
// backend's life (it stays where trainings so far had moved it): harmless,
// large blocks are then mapped and unmapped as before it first moved.
HeapReuse::HeapReuse() {
  if (depth++ == 0) mallopt(M_TOP_PAD, kTrainingTopPad);
}

HeapReuse::~HeapReuse() {
  if (--depth > 0) return;
  mallopt(M_TOP_PAD, kDefaultTopPad);
  malloc_trim(0);
}

}  // namespace xb::pg
