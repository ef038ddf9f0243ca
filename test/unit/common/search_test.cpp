#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <numeric>
#include <nlohmann/json.hpp>
#include <set>

#include "core/common/error.hpp"
#include "core/common/search.hpp"

using namespace xb;
using nlohmann::json;

namespace {

const std::vector<std::string> kKeys{"a", "b", "hidden"};

// Runs a search to its end, reporting objective(trial) after each trial;
// returns the scores in order.
std::vector<double> run(OptionSearch &s, const std::function<double(const json &)> &objective,
                        std::vector<std::string> *docs = nullptr) {
  std::vector<double> scores;
  for (int t = 0; t < s.size(); ++t) {
    const std::string doc = s.next();
    if (docs) docs->push_back(doc);
    scores.push_back(objective(json::parse(doc)));
    s.report(scores.back());
  }
  return scores;
}

// Eight values of a and b each; the best trial is a = 5, b = 2.
const std::string kEightByEight = R"({"a": [0, 1, 2, 3, 4, 5, 6, 7], "b": [0, 1, 2, 3, 4, 5, 6, 7], "c": 1})";
double bowl(const json &t) { return std::abs(t.at("a").get<double>() - 5) + std::abs(t.at("b").get<double>() - 2); }

}  // namespace

TEST(Search, BayesIsSeededNeverRepeatsAndKeepsTheFixedOptions) {
  const std::string options = R"({"a": [0, 1, 2, 3, 4, 5, 6, 7], "b": [0, 1, 2, 3, 4, 5, 6, 7], "c": 1,
                                  "search": "bayes", "trials": 30, "seed": 3})";
  OptionSearch first(options, kKeys), again(options, kKeys);
  EXPECT_EQ(first.mode(), "bayes");
  ASSERT_EQ(first.size(), 30);
  std::vector<std::string> a, b;
  run(first, bowl, &a);
  run(again, bowl, &b);
  EXPECT_EQ(a, b);  // the same seed, the same trials
  EXPECT_EQ(std::set<std::string>(a.begin(), a.end()).size(), a.size());
  for (const auto &doc : a) {
    EXPECT_EQ(json::parse(doc).at("c"), 1) << doc;
    EXPECT_FALSE(json::parse(doc).contains("search")) << doc;
  }
  EXPECT_THROW(first.next(), Error);  // no trials left
}

TEST(Search, BayesStopsWhenTheCombinationsRunOut) {
  OptionSearch s(R"({"a": [1, 2], "b": ["x", "y"], "search": "bayes", "trials": 50})", kKeys);
  ASSERT_EQ(s.size(), 4);
  std::vector<std::string> docs;
  run(
      s, [](const json &) { return 1.0; }, &docs);
  EXPECT_EQ(std::set<std::string>(docs.begin(), docs.end()).size(), 4u);
}

// Bergstra et al.'s point: after its random start the estimator draws where
// the good trials were. Over five seeds on a bowl with one best cell in 64,
// its later trials score better than random draws do, and its best is at
// least as good.
TEST(Search, BayesConcentratesOnTheGoodRegion) {
  for (int seed = 1; seed <= 5; ++seed) {
    const std::string tail = R"(, "trials": 24, "seed": )" + std::to_string(seed) + "}";
    OptionSearch bayes(kEightByEight.substr(0, kEightByEight.size() - 1) + R"(, "search": "bayes")" + tail, kKeys);
    OptionSearch random(kEightByEight.substr(0, kEightByEight.size() - 1) + R"(, "search": "random")" + tail, kKeys);
    const std::vector<double> b = run(bayes, bowl), r = run(random, bowl);
    const auto mean = [](auto from, auto to) { return std::accumulate(from, to, 0.0) / std::distance(from, to); };
    EXPECT_LT(mean(b.begin() + 12, b.end()), mean(r.begin() + 12, r.end())) << "seed " << seed;
    EXPECT_LE(*std::min_element(b.begin(), b.end()), *std::min_element(r.begin(), r.end())) << "seed " << seed;
  }
}

TEST(Search, ListValuedOptionsAreSearchedAsArraysOfArrays) {
  // "hidden": [64, 32] is one value; [[], [64, 32]] searches two, [] among them.
  OptionSearch plain(R"({"hidden": [64, 32], "a": [1, 2]})", kKeys, {"hidden"});
  EXPECT_EQ(plain.searched(), std::vector<std::string>{"a"});
  EXPECT_EQ(plain.documents_to_check().front(), R"({"a":1,"hidden":[64,32]})");
  OptionSearch lists(R"({"hidden": [[], [64, 32]]})", kKeys, {"hidden"});
  EXPECT_EQ(lists.mode(), "grid");
  EXPECT_EQ(lists.documents_to_check(), (std::vector<std::string>{R"({"hidden":[]})", R"({"hidden":[64,32]})"}));
  OptionSearch empty(R"({"hidden": []})", kKeys, {"hidden"});
  EXPECT_EQ(empty.mode(), "none");
  // Not list-valued: an array of arrays is refused.
  EXPECT_THROW(OptionSearch(R"({"a": [[1], [2]]})", kKeys, {"hidden"}), Error);
}

TEST(Search, AValueListedTwiceIsOneValue) {
  OptionSearch s(R"({"a": [1, 1, 2], "b": ["x", "x"], "search": "bayes"})", kKeys);
  EXPECT_EQ(s.size(), 2);
  std::vector<std::string> docs;
  run(
      s, [](const json &) { return 1.0; }, &docs);
  EXPECT_NE(docs[0], docs[1]);
}

TEST(Search, BayesChecksEveryValueBeforeTraining) {
  const OptionSearch s(R"({"a": [1, 2, 3], "b": ["x", "y"], "search": "bayes"})", kKeys);
  EXPECT_EQ(s.size(), 6);  // every combination, fewer than the default 20
  const auto docs = s.documents_to_check();
  ASSERT_EQ(docs.size(), 5u);  // each value once
  EXPECT_EQ(docs[2], R"({"a":3,"b":"x"})");
  EXPECT_EQ(docs[4], R"({"a":1,"b":"y"})");
}
