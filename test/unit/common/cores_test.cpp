// What "all cores" means: the CPUs the process may use, not the machine's.
#include <gtest/gtest.h>
#include <sched.h>
#include <unistd.h>

#include <thread>

#include "core/common/cores.hpp"

using namespace xb;

TEST(Cores, FollowTheAffinityMask) {
  const int all = usable_cores();
  EXPECT_GE(all, 1);
  EXPECT_LE(all, sysconf(_SC_NPROCESSORS_ONLN));
  // A thread pinned to one CPU (taskset -c 0) may use one core.
  int pinned = 0;
  std::thread t([&] {
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(0, &one);
    if (sched_setaffinity(0, sizeof one, &one) != 0) {
      pinned = -1;
      return;
    }
    pinned = usable_cores();
  });
  t.join();
  ASSERT_NE(pinned, -1) << "sched_setaffinity failed";
  EXPECT_EQ(pinned, 1);
  EXPECT_EQ(usable_cores(), all);  // the mask was the other thread's
}
