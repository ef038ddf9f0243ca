#include <gtest/gtest.h>

#include <cmath>

#include <nlohmann/json.hpp>

#include "core/tabular/encoding.hpp"
#include "core/tabular/split.hpp"

using namespace xb;

namespace {

TabularColumn text_column(const std::string &name, const std::vector<std::optional<std::string>> &values) {
  TabularColumn c;
  c.name = name;
  c.texts = values;
  return c;
}

TabularColumn number_column(const std::string &name, const std::vector<double> &values) {
  TabularColumn c;
  c.name = name;
  c.numeric = true;
  c.numbers = values;
  return c;
}

}  // namespace

TEST(TabularEncoding, MessyCategoriesNormalise) {
  EXPECT_EQ(normalize_category(std::string("Sexy")), "sexy");
  EXPECT_EQ(normalize_category(std::string("  sexy \t")), "sexy");
  EXPECT_EQ(normalize_category(std::string("null")), kMissingBucket);
  EXPECT_EQ(normalize_category(std::string("NULL")), kMissingBucket);
  EXPECT_EQ(normalize_category(std::string("")), kMissingBucket);
  EXPECT_EQ(normalize_category(std::string("   ")), kMissingBucket);
  EXPECT_EQ(normalize_category(std::nullopt), kMissingBucket);
  EXPECT_EQ(normalize_category(std::string("Été")), "Été");  // non-ASCII bytes kept
}

TEST(TabularEncoding, OneHotBucketsMissingOtherAndUnknown) {
  // sexy x3 (two spellings), casual x3, rare x1, and two kinds of missing.
  std::vector<TabularColumn> cols{text_column(
      "style", {std::string("Sexy"), std::string("sexy "), std::string("SEXY"), std::string("casual"),
                std::string("casual"), std::string("Casual"), std::string("rare"), std::string("null"), std::nullopt})};
  TabularEncoder e(cols, all_rows(9), Encoding::OneHot, 2, 0);
  const auto &cats = e.columns()[0].codes.categories;
  ASSERT_EQ(cats, (std::vector<std::string>{"(missing)", "(other)", "casual", "sexy"}));
  EXPECT_EQ(e.dense_dim(), 4);
  std::vector<TabularColumn> probe{text_column("style", {std::string("SeXy"), std::string("rare"), std::string("null"),
                                                         std::nullopt, std::string("never seen")})};
  EncodedRows x = e.encode_all(probe);
  auto row = [&](long r) { return std::vector<float>(x.dense.begin() + r * 4, x.dense.begin() + r * 4 + 4); };
  EXPECT_EQ(row(0), (std::vector<float>{0, 0, 0, 1}));  // sexy
  EXPECT_EQ(row(1), (std::vector<float>{0, 1, 0, 0}));  // rare -> other
  EXPECT_EQ(row(2), (std::vector<float>{1, 0, 0, 0}));  // 'null' -> missing
  EXPECT_EQ(row(3), (std::vector<float>{1, 0, 0, 0}));  // NULL -> missing
  EXPECT_EQ(row(4), (std::vector<float>{0, 0, 0, 0}));  // unseen -> unknown: no bit
}

TEST(TabularEncoding, NumbersStandardisedWithMeanImputationAndIndicator) {
  std::vector<TabularColumn> cols{number_column("rating", {1, 3, NAN, 5})};
  TabularEncoder e(cols, all_rows(4), Encoding::OneHot, 1, 0);
  ASSERT_TRUE(e.columns()[0].scaler.indicator);
  EXPECT_DOUBLE_EQ(e.columns()[0].scaler.mean, 3.0);
  EncodedRows x = e.encode_all(cols);
  ASSERT_EQ(x.dense_dim, 2);
  EXPECT_FLOAT_EQ(x.dense[2], 0.0f);  // 3: the mean
  EXPECT_FLOAT_EQ(x.dense[3], 0.0f);
  EXPECT_FLOAT_EQ(x.dense[4], 0.0f);  // the missing value: imputed with the mean, standardised
  EXPECT_FLOAT_EQ(x.dense[5], 1.0f);  // its indicator
  EXPECT_FLOAT_EQ(x.dense[1], 0.0f);
  EXPECT_NEAR(x.dense[0], -2.0 / std::sqrt(8.0 / 3.0), 1e-6);
  // No missing values in training: no indicator input.
  std::vector<TabularColumn> full{number_column("price", {1, 2, 3})};
  EXPECT_EQ(TabularEncoder(full, all_rows(3), Encoding::OneHot, 1, 0).dense_dim(), 1);
}

TEST(TabularEncoding, LearnsFromTrainingRowsOnly) {
  std::vector<TabularColumn> cols{text_column("c", {std::string("a"), std::string("b"), std::string("z")})};
  TabularEncoder e(cols, {0, 1}, Encoding::OneHot, 1, 0);
  EXPECT_EQ(e.columns()[0].codes.code_of("z"), -1);
}

TEST(TabularEncoding, LabelAndEmbeddingEncodings) {
  std::vector<TabularColumn> cols{
      text_column("c", {std::string("a"), std::string("b"), std::string("b"), std::string("c")}),
      number_column("n", {1, 2, 3, 4})};
  TabularEncoder label(cols, all_rows(4), Encoding::Label, 1, 0);
  EXPECT_EQ(label.dense_dim(), 2);
  EncodedRows lx = label.encode_all(cols);
  double sum = 0;
  for (long r = 0; r < 4; ++r) sum += lx.dense[r * 2];
  EXPECT_NEAR(sum, 0.0, 1e-5);  // standardised codes
  std::vector<TabularColumn> unseen{text_column("c", {std::string("q")}), number_column("n", {2.5})};
  EXPECT_FLOAT_EQ(label.encode_all(unseen).dense[0], 0.0f);

  TabularEncoder emb(cols, all_rows(4), Encoding::Embedding, 1, 3);
  EXPECT_EQ(emb.dense_dim(), 1);
  EXPECT_EQ(emb.cardinalities(), (std::vector<long>{6}));  // missing, other, a, b, c + unknown
  EXPECT_EQ(emb.embedding_dims(), (std::vector<long>{3}));
  EncodedRows ex = emb.encode_all(unseen);
  EXPECT_EQ(ex.codes[0], 5);  // the unknown row
}

TEST(TabularEncoding, JsonRoundTrip) {
  std::vector<TabularColumn> cols{text_column("c", {std::string("a"), std::string("b"), std::nullopt}),
                                  number_column("n", {1, NAN, 4})};
  TabularEncoder e(cols, all_rows(3), Encoding::OneHot, 1, 0);
  TabularEncoder back = TabularEncoder::from_json(e.to_json());
  EXPECT_EQ(back.input_names(), e.input_names());
  EXPECT_EQ(back.encode_all(cols).dense, e.encode_all(cols).dense);
}

TEST(TabularSplit, StratifiedHoldoutAndFolds) {
  std::vector<int> strata;
  for (int i = 0; i < 100; ++i) strata.push_back(i < 60 ? 0 : 1);
  SplitRng rng(7);
  auto [kept, held] = stratified_holdout(all_rows(100), strata, 0.2, rng);
  EXPECT_EQ(held.size(), 20u);
  long ones = 0;
  for (long r : held) ones += strata[r];
  EXPECT_EQ(ones, 8);
  SplitRng again(7);
  EXPECT_EQ(stratified_holdout(all_rows(100), strata, 0.2, again).second, held);

  SplitRng f(3);
  auto folds = stratified_folds(all_rows(100), strata, 5, f);
  std::vector<int> seen(100, 0);
  for (const auto &fold : folds) {
    EXPECT_EQ(fold.size(), 20u);
    long pos = 0;
    for (long r : fold) {
      ++seen[r];
      pos += strata[r];
    }
    EXPECT_EQ(pos, 8);
  }
  for (int s : seen) EXPECT_EQ(s, 1);
}
