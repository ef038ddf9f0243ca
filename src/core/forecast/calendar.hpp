// Frequencies of a time series: inferring them, stepping by them, and the
// calendar features that fit each.
#pragma once
#include <string>
#include <vector>

#include "core/forecast/series_data.hpp"

namespace xb {

struct Frequency {
  enum class Unit { Fixed, Month };
  Unit unit = Unit::Fixed;
  Micros step = 0;  // Fixed: micros per step; Month: months per step

  std::string name() const;                         // "weekly", "daily", "monthly", "3600s", ...
  static Frequency parse(const std::string &name);  // hourly|daily|weekly|monthly|quarterly|yearly
  Micros advance(Micros t, long steps) const;
  // Steps from a to b, or -1 when b is not on a's grid.
  long steps_between(Micros a, Micros b) const;
  int season_length() const;  // 52 for weekly, 7 for daily, 24 for hourly, 12 monthly, else 1
  int calendar_feature_count() const;
  void calendar_features(Micros t, double *out) const;
};

constexpr Micros kMicrosPerSecond = 1000000;
constexpr Micros kMicrosPerDay = 86400 * kMicrosPerSecond;

// Most common gap between consecutive timestamps of each (sorted) series.
Frequency infer_frequency(const std::vector<std::vector<Micros>> &series_times);

// The calendar's range (Boost dates): years 1400 to 9999.
constexpr Micros kFirstCalendarTime = -219145 * kMicrosPerDay;     // 1400-01-01
constexpr Micros kLastCalendarTime = 2921940 * kMicrosPerDay - 1;  // 9999-12-31 23:59:59.999999
inline bool in_calendar_range(Micros t) { return t >= kFirstCalendarTime && t <= kLastCalendarTime; }

// Error(DataException) naming what is outside the range, unless it is inside.
void check_calendar_range(Micros t, const std::string &what);

std::string format_time(Micros t);  // "2012-10-26 00:00:00", for messages

}  // namespace xb
