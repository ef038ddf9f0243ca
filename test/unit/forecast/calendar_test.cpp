#include <gtest/gtest.h>

#include "core/forecast/calendar.hpp"
#include "core/common/error.hpp"

using namespace xb;

namespace {
constexpr Micros kDay = kMicrosPerDay;
// 2012-01-31 is day 4413 after 2000-01-01.
constexpr Micros kJan31_2012 = 4413 * kDay;
}  // namespace

TEST(Calendar, InfersWeeklyFromTheMostCommonGap) {
  std::vector<std::vector<Micros>> t{{0, 7 * kDay, 14 * kDay, 28 * kDay}, {kDay, 8 * kDay}};
  Frequency f = infer_frequency(t);
  EXPECT_EQ(f.name(), "weekly");
  EXPECT_EQ(f.season_length(), 52);
  EXPECT_EQ(f.steps_between(0, 28 * kDay), 4);
  EXPECT_EQ(f.steps_between(0, 3 * kDay), -1);
}

TEST(Calendar, InfersMonthlyDespiteUnequalMonths) {
  Frequency f = Frequency::parse("monthly");
  std::vector<Micros> t{0};
  for (int i = 1; i < 6; ++i) t.push_back(f.advance(0, i));
  EXPECT_EQ(infer_frequency({t}).name(), "monthly");
}

TEST(Calendar, MonthEndsStayMonthEnds) {
  Frequency f = Frequency::parse("monthly");
  EXPECT_EQ(format_time(kJan31_2012), "2012-01-31 00:00:00");
  EXPECT_EQ(format_time(f.advance(kJan31_2012, 1)), "2012-02-29 00:00:00");
  EXPECT_EQ(format_time(f.advance(kJan31_2012, 2)), "2012-03-31 00:00:00");
  EXPECT_EQ(f.steps_between(kJan31_2012, f.advance(kJan31_2012, 2)), 2);
}

TEST(Calendar, HourlyKeepsTimeOfDayAndNegativeTimes) {
  Frequency f = Frequency::parse("hourly");
  Micros t = -kDay + 3600LL * 1000000 * 5;  // 1999-12-31 05:00
  EXPECT_EQ(format_time(t), "1999-12-31 05:00:00");
  EXPECT_EQ(format_time(f.advance(t, 20)), "2000-01-01 01:00:00");
}

TEST(Calendar, FeatureCountsMatchWhatIsWritten) {
  for (const char *name : {"hourly", "daily", "weekly", "monthly", "quarterly", "yearly"}) {
    Frequency f = Frequency::parse(name);
    std::vector<double> out(8, 42.0);
    f.calendar_features(kJan31_2012, out.data());
    int written = 0;
    for (double v : out) written += v != 42.0;
    EXPECT_EQ(written, f.calendar_feature_count()) << name;
  }
}

TEST(Calendar, UnknownFrequencyIsAnError) {
  EXPECT_THROW(Frequency::parse("fortnightly"), Error);
  EXPECT_THROW(infer_frequency({{0}}), Error);
}
