#include <gtest/gtest.h>

#include "core/forecast/covariates.hpp"
#include "core/common/error.hpp"

using namespace xb;

namespace {

SeriesRows promo_rows() {
  SeriesRows r;
  r.feature_names = {"price"};
  r.text_feature_names = {"promo"};
  const char *promos[] = {"none", "bogo", "none", "", "none", "bogo"};
  for (int i = 0; i < 6; ++i) {
    r.series_key.push_back("a");
    r.time.push_back(i);
    r.target.push_back(i);
    r.features.push_back(1.0 + i);
    r.text_features.push_back(promos[i]);
  }
  return r;
}

}  // namespace

TEST(TextEncoding, CategoriesAndAnUnknownColumn) {
  TextEncoding enc = fit_text_encoding(promo_rows());
  ASSERT_EQ(enc.encoders.size(), 1u);
  EXPECT_EQ(enc.encoders[0].categories, (std::vector<std::string>{"", "bogo", "none"}));
  EXPECT_EQ(enc.width(), 4);
  EXPECT_EQ(enc.column_names(),
            (std::vector<std::string>{"promo=<null>", "promo=bogo", "promo=none", "promo=<unknown>"}));
  EXPECT_EQ(enc.encoders[0].column_of("never seen"), 3);
  TextEncoding back = TextEncoding::from_json(enc.to_json());
  EXPECT_EQ(back.encoders[0].categories, enc.encoders[0].categories);
}

TEST(TextEncoding, RowsBecomeOneHotColumnsAfterTheNumericOnes) {
  SeriesRows r = promo_rows();
  SeriesRows e = encode_text_columns(r, fit_text_encoding(r));
  ASSERT_EQ(e.feature_names.size(), 5u);
  // row 1: price 2, promo bogo
  EXPECT_EQ(std::vector<double>(e.features.begin() + 5, e.features.begin() + 10), (std::vector<double>{2, 0, 1, 0, 0}));
  // row 3: NULL promo has its own column
  EXPECT_EQ(e.features[3 * 5 + 1], 1.0);
}

TEST(TextEncoding, OnlyTheMostFrequentCategoriesAreKept) {
  SeriesRows r;
  r.text_feature_names = {"sku"};
  for (int i = 0; i < kMaxCategories + 10; ++i)
    for (int k = 0; k <= (i < kMaxCategories ? 1 : 0); ++k) {
      r.series_key.push_back("");
      r.time.push_back(static_cast<Micros>(r.time.size()));
      r.target.push_back(0);
      r.text_features.push_back("v" + std::to_string(i));
    }
  TextEncoding enc = fit_text_encoding(r);
  EXPECT_EQ(enc.encoders[0].categories.size(), static_cast<std::size_t>(kMaxCategories));
  EXPECT_EQ(enc.encoders[0].column_of("v" + std::to_string(kMaxCategories + 3)), kMaxCategories);
}

TEST(Overrides, SetAddMulAndCategories) {
  TextEncoding enc = fit_text_encoding(promo_rows());
  Overrides ov = parse_overrides(R"({"price": {"mul": 0.5}, "promo": {"set": "bogo"}})", {"price"}, enc);
  double row[5] = {4, 0, 0, 1, 0};  // price 4, promo none
  apply_overrides(ov, {"price"}, enc, row);
  EXPECT_EQ(std::vector<double>(row, row + 5), (std::vector<double>{2, 0, 1, 0, 0}));

  double add[5] = {4, 0, 0, 1, 0};
  apply_overrides(parse_overrides(R"({"price": {"add": -1}})", {"price"}, enc), {"price"}, enc, add);
  EXPECT_EQ(add[0], 3);
  double set[5] = {4, 0, 0, 1, 0};
  apply_overrides(parse_overrides(R"({"price": 7, "promo": {"set": "flash"}})", {"price"}, enc), {"price"}, enc, set);
  EXPECT_EQ(std::vector<double>(set, set + 5), (std::vector<double>{7, 0, 0, 0, 1}));
  EXPECT_TRUE(parse_overrides("", {"price"}, enc).empty());
}

TEST(Overrides, MistakesAreRefusedByName) {
  TextEncoding enc = fit_text_encoding(promo_rows());
  for (const char *bad : {R"({"cost": 1})", R"({"price": {"pow": 2}})", R"({"price": {"set": 1, "add": 1}})",
                          R"({"price": "high"})", R"({"promo": {"mul": 2}})", R"({"promo": 3})", "[1]", "{nope"}) {
    try {
      parse_overrides(bad, {"price"}, enc);
      FAIL() << bad;
    } catch (const Error &e) {
      EXPECT_EQ(e.kind(), ErrorKind::InvalidParameter) << bad;
    }
  }
}
