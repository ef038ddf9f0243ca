// Timestamps far from today are valid in PostgreSQL (4713 BC to 294276 AD),
// but the calendar features use Boost dates (years 1400-9999). Training on
// such data must either work or be refused with an xb::Error: never another
// exception, which the boundary can only report as an internal error (XX000).
#include <gtest/gtest.h>

#include <cxxabi.h>

#include <cmath>
#include <cstdlib>
#include <memory>
#include <typeinfo>

#include "core/forecast/calendar.hpp"
#include "core/common/error.hpp"
#include "core/forecast/forecaster.hpp"
#include "unit_runtime.hpp"

using namespace xb;
using xb::unit::cpu;

namespace {

// Two daily series of 120 days from `first_day` (days since 2000-01-01).
SeriesRows daily_from(long first_day) {
  SeriesRows r;
  for (int k = 0; k < 2; ++k)
    for (int t = 0; t < 120; ++t) {
      r.series_key.push_back("s" + std::to_string(k));
      r.time.push_back(static_cast<Micros>(first_day + t) * kMicrosPerDay);
      r.target.push_back(10 + k + std::sin(t / 3.0));
    }
  return r;
}

// "ok", "xb error", or the type of the other exception.
std::string outcome(long first_day) {
  try {
    auto options = parse_forecast_options("gru", 7, R"({"epochs": 1, "hidden": 4})");
    train_forecaster(daily_from(first_day), options, cpu(), {});
    return "ok";
  } catch (const Error &) {
    return "xb error";
  } catch (const std::exception &e) {
    int status = 0;
    std::unique_ptr<char, void (*)(void *)> type(abi::__cxa_demangle(typeid(e).name(), nullptr, nullptr, &status),
                                                 std::free);
    return std::string(status == 0 ? type.get() : typeid(e).name()) + ": " + e.what();
  }
}

}  // namespace

TEST(DateRange, DataAfterYear9999TrainsOrIsAnXbError) {
  // 9999-11-01 onwards: the series cross into year 10000.
  const std::string got = outcome(2921879);
  EXPECT_TRUE(got == "ok" || got == "xb error") << got;
}

TEST(DateRange, DataBeforeYear1400TrainsOrIsAnXbError) {
  // 1399-09-01 onwards: the series start before year 1400.
  const std::string got = outcome(-219267);
  EXPECT_TRUE(got == "ok" || got == "xb error") << got;
}
