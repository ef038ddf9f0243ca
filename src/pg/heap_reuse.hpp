// How a backend's heap behaves while xb trains or scores in batches. glibc
// hands the free top of the heap back to the kernel once it passes 128 kB
// (its defaults, until its thresholds have slid up), so a loop that frees
// one mini-batch's tensors and allocates the next one's page-faults that
// memory back in on every step: a standalone GRU training spent 2 s of its
// 7 s in the kernel that way (310,000 minor faults; 21,000 keeping it).
// While a HeapReuse lives up to 64 MB of free heap top stays for reuse;
// when the outermost one ends the trim threshold goes back to glibc's
// default, and after a training (GiveBack) malloc_trim returns every free
// page to the kernel; a scoring call, which may run once per row, leaves
// that to glibc's next trim.
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
