// How a backend's heap behaves while xb trains or scores in batches. glibc
// hands the free top of the heap back to the kernel once it passes 128 kB
// (its defaults), so a loop that frees one mini-batch's tensors and
// allocates the next one's page-faults that memory back in on every step: a
// standalone GRU training spent 2 s of its 7 s in the kernel that way
// (310,000 minor faults; 21,000 with a larger pad). While a HeapReuse lives
// the heap keeps a 64 MB pad of freed memory for reuse; when the outermost
// one ends the pad goes back to glibc's default, and after a training
// (GiveBack) malloc_trim returns every free page to the kernel; a scoring
// call, which may run once per row, leaves that to glibc's next trim.
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
