#include "core/common/cores.hpp"

#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <string>

namespace xb {
namespace {

// The quota of the cgroup v2 this process is in, in CPUs (0: none or unknown).
// /proc/self/cgroup's line "0::/path" names it under /sys/fs/cgroup.
double cgroup_cpu_quota() {
  std::ifstream cgroup("/proc/self/cgroup");
  std::string line, path;
  while (std::getline(cgroup, line))
    if (line.rfind("0::", 0) == 0) path = line.substr(3);
  if (path.empty() || path.find("..") != std::string::npos) return 0;
  std::ifstream max("/sys/fs/cgroup" + path + (path.back() == '/' ? "" : "/") + "cpu.max");
  std::string quota;
  double period = 0;
  if (!(max >> quota >> period) || quota == "max" || period <= 0) return 0;
  try {
    return std::stod(quota) / period;
  } catch (...) {
    return 0;
  }
}

}  // namespace

int usable_cores() {
  long cores = 0;
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0) cores = CPU_COUNT(&set);
  if (cores <= 0) cores = sysconf(_SC_NPROCESSORS_ONLN);
  const double quota = cgroup_cpu_quota();
  if (quota > 0) cores = std::min<long>(cores, static_cast<long>(std::ceil(quota)));
  return static_cast<int>(std::clamp<long>(cores, 1, 4096));
}

}  // namespace xb
