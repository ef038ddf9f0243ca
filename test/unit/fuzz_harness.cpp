#include "fuzz_harness.hpp"

#include <dlfcn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <sstream>
#include <stdexcept>

#if defined(__SANITIZE_ADDRESS__)
#define XB_FUZZ_UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define XB_FUZZ_UNDER_ASAN 1
#endif
#endif

namespace xb::fuzz {
namespace {

// The allocation cap of the running child (Limits::largest_allocation).
std::atomic<std::uint64_t> allocation_cap{0};
std::atomic<std::uint64_t> largest_request{0};
std::atomic<std::uint64_t> oversized_request{0};  // the first refused size of this case

// Whether a request of n bytes is refused; notes the largest and the refused.
[[maybe_unused]] bool over_cap(std::size_t n) {  // unused under ASan, which has its own cap
  const std::uint64_t cap = allocation_cap.load(std::memory_order_relaxed);
  if (cap == 0) return false;
  std::uint64_t seen = largest_request.load(std::memory_order_relaxed);
  while (n > seen && !largest_request.compare_exchange_weak(seen, n)) {
  }
  if (n <= cap) return false;
  std::uint64_t none = 0;
  oversized_request.compare_exchange_strong(none, n);
  return true;
}

constexpr std::uint64_t kReady = ~std::uint64_t(0);  // first record of a child: it runs

void write_all(int fd, const std::string &bytes) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) ::_exit(4);  // the parent is gone
    done += static_cast<std::size_t>(n);
  }
}

// false at end of file before any byte; throws on a short read.
bool read_all(int fd, void *out, std::size_t len) {
  auto *p = static_cast<char *>(out);
  std::size_t done = 0;
  while (done < len) {
    ssize_t n = ::read(fd, p + done, len - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw std::runtime_error(std::string("fuzz harness: read: ") + std::strerror(errno));
    if (n == 0) {
      if (done == 0) return false;
      throw std::runtime_error("fuzz harness: truncated record from a child");
    }
    done += static_cast<std::size_t>(n);
  }
  return true;
}

template <typename T>
void append(std::string &out, T v) {
  out.append(reinterpret_cast<const char *>(&v), sizeof v);
}

// index, ok, outcome, detail: one record per case, written before the next starts.
std::string record(std::uint64_t index, const CaseResult &r) {
  std::string out;
  append(out, index);
  append(out, static_cast<std::uint8_t>(r.ok));
  append(out, static_cast<std::uint32_t>(r.outcome.size()));
  append(out, static_cast<std::uint32_t>(r.detail.size()));
  out += r.outcome;
  out += r.detail;
  return out;
}

void limit_child(const Limits &limits) {
  if (address_space_limit_available()) {
    allocation_cap = limits.largest_allocation;
    struct rlimit as {};
    as.rlim_cur = as.rlim_max = limits.address_space;
    setrlimit(RLIMIT_AS, &as);
  }
  // A case that dumps core would be slow and litter the build directory.
  struct rlimit core {};
  setrlimit(RLIMIT_CORE, &core);
}

std::string describe_exit(int status, unsigned seconds_per_case) {
  if (WIFSIGNALED(status)) {
    int sig = WTERMSIG(status);
    if (sig == SIGALRM) return "hang: still running after " + std::to_string(seconds_per_case) + " s";
    return std::string("crash: killed by signal ") + std::to_string(sig) + " (" + strsignal(sig) + ")";
  }
  if (WIFEXITED(status)) return "crash: the child exited with status " + std::to_string(WEXITSTATUS(status));
  return "crash: the child stopped";
}

[[noreturn]] void child_main(int fd, std::uint64_t from, std::uint64_t count,
                             const std::function<CaseResult(std::uint64_t)> &run_case,
                             const std::function<std::string(std::uint64_t)> &describe, const Limits &limits) {
  limit_child(limits);
  write_all(fd, record(kReady, {}));
  for (std::uint64_t k = from; k < count; ++k) {
    CaseResult r;
    oversized_request = 0;
    alarm(limits.seconds_per_case);
    try {
      r = run_case(k);
    } catch (const std::exception &e) {
      r = {false, "harness: uncaught exception", describe(k) + " -> " + e.what()};
    } catch (...) {
      r = {false, "harness: uncaught exception", describe(k) + " -> not a std::exception"};
    }
    alarm(0);
    if (const std::uint64_t n = oversized_request.load())
      r = {false, "oversized allocation",
           describe(k) + " -> requested " + std::to_string(n) + " bytes at once, over the cap of " +
               std::to_string(limits.largest_allocation) + " (" + r.outcome + ")"};
    if (r.ok) r.detail.clear();
    write_all(fd, record(k, r));
  }
  ::_exit(0);
}

}  // namespace

std::string Report::summary() const {
  std::ostringstream out;
  out << cases << " cases in " << seconds << " s:";
  const char *sep = " ";
  for (const auto &[outcome, n] : outcomes) {
    out << sep << outcome << " " << n;
    sep = ", ";
  }
  return out.str();
}

Report run_isolated(std::uint64_t count, const std::function<CaseResult(std::uint64_t)> &run_case,
                    const std::function<std::string(std::uint64_t)> &describe, const Limits &limits) {
  const auto start = std::chrono::steady_clock::now();
  Report report;
  auto fail = [&](std::uint64_t index, const std::string &outcome, const std::string &detail) {
    ++report.outcomes[outcome];
    ++report.failure_count;
    if (report.failures.size() < cases_from_env("XB_FUZZ_SHOW_FAILURES", 100))
      report.failures.push_back("case " + std::to_string(index) + ": " + outcome + ": " + detail);
  };

  std::uint64_t next = 0;
  while (next < count) {
    int fds[2];
    if (pipe(fds) != 0) throw std::runtime_error("fuzz harness: pipe failed");
    pid_t pid = fork();
    if (pid < 0) throw std::runtime_error("fuzz harness: fork failed");
    if (pid == 0) {
      ::close(fds[0]);
      child_main(fds[1], next, count, run_case, describe, limits);
    }
    ::close(fds[1]);

    bool ready = false;
    for (;;) {
      std::uint64_t index;
      std::uint8_t ok;
      std::uint32_t outcome_len, detail_len;
      if (!read_all(fds[0], &index, sizeof index)) break;
      read_all(fds[0], &ok, sizeof ok);
      read_all(fds[0], &outcome_len, sizeof outcome_len);
      read_all(fds[0], &detail_len, sizeof detail_len);
      std::string outcome(outcome_len, '\0'), detail(detail_len, '\0');
      read_all(fds[0], outcome.data(), outcome_len);
      read_all(fds[0], detail.data(), detail_len);
      if (index == kReady) {
        ready = true;
        continue;
      }
      ++report.cases;
      if (ok)
        ++report.outcomes[outcome];
      else
        fail(index, outcome, detail);
      next = index + 1;
    }
    ::close(fds[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (!ready)
      throw std::runtime_error("fuzz harness: a child failed before its first case: " +
                               describe_exit(status, limits.seconds_per_case));
    if (next < count) {  // the child died during case `next`
      ++report.cases;
      const std::string what = describe_exit(status, limits.seconds_per_case);
      fail(next, what.substr(0, what.find(':')), describe(next) + " -> " + what);
      ++next;
    }
  }
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return report;
}

std::string produce_in_child(const std::function<std::string()> &f, const Limits &limits) {
  int fds[2];
  if (pipe(fds) != 0) throw std::runtime_error("fuzz harness: pipe failed");
  pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fuzz harness: fork failed");
  if (pid == 0) {
    ::close(fds[0]);
    limit_child(limits);
    std::string bytes;
    try {
      bytes = f();
    } catch (const std::exception &e) {
      std::fprintf(stderr, "produce_in_child: %s\n", e.what());
      ::_exit(3);
    }
    write_all(fds[1], bytes);
    ::_exit(0);
  }
  ::close(fds[1]);
  std::string out;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fds[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fds[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw std::runtime_error("produce_in_child: " + describe_exit(status, limits.seconds_per_case));
  return out;
}

bool address_space_limit_available() {
#ifdef XB_FUZZ_UNDER_ASAN
  return false;
#else
  return true;
#endif
}

std::uint64_t peak_address_space() {
  std::FILE *status = std::fopen("/proc/self/status", "r");
  if (!status) throw std::runtime_error("fuzz harness: cannot read /proc/self/status");
  char line[256];
  unsigned long long kb = 0;
  while (std::fgets(line, sizeof line, status))
    if (std::sscanf(line, "VmPeak: %llu kB", &kb) == 1) break;
  std::fclose(status);
  if (kb == 0) throw std::runtime_error("fuzz harness: no VmPeak in /proc/self/status");
  return static_cast<std::uint64_t>(kb) << 10;
}

std::uint64_t take_largest_allocation() { return largest_request.exchange(0); }

std::uint64_t cases_from_env(const char *name, std::uint64_t fallback) {
  const char *v = std::getenv(name);
  if (!v || !*v) return fallback;
  char *end = nullptr;
  unsigned long long n = std::strtoull(v, &end, 10);
  return (end && *end == '\0' && n > 0) ? n : fallback;
}

}  // namespace xb::fuzz

#ifndef XB_FUZZ_UNDER_ASAN
// The allocation cap: replacements of the global operator new (what
// std::vector, std::string and nlohmann::json allocate with) and of
// posix_memalign (what LibTorch's CPU allocator calls), active only while a
// child has a cap. Under ASan its own allocator and max_allocation_size_mb
// take this part.
void *operator new(std::size_t n) {
  if (xb::fuzz::over_cap(n)) throw std::bad_alloc();
  if (void *p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void *operator new[](std::size_t n) { return ::operator new(n); }
void operator delete(void *p) noexcept { std::free(p); }
void operator delete[](void *p) noexcept { std::free(p); }
void operator delete(void *p, std::size_t) noexcept { std::free(p); }
void operator delete[](void *p, std::size_t) noexcept { std::free(p); }

extern "C" int posix_memalign(void **out, std::size_t alignment, std::size_t n) {
  using Real = int (*)(void **, std::size_t, std::size_t);
  static const Real real = reinterpret_cast<Real>(dlsym(RTLD_NEXT, "posix_memalign"));
  if (xb::fuzz::over_cap(n)) return ENOMEM;
  return real(out, alignment, n);
}
#endif
