#include "core/tabular/split.hpp"

#include <algorithm>
#include <cmath>
#include <map>

namespace xb {
namespace {

std::map<int, std::vector<long>> by_stratum(const std::vector<long> &rows, const std::vector<int> &strata) {
  std::map<int, std::vector<long>> groups;
  for (long r : rows) groups[strata[r]].push_back(r);
  return groups;
}

}  // namespace

void SplitRng::shuffle(std::vector<long> &v) {
  for (std::size_t i = v.size(); i > 1; --i) {
    std::size_t j = static_cast<std::size_t>(engine_() % i);
    std::swap(v[i - 1], v[j]);
  }
}

std::vector<long> all_rows(std::size_t n) {
  std::vector<long> rows(n);
  for (std::size_t i = 0; i < n; ++i) rows[i] = static_cast<long>(i);
  return rows;
}

std::pair<std::vector<long>, std::vector<long>> stratified_holdout(const std::vector<long> &rows,
                                                                   const std::vector<int> &strata, double fraction,
                                                                   SplitRng &rng) {
  std::vector<long> kept, held;
  if (fraction <= 0) return {rows, held};
  for (auto &[stratum, group] : by_stratum(rows, strata)) {
    rng.shuffle(group);
    long n = static_cast<long>(group.size());
    long take = std::min<long>(n - 1, std::lround(static_cast<double>(n) * fraction));
    take = std::max<long>(take, 0);
    held.insert(held.end(), group.begin(), group.begin() + take);
    kept.insert(kept.end(), group.begin() + take, group.end());
  }
  std::sort(kept.begin(), kept.end());
  std::sort(held.begin(), held.end());
  return {kept, held};
}

std::vector<std::vector<long>> stratified_folds(const std::vector<long> &rows, const std::vector<int> &strata, int k,
                                                SplitRng &rng) {
  std::vector<std::vector<long>> folds(static_cast<std::size_t>(k));
  std::size_t next = 0;  // carried across strata so the folds' sizes stay even
  for (auto &[stratum, group] : by_stratum(rows, strata)) {
    rng.shuffle(group);
    for (long r : group) folds[next++ % folds.size()].push_back(r);
  }
  for (auto &f : folds) std::sort(f.begin(), f.end());
  return folds;
}

}  // namespace xb
