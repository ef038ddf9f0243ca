#include "core/forecast/calendar.hpp"

#include <boost/date_time/gregorian/gregorian.hpp>
#include <cmath>
#include <map>

#include "core/common/error.hpp"

namespace xb {
namespace {

namespace greg = boost::gregorian;

const greg::date kEpoch(2000, 1, 1);
constexpr double kTwoPi = 6.283185307179586;

greg::date to_date(Micros t) {
  Micros days = t / kMicrosPerDay - (t % kMicrosPerDay < 0 ? 1 : 0);
  return kEpoch + greg::days(static_cast<long>(days));
}

Micros time_of_day(Micros t) {
  Micros r = t % kMicrosPerDay;
  return r < 0 ? r + kMicrosPerDay : r;
}

Micros from_date(const greg::date &d, Micros time_of_day_us) {
  return static_cast<Micros>((d - kEpoch).days()) * kMicrosPerDay + time_of_day_us;
}

long month_index(Micros t) {
  greg::date d = to_date(t);
  return static_cast<long>(d.year()) * 12 + d.month() - 1;
}

}  // namespace

std::string Frequency::name() const {
  if (unit == Unit::Month) {
    if (step == 1) return "monthly";
    if (step == 3) return "quarterly";
    if (step == 12) return "yearly";
    return std::to_string(step) + " months";
  }
  if (step == 3600 * kMicrosPerSecond) return "hourly";
  if (step == kMicrosPerDay) return "daily";
  if (step == 7 * kMicrosPerDay) return "weekly";
  return std::to_string(step / kMicrosPerSecond) + "s";
}

Frequency Frequency::parse(const std::string &name) {
  if (name == "hourly") return {Unit::Fixed, 3600 * kMicrosPerSecond};
  if (name == "daily") return {Unit::Fixed, kMicrosPerDay};
  if (name == "weekly") return {Unit::Fixed, 7 * kMicrosPerDay};
  if (name == "monthly") return {Unit::Month, 1};
  if (name == "quarterly") return {Unit::Month, 3};
  if (name == "yearly") return {Unit::Month, 12};
  throw Error(ErrorKind::InvalidParameter, "unknown frequency \"" + name + "\"",
              "Use hourly, daily, weekly, monthly, quarterly or yearly.");
}

Micros Frequency::advance(Micros t, long steps) const {
  Micros out = 0;
  bool ok = in_calendar_range(t);
  if (ok && unit == Unit::Fixed) {
    Micros delta = 0;
    ok = !__builtin_mul_overflow(static_cast<Micros>(steps), step, &delta) && !__builtin_add_overflow(t, delta, &out);
  } else if (ok) {
    // Month ends stay month ends (Jan 31 -> Feb 28/29 -> Mar 31).
    long months = 0;
    ok = !__builtin_mul_overflow(steps, static_cast<long>(step), &months) && months > -200000 && months < 200000;
    try {
      if (ok) out = from_date(to_date(t) + greg::months(static_cast<int>(months)), time_of_day(t));
    } catch (const std::exception &) {  // boost: beyond its years
      ok = false;
    }
  }
  if (!ok || !in_calendar_range(out))
    throw Error(ErrorKind::DataException, "a time step lands outside the years 1400 to 9999 that xb supports",
                "Filter the source to timestamps from 1400-01-01 to 9999-12-31, or use a shorter horizon.");
  return out;
}

long Frequency::steps_between(Micros a, Micros b) const {
  if (unit == Unit::Fixed) {
    Micros d = b - a;
    return d % step == 0 ? static_cast<long>(d / step) : -1;
  }
  long months = month_index(b) - month_index(a);
  if (months % step != 0) return -1;
  long n = months / step;
  return advance(a, n) == b ? n : -1;
}

int Frequency::season_length() const {
  if (unit == Unit::Month) return step == 1 ? 12 : step == 3 ? 4 : 1;
  if (step == 3600 * kMicrosPerSecond) return 24;
  if (step == kMicrosPerDay) return 7;
  if (step == 7 * kMicrosPerDay) return 52;
  return 1;
}

int Frequency::calendar_feature_count() const {
  if (unit == Unit::Month) return step < 12 ? 2 : 0;
  if (step < kMicrosPerDay) return 4;       // hour of day, day of week
  if (step < 7 * kMicrosPerDay) return 4;   // day of week, day of year
  if (step < 28 * kMicrosPerDay) return 2;  // week of year
  return 0;
}

void Frequency::calendar_features(Micros t, double *out) const {
  check_calendar_range(t, "timestamp");
  greg::date d = to_date(t);
  auto cyc = [&out](double phase) {
    *out++ = std::sin(kTwoPi * phase);
    *out++ = std::cos(kTwoPi * phase);
  };
  double day_of_year = (d.day_of_year() - 1) / 365.25;
  double day_of_week = d.day_of_week().as_number() / 7.0;
  if (unit == Unit::Month) {
    if (step < 12) cyc((d.month() - 1) / 12.0);
  } else if (step < kMicrosPerDay) {
    cyc(static_cast<double>(time_of_day(t)) / kMicrosPerDay);
    cyc(day_of_week);
  } else if (step < 7 * kMicrosPerDay) {
    cyc(day_of_week);
    cyc(day_of_year);
  } else if (step < 28 * kMicrosPerDay) {
    cyc(day_of_year);
  }
}

Frequency infer_frequency(const std::vector<std::vector<Micros>> &series_times) {
  std::map<Micros, long> gaps;
  for (const auto &times : series_times)
    for (std::size_t i = 1; i < times.size(); ++i) ++gaps[times[i] - times[i - 1]];
  if (gaps.empty())
    throw Error(ErrorKind::InsufficientData, "cannot infer the frequency: no series has two timestamps",
                "Set options.freq, or supply more rows.");
  auto most = gaps.begin();
  for (auto it = gaps.begin(); it != gaps.end(); ++it)
    if (it->second > most->second) most = it;
  Micros gap = most->first;
  Micros day = kMicrosPerDay;
  if (gap >= 28 * day && gap <= 31 * day) return {Frequency::Unit::Month, 1};
  if (gap >= 89 * day && gap <= 92 * day) return {Frequency::Unit::Month, 3};
  if (gap >= 365 * day && gap <= 366 * day) return {Frequency::Unit::Month, 12};
  return {Frequency::Unit::Fixed, gap};
}

void check_calendar_range(Micros t, const std::string &what) {
  if (!in_calendar_range(t))
    throw Error(ErrorKind::DataException, what + " is outside the years 1400 to 9999 that xb supports",
                "Filter the source to timestamps from 1400-01-01 to 9999-12-31.");
}

std::string format_time(Micros t) {
  if (!in_calendar_range(t)) return "a timestamp outside the years 1400-9999";
  greg::date d = to_date(t);
  Micros tod = time_of_day(t) / kMicrosPerSecond;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d %02ld:%02ld:%02ld", static_cast<int>(d.year()),
                static_cast<int>(d.month()), static_cast<int>(d.day()), static_cast<long>(tod / 3600),
                static_cast<long>(tod / 60 % 60), static_cast<long>(tod % 60));
  return buf;
}

}  // namespace xb
