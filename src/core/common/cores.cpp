#include "core/common/cores.hpp"

#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <fstream>
#include <memory>
#include <string>

namespace xb {
namespace {

// The quota in one cgroup's cpu.max ("max 100000" or "150000 100000"), in
// CPUs; 0 for none, or a file that is missing or unreadable.
double quota_in(const std::string &dir) {
  std::ifstream max(dir + "/cpu.max");
  std::string quota;
  double period = 0;
  if (!(max >> quota >> period) || quota == "max" || period <= 0) return 0;
  try {
    const double q = std::stod(quota) / period;
    return q > 0 && std::isfinite(q) ? q : 0;
  } catch (...) {
    return 0;
  }
}

// This process's cgroup v2 path: /proc/self/cgroup's line "0::/path".
std::string own_cgroup() {
  std::ifstream cgroup("/proc/self/cgroup");
  std::string line, path;
  while (std::getline(cgroup, line))
    if (line.rfind("0::", 0) == 0) path = line.substr(3);
  return path;
}

// The CPUs in the calling thread's affinity mask, sized for the machine's
// CPUs (a fixed cpu_set_t holds 1,024); 0 where it cannot be read.
long affinity_cpus() {
  const long configured = std::max(sysconf(_SC_NPROCESSORS_CONF), 1L);
  for (long cpus = std::max(configured, 1024L); cpus <= (1L << 20); cpus *= 2) {
    const std::unique_ptr<cpu_set_t, void (*)(cpu_set_t *)> set(CPU_ALLOC(static_cast<int>(cpus)),
                                                                [](cpu_set_t *s) { CPU_FREE(s); });
    if (!set) return 0;
    const std::size_t bytes = CPU_ALLOC_SIZE(static_cast<int>(cpus));
    CPU_ZERO_S(bytes, set.get());
    if (sched_getaffinity(0, bytes, set.get()) == 0) return CPU_COUNT_S(bytes, set.get());
    if (errno != EINVAL) return 0;  // EINVAL: the kernel's mask is larger; try a larger set
  }
  return 0;
}

}  // namespace

double cgroup_cpu_quota(const std::string &root, const std::string &path) {
  if (path.empty() || path.front() != '/' || path.find("..") != std::string::npos) return 0;
  double tightest = 0;
  std::string dir = path;
  while (true) {
    while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
    const double q = quota_in(root + (dir == "/" ? "" : dir));
    if (q > 0 && (tightest == 0 || q < tightest)) tightest = q;
    if (dir == "/") break;
    dir.erase(dir.find_last_of('/'));
    if (dir.empty()) dir = "/";
  }
  return tightest;
}

int usable_cores() {
  long cores = affinity_cpus();
  if (cores <= 0) cores = sysconf(_SC_NPROCESSORS_ONLN);
  const double quota = cgroup_cpu_quota("/sys/fs/cgroup", own_cgroup());
  if (quota > 0) cores = std::min<long>(cores, static_cast<long>(std::ceil(quota)));
  return static_cast<int>(std::clamp<long>(cores, 1, 4096));
}

}  // namespace xb
