// What "all cores" means: the CPUs the process may use, not the machine's.
#include <gtest/gtest.h>
#include <sched.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
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

// cpu.max as cgroup v2 writes it, in a tree like /sys/fs/cgroup's.
class CgroupQuota : public ::testing::Test {
 protected:
  void SetUp() override {
    char name[] = "/tmp/xb-cgroup-XXXXXX";
    ASSERT_NE(mkdtemp(name), nullptr);
    root_ = name;
    std::filesystem::create_directories(root_ + "/system.slice/db.service");
  }
  void TearDown() override { std::filesystem::remove_all(root_); }
  void write(const std::string &dir, const std::string &cpu_max) {
    std::ofstream(root_ + dir + "/cpu.max") << cpu_max << "\n";
  }
  std::string root_;
};

TEST_F(CgroupQuota, TheTightestQuotaFromTheLeafUpToTheRoot) {
  EXPECT_EQ(cgroup_cpu_quota(root_, "/system.slice/db.service"), 0);  // no cpu.max anywhere
  write("/system.slice/db.service", "max 100000");
  EXPECT_EQ(cgroup_cpu_quota(root_, "/system.slice/db.service"), 0);
  // A quota on the parent slice limits the service below it.
  write("/system.slice", "150000 100000");
  EXPECT_DOUBLE_EQ(cgroup_cpu_quota(root_, "/system.slice/db.service"), 1.5);
  EXPECT_DOUBLE_EQ(cgroup_cpu_quota(root_, "/system.slice/db.service/"), 1.5);
  write("/system.slice/db.service", "50000 100000");
  EXPECT_DOUBLE_EQ(cgroup_cpu_quota(root_, "/system.slice/db.service"), 0.5);
  write("", "25000 100000");  // the root's, as a container sees its own
  EXPECT_DOUBLE_EQ(cgroup_cpu_quota(root_, "/system.slice/db.service"), 0.25);
  EXPECT_DOUBLE_EQ(cgroup_cpu_quota(root_, "/"), 0.25);
}

TEST_F(CgroupQuota, PathsOutsideTheTreeAndBadFilesCountAsNoQuota) {
  write("/system.slice", "150000 100000");
  EXPECT_EQ(cgroup_cpu_quota(root_, ""), 0);
  EXPECT_EQ(cgroup_cpu_quota(root_, "system.slice"), 0);
  EXPECT_EQ(cgroup_cpu_quota(root_, "/system.slice/../.."), 0);
  write("/system.slice", "garbage 100000");
  EXPECT_EQ(cgroup_cpu_quota(root_, "/system.slice/db.service"), 0);
  write("/system.slice", "150000 0");
  EXPECT_EQ(cgroup_cpu_quota(root_, "/system.slice/db.service"), 0);
  write("/system.slice", "-5 100000");
  EXPECT_EQ(cgroup_cpu_quota(root_, "/system.slice/db.service"), 0);
}
