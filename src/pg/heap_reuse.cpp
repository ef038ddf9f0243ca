#include "pg/heap_reuse.hpp"

#include <malloc.h>

namespace xb::pg {

namespace {

constexpr int kCallTrimThreshold = 64 << 20;
constexpr int kDefaultTrimThreshold = 128 << 10;  // glibc's M_TRIM_THRESHOLD default (mallopt(3))
// The most glibc's sliding threshold reaches on 64-bit (DEFAULT_MMAP_THRESHOLD_MAX).
constexpr int kMmapThreshold = 32 << 20;
int depth = 0;           // made on the backend's thread only; calls may nest (a training inside xb_score's source)
bool give_back = false;  // what the outermost call asked for

}  // namespace

// Setting either threshold stops glibc from sliding them for the rest of the
// backend's life, so the mmap threshold is set to the most the sliding one
// reaches. A first version set only a 64 MB top pad (back to 128 kB at the
// end), which froze the mmap threshold wherever it stood: after a small
// training, the next training in the backend mapped, faulted in and
// unmapped every tensor above 128 kB, and a 2M-row classifier trained in
// 13 s instead of 5.
HeapReuse::HeapReuse(AtEnd at_end) {
  if (depth++ > 0) return;
  give_back = at_end == AtEnd::GiveBack;
  mallopt(M_MMAP_THRESHOLD, kMmapThreshold);
  mallopt(M_TRIM_THRESHOLD, kCallTrimThreshold);
}

HeapReuse::~HeapReuse() {
  if (--depth > 0) return;
  mallopt(M_TRIM_THRESHOLD, kDefaultTrimThreshold);  // the next large enough free trims the top
  if (give_back) malloc_trim(0);
}

}  // namespace xb::pg
