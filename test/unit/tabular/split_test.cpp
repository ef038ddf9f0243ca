#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <set>
#include <string>

#include "core/tabular/split.hpp"

using namespace xb;

namespace {

// n rows: a numeric and a text feature, a label of two classes; row i's
// values depend only on i.
TabularRows rows_up_to(int n) {
  TabularRows r;
  TabularColumn price{"price", true, {}, {}};
  TabularColumn style{"style", false, {}, {}};
  for (int i = 0; i < n; ++i) {
    price.numbers.push_back(i * 0.5);
    style.texts.push_back(i % 7 == 0 ? std::nullopt : std::optional<std::string>("s" + std::to_string(i % 5)));
    r.labels.push_back(i % 3 == 0 ? "1" : "0");
  }
  r.features = {price, style};
  return r;
}

std::vector<int> strata_of(const TabularRows &r) {
  std::vector<int> s;
  for (const auto &l : r.labels) s.push_back(l == "1");
  return s;
}

// The held-out rows, as row values (i), of a holdout of rows.
std::set<long> held_of(const TabularRows &r, std::uint64_t seed, double fraction) {
  const auto [kept, held] = stable_holdout(all_rows(r.rows()), strata_of(r), row_keys(r, seed), fraction);
  EXPECT_EQ(kept.size() + held.size(), r.rows());
  return std::set<long>(held.begin(), held.end());
}

}  // namespace

// A row stays on its side as rows are added: the test split of 1,000 rows
// holds every row of the 900-row one's test split, and none of its others.
TEST(StableHoldout, ARowStaysOnItsSideAsRowsAreAdded) {
  const std::set<long> before = held_of(rows_up_to(900), 1, 0.2), after = held_of(rows_up_to(1000), 1, 0.2);
  for (long r : before) EXPECT_TRUE(after.count(r)) << r;
  for (long r : after) EXPECT_TRUE(r >= 900 || before.count(r)) << r;
  EXPECT_NEAR(static_cast<double>(after.size()) / 1000, 0.2, 0.04);
}

// The key depends on the row's values and the seed, not its position.
TEST(StableHoldout, KeysFollowTheValuesNotThePositionAndTheSeedChangesThem) {
  TabularRows r = rows_up_to(50);
  const auto keys = row_keys(r, 7);
  std::reverse(r.features[0].numbers.begin(), r.features[0].numbers.end());
  std::reverse(r.features[1].texts.begin(), r.features[1].texts.end());
  std::reverse(r.labels.begin(), r.labels.end());
  const auto reversed = row_keys(r, 7);
  for (std::size_t i = 0; i < 50; ++i) EXPECT_EQ(keys[i], reversed[49 - i]);
  EXPECT_NE(row_keys(rows_up_to(50), 8), keys);
  EXPECT_NE(held_of(rows_up_to(500), 1, 0.2), held_of(rows_up_to(500), 2, 0.2));
  // -0 and 0 are one value; two copies of one row are told apart.
  TabularRows zero = rows_up_to(1), minus_zero = rows_up_to(1);
  minus_zero.features[0].numbers = {-0.0};
  EXPECT_EQ(row_keys(zero, 1), row_keys(minus_zero, 1));
  TabularRows twice = rows_up_to(1);
  twice.features[0].numbers.push_back(0.0);
  twice.features[1].texts.push_back(std::nullopt);
  twice.labels.push_back("1");
  const auto copies = row_keys(twice, 1);
  EXPECT_NE(copies[0], copies[1]);
  EXPECT_EQ(copies[0], row_keys(zero, 1)[0]);  // the first copy keeps its key
}

// A table of two distinct rows, 300 copies: the copies split about evenly.
TEST(StableHoldout, CopiesOfOneRowSplitLikeDistinctRows) {
  TabularRows coin;
  TabularColumn constant{"constant", true, {}, {}};
  for (int i = 0; i < 300; ++i) {
    constant.numbers.push_back(1.0);
    coin.labels.push_back(i % 5 == 0 ? "1" : "0");
  }
  coin.features = {constant};
  std::vector<int> strata;
  for (const auto &l : coin.labels) strata.push_back(l == "1");
  const auto [kept, held] = stable_holdout(all_rows(300), strata, row_keys(coin, 1), 0.2);
  const long held_ones = std::count_if(held.begin(), held.end(), [&](long r) { return strata[r] == 1; });
  EXPECT_NEAR(static_cast<double>(held.size()), 60, 20);
  EXPECT_GT(held_ones, 0);
  EXPECT_LT(held_ones, static_cast<long>(held.size()));
}

// Every class keeps a row to train on, and a tiny source still holds one out.
TEST(StableHoldout, EveryClassTrainsAndSomethingIsHeldOut) {
  TabularRows r = rows_up_to(3);
  r.labels = {"a", "b", "b"};
  for (std::uint64_t seed = 0; seed < 50; ++seed) {
    const auto [kept, held] = stable_holdout(all_rows(3), {0, 1, 1}, row_keys(r, seed), 0.99);
    EXPECT_TRUE(std::count(kept.begin(), kept.end(), 0L)) << seed;  // the one "a"
    EXPECT_TRUE(std::count(kept.begin(), kept.end(), 1L) + std::count(kept.begin(), kept.end(), 2L) >= 1) << seed;
    const auto [k2, h2] = stable_holdout(all_rows(3), {0, 1, 1}, row_keys(r, seed), 0.01);
    EXPECT_EQ(h2.size(), 1u) << seed;
    EXPECT_NE(h2[0], 0L) << seed;  // from the class of two rows
  }
  EXPECT_TRUE(stable_holdout(all_rows(3), {0, 1, 1}, row_keys(r, 1), 0).second.empty());
}
