// Runs fuzz cases in forked child processes, so a case that crashes, hangs
// or exhausts memory is reported as that case's failure instead of taking the
// whole test binary down. The parent never touches LibTorch (children do all
// the work), so forking never copies LibTorch thread pools.
//
// Cases are numbered 0..count-1 and must be reproducible from their number
// alone (seed each from its index): after a crash at case k a fresh child
// carries on at k + 1.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace xb::fuzz {

// splitmix64: small, fast, and the same numbers on every platform.
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  std::uint64_t below(std::uint64_t n) { return n == 0 ? 0 : next() % n; }
  bool chance(double p) { return static_cast<double>(next() >> 11) * 0x1.0p-53 < p; }
  template <typename T>
  const T &pick(const std::vector<T> &items) {
    return items[below(items.size())];
  }

 private:
  std::uint64_t state_;
};

// The generator of case `index` of a stream: independent of every other case.
inline Rng case_rng(std::uint64_t stream, std::uint64_t index) {
  Rng mix(stream * 0x2545f4914f6cdd1dULL + index);
  return Rng(mix.next());
}

struct CaseResult {
  bool ok = true;
  std::string outcome;  // for the tally: "xb:CorruptModel", "accepted", "std::exception", ...
  std::string detail;   // for a failure: what the case was and what happened
};

struct Limits {
  unsigned seconds_per_case = 3;                         // SIGALRM beyond this: a hang
  std::uint64_t address_space = std::uint64_t(8) << 30;  // RLIMIT_AS of each child
  // A single request larger than this (operator new or posix_memalign, which
  // LibTorch's CPU allocator uses) is refused and fails the case, even when
  // the code under test catches the std::bad_alloc or c10::Error it causes
  // and reports a clean error. 0: no cap. Not applied under ASan (below).
  std::uint64_t largest_allocation = 0;
};

// Whether Limits::address_space is applied. AddressSanitizer reserves
// terabytes of shadow memory up front, so under it RLIMIT_AS cannot be set
// and each child runs without; the sanitizer run bounds every allocation
// instead: ASAN_OPTIONS=allocator_may_return_null=1:max_allocation_size_mb=N
// makes a larger request fail (std::bad_alloc, a failed case) rather than
// succeed (test/run_all.sh, step "sanitizer").
bool address_space_limit_available();

// The calling process's peak virtual memory (VmPeak), in bytes.
std::uint64_t peak_address_space();

// The largest single allocation requested in this process since the last
// call (counted while a cap is set, i.e. in the children of run_isolated).
std::uint64_t take_largest_allocation();

struct Report {
  std::uint64_t cases = 0;
  std::map<std::string, std::uint64_t> outcomes;
  std::vector<std::string> failures;  // "case N: detail"
  std::uint64_t failure_count = 0;    // failures may be capped, this is not
  double seconds = 0;
  std::string summary() const;  // "10000 cases in 1.2 s: xb:CorruptModel 9990, accepted 10"
};

// run_case runs in the children. describe(index) runs in the parent to name a
// case that crashed or hung; it must not start LibTorch.
Report run_isolated(std::uint64_t count, const std::function<CaseResult(std::uint64_t)> &run_case,
                    const std::function<std::string(std::uint64_t)> &describe, const Limits &limits = {});

// Runs f in a child and returns the bytes it returns (e.g. a trained blob);
// throws std::runtime_error when the child fails.
std::string produce_in_child(const std::function<std::string()> &f, const Limits &limits = {});

// Case count from the environment (the stress run raises them), else fallback.
std::uint64_t cases_from_env(const char *name, std::uint64_t fallback);

}  // namespace xb::fuzz
