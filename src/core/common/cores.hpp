// How many CPUs this process may run on: what "all cores" means for
// xb.threads = 0 and the default of xb.max_training_threads. Torch-free.
#pragma once
#include <string>

namespace xb {

// The CPUs in the calling thread's affinity mask (taskset, cpusets; any
// number of CPUs), lowered to the tightest cgroup v2 CPU quota on the way
// from this process's cgroup up to the root, rounded up (cpu.max, as
// containers and systemd slices set it), at least 1. A machine's online
// count overstates both.
int usable_cores();

// The tightest cpu.max quota, in CPUs, of cgroup `path` (as /proc/self/cgroup
// names it, "/a/b") and its ancestors under the cgroup v2 mount `root`; 0
// where none sets one. A quota on a parent limits every cgroup below it.
double cgroup_cpu_quota(const std::string &root, const std::string &path);

}  // namespace xb
