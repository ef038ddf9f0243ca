// Seeded, platform-independent splits of row indices: a holdout and k folds,
// each keeping the strata (classes) in proportion. Torch-free.
#pragma once
#include <cstdint>
#include <random>
#include <utility>
#include <vector>

#include "core/tabular/data.hpp"

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

// Each row's place in a seeded order that depends only on its own values
// (every feature and the label) and, for copies of one row, on which copy
// it is; never on the other rows or their order: the same row gets the
// same key in every training with that seed.
std::vector<std::uint64_t> row_keys(const TabularRows &rows, std::uint64_t seed);

// The test split: the rows whose key falls in the lowest `fraction` of the
// key range are held out, so a row stays on its side as rows are added or
// removed (xb_retrain scores two versions on the new one's test split,
// which the older one never trained on).
// Each stratum keeps at least one row; when nothing would be held out, the
// row with the smallest key of a stratum of two or more is. Both sorted.
std::pair<std::vector<long>, std::vector<long>> stable_holdout(const std::vector<long> &rows,
                                                               const std::vector<int> &strata,
                                                               const std::vector<std::uint64_t> &keys, double fraction);

// k folds; each stratum dealt round-robin over the folds after a shuffle.
std::vector<std::vector<long>> stratified_folds(const std::vector<long> &rows, const std::vector<int> &strata, int k,
                                                SplitRng &rng);

}  // namespace xb
