// Seeded, platform-independent splits of row indices: a holdout and k folds,
// each keeping the strata (classes) in proportion. Torch-free.
#pragma once
#include <cstdint>
#include <random>
#include <utility>
#include <vector>

namespace xb {

// mt19937_64 with its own Fisher-Yates shuffle, so the same seed gives the
// same split with any standard library.
class SplitRng {
 public:
  explicit SplitRng(std::uint64_t seed) : engine_(seed) {}
  void shuffle(std::vector<long> &v);

 private:
  std::mt19937_64 engine_;
};

std::vector<long> all_rows(std::size_t n);

// Splits rows into (kept, held out) with about `fraction` of each stratum
// held out; a stratum of one row stays in the kept part. Both sorted.
std::pair<std::vector<long>, std::vector<long>> stratified_holdout(const std::vector<long> &rows,
                                                                   const std::vector<int> &strata, double fraction,
                                                                   SplitRng &rng);

// k folds; each stratum dealt round-robin over the folds after a shuffle.
std::vector<std::vector<long>> stratified_folds(const std::vector<long> &rows, const std::vector<int> &strata, int k,
                                                SplitRng &rng);

}  // namespace xb
