// How many CPUs this process may run on: what "all cores" means for
// xb.threads = 0 and the default of xb.max_training_threads. Torch-free.
#pragma once

namespace xb {

// The CPUs in the calling thread's affinity mask (taskset, cpusets), lowered
// to a cgroup v2 CPU quota rounded up (cpu.max, as containers set it), at
// least 1. A machine's online count overstates both.
int usable_cores();

}  // namespace xb
