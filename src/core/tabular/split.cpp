#include "core/tabular/split.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <numeric>

namespace xb {
namespace {

std::map<int, std::vector<long>> by_stratum(const std::vector<long> &rows, const std::vector<int> &strata) {
  std::map<int, std::vector<long>> groups;
  for (long r : rows) groups[strata[r]].push_back(r);
  return groups;
}

// FNV-1a over bytes, then a SplitMix64 finish: fixed arithmetic, so keys
// (and test splits) are the same on every platform and release.
constexpr std::uint64_t kFnvOffset = 14695981039346656037ull, kFnvPrime = 1099511628211ull;

void fnv(std::uint64_t &h, const void *data, std::size_t n) {
  const auto *p = static_cast<const unsigned char *>(data);
  for (std::size_t i = 0; i < n; ++i) h = (h ^ p[i]) * kFnvPrime;
}

void fnv_text(std::uint64_t &h, const std::string &s) {
  const std::uint64_t n = s.size();  // the length first: "ab","c" differs from "a","bc"
  fnv(h, &n, sizeof n);
  fnv(h, s.data(), s.size());
}

void fnv_number(std::uint64_t &h, double v) {
  const unsigned char tag = std::isnan(v) ? 0 : 1;  // every NaN is one missing value
  fnv(h, &tag, 1);
  if (std::isnan(v)) return;
  if (v == 0) v = 0;  // -0 and 0 are one value
  std::uint64_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  fnv(h, &bits, sizeof bits);
}

std::uint64_t splitmix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

}  // namespace

std::vector<std::uint64_t> row_keys(const TabularRows &rows, std::uint64_t seed) {
  const std::size_t n = rows.rows();
  std::vector<std::uint64_t> keys(n, kFnvOffset);
  for (const TabularColumn &c : rows.features)
    for (std::size_t r = 0; r < n; ++r) {
      if (c.numeric) {
        fnv_number(keys[r], c.numbers[r]);
      } else {
        const unsigned char tag = c.texts[r] ? 1 : 0;
        fnv(keys[r], &tag, 1);
        if (c.texts[r]) fnv_text(keys[r], *c.texts[r]);
      }
    }
  for (std::size_t r = 0; r < n; ++r) {
    if (r < rows.labels.size()) fnv_text(keys[r], rows.labels[r]);
    if (r < rows.targets.size()) fnv_number(keys[r], rows.targets[r]);
  }
  // Copies of one row are told apart by their count (the first copy, the
  // second, ... in row order): a table of few distinct rows still splits
  // about evenly, and the first k copies keep their keys as more copies
  // arrive. Counted on the rows sorted by hash, not in a hash table, which
  // would take several times the rows' own memory.
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::sort(order.begin(), order.end(),
            [&](std::size_t a, std::size_t b) { return keys[a] < keys[b] || (keys[a] == keys[b] && a < b); });
  for (std::size_t i = 0; i < n;) {
    const std::uint64_t hash = keys[order[i]];
    std::size_t end = i;
    while (end < n && keys[order[end]] == hash) ++end;
    for (std::size_t copy = 0; i + copy < end; ++copy)
      keys[order[i + copy]] = splitmix(hash ^ splitmix(seed) ^ splitmix(splitmix(copy)));
    i = end;
  }
  return keys;
}

std::pair<std::vector<long>, std::vector<long>> stable_holdout(const std::vector<long> &rows,
                                                               const std::vector<int> &strata,
                                                               const std::vector<std::uint64_t> &keys,
                                                               double fraction) {
  std::vector<long> kept, held;
  if (fraction <= 0) return {rows, held};
  const double below = fraction * 18446744073709551616.0;  // 2^64
  const auto held_out = [&](long r) { return static_cast<double>(keys[r]) < below; };
  const auto by_key = [&](long a, long b) { return keys[a] < keys[b] || (keys[a] == keys[b] && a < b); };
  long smallest = -1;  // of the rows in strata of two or more, for when nothing is held out
  for (auto &[stratum, group] : by_stratum(rows, strata)) {
    std::vector<long> in, out;
    for (long r : group) (held_out(r) ? out : in).push_back(r);
    if (in.empty()) {  // a class must train: its row with the largest key stays
      const auto last = std::max_element(out.begin(), out.end(), by_key);
      in.push_back(*last);
      out.erase(last);
    }
    if (group.size() >= 2) {
      const long first = *std::min_element(group.begin(), group.end(), by_key);
      if (smallest < 0 || by_key(first, smallest)) smallest = first;
    }
    kept.insert(kept.end(), in.begin(), in.end());
    held.insert(held.end(), out.begin(), out.end());
  }
  if (held.empty() && smallest >= 0) {
    kept.erase(std::find(kept.begin(), kept.end(), smallest));
    held.push_back(smallest);
  }
  std::sort(kept.begin(), kept.end());
  std::sort(held.begin(), held.end());
  return {kept, held};
}

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
