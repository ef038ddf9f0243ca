// How a backend's heap behaves while xb trains, scores or forecasts. glibc
// hands the free top of the heap back to the kernel once it passes 128 kB
// (its defaults, until its thresholds have slid up), so a loop that frees
// one mini-batch's tensors and allocates the next one's page-faults that
// memory back in on every step: a standalone GRU training spent 2 s of its
// 7 s in the kernel that way (310,000 minor faults; 21,000 with a 64 MB top
// pad). While a HeapReuse lives, a free heap top under 64 MB stays for
// reuse (the trim threshold); when the outermost one ends the trim
// threshold goes back to glibc's 128 kB, and after a training (GiveBack)
// malloc_trim returns the main heap's free pages and the free chunks of the
// threads' arenas to the kernel; a scoring call, which may run once per
// row, leaves the heap top to glibc's next trim. The one lasting effect: the
// mmap threshold stays at 32 MB for the backend's life (see the .cpp).
#pragma once

namespace xb::pg {

class HeapReuse {
 public:
  enum class AtEnd { GiveBack, LeaveToGlibc };
  explicit HeapReuse(AtEnd at_end);
  ~HeapReuse();
  HeapReuse(const HeapReuse &) = delete;
  HeapReuse &operator=(const HeapReuse &) = delete;
};

}  // namespace xb::pg
