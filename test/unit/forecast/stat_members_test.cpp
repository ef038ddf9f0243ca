// Statistical forecasting members (ETS, STL/stlf, Theta, naive) checked
// against R's forecast 8.20 (values from test/bench/stat_reference.R) and for
// robustness on degenerate input.
//
// Tolerances: STL, decomposition and the naive members are the same
// arithmetic as R, so they must agree to ~1e-9. ETS (and stlf/thetaf, which
// use it) follow R's optimiser (optim's Nelder–Mead) step by step and agree
// to ~1e-9 on this machine too, but a different compiler or FMA contraction
// can change an optimiser path, so those use 1e-4 relative; the chosen model
// name must still match exactly.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "core/forecast/ets.hpp"
#include "core/forecast/naive.hpp"
#include "core/forecast/stat_member.hpp"
#include "core/forecast/stl.hpp"
#include "core/forecast/theta.hpp"

namespace xs = xb::stat;

namespace {

// R datasets (monthly, m = 12).
const std::vector<double> kAirPassengers = {
    112, 118, 132, 129, 121, 135, 148, 148, 136, 119, 104, 118, 115, 126, 141, 135, 125, 149, 170, 170, 158,
    133, 114, 140, 145, 150, 178, 163, 172, 178, 199, 199, 184, 162, 146, 166, 171, 180, 193, 181, 183, 218,
    230, 242, 209, 191, 172, 194, 196, 196, 236, 235, 229, 243, 264, 272, 237, 211, 180, 201, 204, 188, 235,
    227, 234, 264, 302, 293, 259, 229, 203, 229, 242, 233, 267, 269, 270, 315, 364, 347, 312, 274, 237, 278,
    284, 277, 317, 313, 318, 374, 413, 405, 355, 306, 271, 306, 315, 301, 356, 348, 355, 422, 465, 467, 404,
    347, 305, 336, 340, 318, 362, 348, 363, 435, 491, 505, 404, 359, 310, 337, 360, 342, 406, 396, 420, 472,
    548, 559, 463, 407, 362, 405, 417, 391, 419, 461, 472, 535, 622, 606, 508, 461, 390, 432};
const std::vector<double> kUSAccDeaths = {
    9007,  8106, 8928, 9137, 10017, 10826, 11317, 10744, 9713, 9938, 9161, 8927, 7750,  6981, 8038, 8422, 8714, 9512,
    10120, 9823, 8743, 9129, 8710,  8680,  8162,  7306,  8124, 7870, 9387, 9556, 10093, 9620, 8285, 8466, 8160, 8034,
    7717,  7461, 7767, 7925, 8623,  8945,  10078, 9179,  8037, 8488, 7874, 8647, 7792,  6957, 7726, 8106, 8890, 9299,
    10625, 9302, 8314, 8850, 8265,  8796,  7836,  6892,  7791, 8192, 9115, 9434, 10484, 9827, 9110, 9070, 8633, 9240};

// R output, h = 13 unless the name says otherwise.
const std::vector<double> k_AirPassengers_ets = {
    441.80184727847916, 434.11862006878243, 496.63004677699854, 483.23747944576041, 483.9913534465357,
    551.02440000804586, 613.17967924649918, 609.36483084926419, 530.54083452719067, 463.03321448673006,
    402.74780005056482, 451.96937309344844, 459.01385898111573};
const std::vector<double> k_AirPassengers_stlf = {
    445.30896155739714, 429.07832868090031, 472.30077796390054, 471.95783248052766, 481.38567712987788,
    535.78088925812733, 590.55888225569527, 588.66390796937446, 517.23455446334094, 470.61761901286809,
    425.21306494414563, 458.89252220135302, 472.68273733019799};
const std::vector<double> k_AirPassengers_theta = {
    440.0781910815864,  428.38428055698267, 489.70709866963773, 475.70462766137348, 479.67038866920922,
    545.36627215421584, 602.75200182239598, 601.1007630914861,  523.95149215865342, 456.62714491283037,
    397.95373466555657, 447.6449087428964,  454.52976893299376};
const std::vector<double> k_AirPassengers_snaive = {417, 391, 419, 461, 472, 535, 622, 606, 508, 461, 390, 432, 417};
const std::vector<double> k_AirPassengers_stl_seasonal_head = {-16.977074086370799, -17.177633337161438,
                                                               7.5209422257046423,  -1.154334127920345,
                                                               -3.7761234300069115, 18.888713513511952};
const std::vector<double> k_AirPassengers_stl_trend_tail = {478.50436199308456, 482.20073912201536, 485.89711625094623,
                                                            489.59349337987703, 493.138373702536,   496.68325402519497};
const std::vector<double> k_USAccDeaths_ets = {
    8397.4969092293122, 7599.2206134440412, 8396.5946867401635, 8646.5097032126287, 9443.4119446218319,
    9893.0647268538796, 10819.123702944022, 10107.10463133261,  9015.2326445244689, 9354.4073751499236,
    8880.4176952480793, 9085.4921039457386, 8397.4969092293122};
const std::vector<double> k_USAccDeaths_stlf = {
    8332.9518361715163, 7601.4899806267513, 8356.9088674555151, 8583.5856392088535, 9456.5811736650649,
    9857.115054327769,  10813.102983707588, 10035.179833913851, 8997.8370764945394, 9286.9304783244643,
    8778.3945302326847, 9143.6685854518528, 8332.9518361715163};
const std::vector<double> k_USAccDeaths_theta = {
    8270.6938063391572, 7508.9238670619334, 8322.1248067686956, 8554.143505356531,  9450.092974497371,
    9870.9336198768051, 10822.497730850089, 10091.840706036739, 8944.4335995647707, 9329.2896664046584,
    8778.9128341902324, 8990.7759138775527, 8206.9719270195073};
const std::vector<double> k_USAccDeaths_snaive = {7836, 6892, 7791, 8192, 9115, 9434, 10484,
                                                  9827, 9110, 9070, 8633, 9240, 7836};
const std::vector<double> k_USAccDeaths_stl_seasonal_head = {-860.44950334020484, -1572.2236599324679,
                                                             -757.59074259193858, -550.04787780538004,
                                                             316.92211441915703,  855.84093777021462};
const std::vector<double> k_USAccDeaths_stl_trend_tail = {8850.7992686344805, 8893.9828586323074, 8937.1664486301324,
                                                          8980.3500386279593, 9025.9631687205983, 9071.5762988132374};
const std::vector<double> k_USAccDeaths_ANN = {9239.9388538741878, 9239.9388538741878, 9239.9388538741878,
                                               9239.9388538741878, 9239.9388538741878, 9239.9388538741878};
const std::vector<double> k_USAccDeaths_AAN = {9288.6112172235571, 9337.2799207225689, 9385.9486242215808,
                                               9434.6173277205908, 9483.2860312196026, 9531.9547347186144};
const std::vector<double> k_USAccDeaths_MNN = {9234.9379431353555, 9234.9379431353555, 9234.9379431353555,
                                               9234.9379431353555, 9234.9379431353555, 9234.9379431353555};
const std::vector<double> k_USAccDeaths_refit = {8327.9168029794473, 7609.2727821806739, 8403.3628507071171,
                                                 8608.9829552689935, 9439.2553479260459, 9932.198193397644};
const std::vector<double> k_store1_ets = {
    1523724.1507276709, 1523724.1507276709, 1523724.1507276709, 1523724.1507276709, 1523724.1507276709,
    1523724.1507276709, 1523724.1507276709, 1523724.1507276709, 1523724.1507276709, 1523724.1507276709,
    1523724.1507276709, 1523724.1507276709, 1523724.1507276709};
const std::vector<double> k_store1_stlf = {
    1715789.6183063083, 1617515.6428241115, 1622732.1334958018, 1557630.6526373476, 1645789.9201178579,
    1624596.3489878254, 1573154.6677311193, 1466304.5295593198, 1523719.1639663563, 1670380.5466368266,
    1576597.8843593639, 1524778.3174941337, 1514819.0536491727};
const std::vector<double> k_store1_theta = {
    1740634.638813768,  1634596.6674425309, 1638969.9692049993, 1567918.158453085,  1662228.3429173687,
    1637895.9596096755, 1580334.7674892298, 1465661.5451535692, 1528524.1133590741, 1681711.0440502476,
    1580798.8316397718, 1522646.3209079211, 1513347.7183988208};
const std::vector<double> k_store1_snaive = {
    1624383.75, 1525147.0900000001, 1530761.4299999999, 1464693.46,         1550229.22, 1540471.24,        1514259.78,
    1380020.27, 1394561.8300000001, 1630989.95,         1493525.9299999999, 1502562.78, 1445249.0900000001};
const std::vector<double> k_store1_stl_seasonal_tail = {49191.165524310338, -93861.590361001668, -144969.64307195315,
                                                        -186044.94527870746};
const std::vector<double> k_store20_ets = {
    1960414.2779785597, 1960414.2779785597, 1960414.2779785597, 1960414.2779785597, 1960414.2779785597,
    1960414.2779785597, 1960414.2779785597, 1960414.2779785597, 1960414.2779785597, 1960414.2779785597,
    1960414.2779785597, 1960414.2779785597, 1960414.2779785597};
const std::vector<double> k_store20_stlf = {
    2108290.8656336591, 2117780.3120863726, 2038458.7878666304, 1994867.5408439133, 2186053.5004532002,
    2086534.688529145,  2016744.4294603767, 1891675.1990092262, 1991318.5474051875, 2149426.7875804454,
    2030838.8385165692, 2049757.5211208377, 2028360.1396622357};
const std::vector<double> k_store20_theta = {
    2129267.2897047899, 2141979.8458749205, 2057915.8760057602, 2012667.7568327412, 2210971.4324636087,
    2107969.4051855919, 2035628.407656095,  1905466.8407322571, 2011814.7106766978, 2175124.4506334425,
    2050608.6382203745, 2069196.9458909656, 2048790.2177598199};
const std::vector<double> k_store20_snaive = {
    2189353.6299999999, 2052246.3999999999, 1990017.9299999999, 1933577.2,  2141765.98,
    2050542.5600000001, 1979009.46,         1888119.7,          1945808.26, 2135982.79,
    2010107.6799999999, 2104241.8999999999, 2065421.52};
const std::vector<double> k_store20_stl_seasonal_tail = {68630.39605721258, -61881.026367752289, -191011.5131108487,
                                                         -226659.64616953701};
const std::vector<double> k_store45_ets = {
    718980.39638334466, 718980.39638334466, 718980.39638334466, 718980.39638334466, 718980.39638334466,
    718980.39638334466, 718980.39638334466, 718980.39638334466, 718980.39638334466, 718980.39638334466,
    718980.39638334466, 718980.39638334466, 718980.39638334466};
const std::vector<double> k_store45_stlf = {
    767563.64593005844, 734363.13199788088, 721559.22640346305, 789596.10068670451, 768975.88369747472,
    744964.42521031736, 725139.74805839965, 707354.69316546631, 705497.24514977296, 760581.89580645179,
    729035.56976863311, 762409.80532759964, 768417.60259502952};
const std::vector<double> k_store45_theta = {
    771122.54034155107, 737454.1615486563,  723777.66698090255, 792167.61641130794, 772567.3557066957,
    747394.59307215014, 727441.35185566486, 708907.9837336574,  707768.72249407554, 764203.02118002798,
    731882.50622972299, 765390.47455162776, 771492.4993501734};
const std::vector<double> k_store45_snaive = {
    765996.92000000004, 724180.89000000001, 712362.71999999997, 833979.01000000001, 726482.39000000001,
    746129.56000000006, 711367.56000000006, 714106.42000000004, 698986.33999999997, 753447.05000000005,
    720946.98999999999, 771686.40000000002, 781694.56999999995};
const std::vector<double> k_store45_stl_seasonal_tail = {3212.1101326219864, -55978.042755043643, -65477.585152977081,
                                                         -86545.56843328879};

constexpr double kExact = 1e-8;  // same arithmetic as R
constexpr double kOptim = 1e-4;  // optimiser involved

void expect_close(const std::vector<double> &got, const std::vector<double> &want, double rel,
                  const std::string &what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  for (size_t i = 0; i < want.size(); ++i)
    EXPECT_NEAR(got[i], want[i], rel * std::max(1.0, std::fabs(want[i]))) << what << " step " << i + 1;
}

std::vector<double> head(const std::vector<double> &v, size_t k) { return {v.begin(), v.begin() + k}; }
std::vector<double> tail(const std::vector<double> &v, size_t k) { return {v.end() - k, v.end()}; }

// Walmart weekly sales (README: tests read ../shared/data from the project
// root; XB_DATA_DIR overrides).
std::map<int, std::vector<double>> load_walmart() {
  std::vector<std::string> dirs;
  if (const char *d = std::getenv("XB_DATA_DIR")) dirs.push_back(d);
  for (const char *d : {"../shared/data", "../../shared/data", "../../../shared/data"}) dirs.push_back(d);
  for (const auto &d : dirs) {
    std::ifstream f(d + "/walmart_weekly.csv");
    if (!f) continue;
    std::map<int, std::vector<double>> out;
    std::string line;
    std::getline(f, line);
    while (std::getline(f, line)) {
      std::stringstream ss(line);
      std::string store, date, sales;
      std::getline(ss, store, ',');
      std::getline(ss, date, ',');
      std::getline(ss, sales, ',');
      out[std::stoi(store)].push_back(std::stod(sales));
    }
    return out;
  }
  return {};
}

bool all_finite(const std::vector<double> &v) {
  for (double x : v)
    if (!std::isfinite(x)) return false;
  return true;
}

}  // namespace

// ---------------------------------------------------------------- ETS vs R

TEST(StatEts, AirPassengersAutoMatchesR) {
  const xs::EtsModel md = xs::fit_ets(kAirPassengers, 12);
  EXPECT_EQ(xs::ets_name(md), "ETS(M,Ad,M)");
  EXPECT_NEAR(md.aicc, 1400.63843247, 1e-3);
  EXPECT_NEAR(md.alpha, 0.70955192, 1e-4);
  EXPECT_NEAR(md.phi, 0.97999993, 1e-4);
  // h = 13 > m also exercises R's class3 mean (sigma2 correction).
  expect_close(xs::forecast_ets(md, kAirPassengers, 13), k_AirPassengers_ets, kOptim, "AirPassengers ets");
}

TEST(StatEts, USAccDeathsAutoMatchesR) {
  const xs::EtsModel md = xs::fit_ets(kUSAccDeaths, 12);
  EXPECT_EQ(md.method, "ETS(A,N,A)");
  EXPECT_NEAR(md.aicc, 1148.7160986, 1e-3);
  expect_close(xs::forecast_ets(md, kUSAccDeaths, 13), k_USAccDeaths_ets, kOptim, "USAccDeaths ets");
}

TEST(StatEts, FixedSpecsMatchR) {
  const xs::EtsModel ann = xs::fit_ets(kUSAccDeaths, 12, "ANN");
  EXPECT_NEAR(ann.aicc, 1262.69570029, 1e-3);
  expect_close(xs::forecast_ets(ann, kUSAccDeaths, 6), k_USAccDeaths_ANN, kOptim, "ANN");
  const xs::EtsModel aan = xs::fit_ets(kUSAccDeaths, 12, "AAN");
  EXPECT_NEAR(aan.aicc, 1271.16758684, 1e-3);
  EXPECT_NEAR(aan.beta, 0.023497609, 1e-4);
  expect_close(xs::forecast_ets(aan, kUSAccDeaths, 6), k_USAccDeaths_AAN, kOptim, "AAN");
  const xs::EtsModel mnn = xs::fit_ets(kUSAccDeaths, 12, "MNN");
  EXPECT_NEAR(mnn.aicc, 1264.34829353, 1e-3);
  expect_close(xs::forecast_ets(mnn, kUSAccDeaths, 6), k_USAccDeaths_MNN, kOptim, "MNN");
  EXPECT_EQ(xs::fit_ets(kUSAccDeaths, 12, "AAdN").method, "ETS(A,Ad,N)");
}

TEST(StatEts, ForecastFromLaterOriginWithoutRefit) {
  // R: ets(USAccDeaths, model = fit60, use.initial.values = TRUE).
  const std::vector<double> first60 = head(kUSAccDeaths, 60);
  const xs::EtsModel md = xs::fit_ets(first60, 12);
  EXPECT_EQ(md.method, "ETS(M,N,M)");
  expect_close(xs::forecast_ets(md, kUSAccDeaths, 6), k_USAccDeaths_refit, kOptim, "refit");
}

TEST(StatEts, WalmartStoresMatchR) {
  const auto w = load_walmart();
  ASSERT_FALSE(w.empty()) << "walmart_weekly.csv not found (set XB_DATA_DIR)";
  const std::map<int, std::pair<std::string, const std::vector<double> *>> want = {
      {1, {"ETS(M,N,N)", &k_store1_ets}}, {20, {"ETS(M,N,N)", &k_store20_ets}}, {45, {"ETS(M,N,N)", &k_store45_ets}}};
  for (const auto &[store, exp] : want) {
    const std::vector<double> y = head(w.at(store), 130);
    const xs::EtsModel md = xs::fit_ets(y, 52);  // m > 24: seasonality ignored, as R
    EXPECT_EQ(md.method, exp.first) << store;
    expect_close(xs::forecast_ets(md, y, 13), *exp.second, kOptim, "store " + std::to_string(store));
  }
}

// The forecast without its seasonal states: ETS(A,N,A) on USAccDeaths has a
// flat level, so the seasonal part repeats every 12 months; a non-seasonal
// model's is the forecast itself.
TEST(StatEts, LevelAndTrendLeaveOutTheSeason) {
  const xs::EtsModel ana = xs::fit_ets(kUSAccDeaths, 12);
  ASSERT_EQ(ana.method, "ETS(A,N,A)");
  std::vector<double> level;
  const std::vector<double> f = xs::forecast_ets(ana, kUSAccDeaths, 24, &level);
  ASSERT_EQ(level.size(), 24u);
  for (int i = 0; i < 24; ++i) {
    EXPECT_DOUBLE_EQ(level[i], level[0]);
    if (i >= 12) EXPECT_NEAR(f[i] - level[i], f[i - 12] - level[i - 12], 1e-9);
  }
  EXPECT_GT(f[6] - level[6], 500) << "July's deaths are above the level";
  const xs::EtsModel aan = xs::fit_ets(kUSAccDeaths, 12, "AAdN");
  EXPECT_EQ(xs::forecast_ets(aan, kUSAccDeaths, 6, &level), level);
}

// The multiplicative branch (R's class3 recursion), and Theta's seasonal
// adjustment: with the mean's sigma2 correction set aside, forecast over
// level-and-trend is the seasonal index, repeating every 12 months.
TEST(StatEts, LevelAndTrendOfMultiplicativeSeasonsAndTheta) {
  xs::EtsModel mam = xs::fit_ets(kAirPassengers, 12);
  ASSERT_EQ(xs::ets_name(mam), "ETS(M,Ad,M)");
  mam.sigma2 = 0;
  std::vector<double> level;
  const std::vector<double> f = xs::forecast_ets(mam, kAirPassengers, 24, &level);
  for (int i = 12; i < 24; ++i) EXPECT_NEAR(f[i] / level[i], f[i - 12] / level[i - 12], 1e-9) << i;
  EXPECT_GT(f[6] / level[6], 1.1) << "July is above the level";
  const xs::ThetaForecast t = xs::thetaf(kAirPassengers, 12, 24);
  ASSERT_TRUE(t.seasonal);
  for (int i = 12; i < 24; ++i) EXPECT_NEAR(t.mean[i] / t.adjusted[i], t.mean[i - 12] / t.adjusted[i - 12], 1e-9);
  EXPECT_NE(t.mean[0], t.adjusted[0]);
}

TEST(StatEts, SpecErrors) {
  EXPECT_THROW(xs::fit_ets(kUSAccDeaths, 12, "XNN"), std::invalid_argument);
  EXPECT_THROW(xs::fit_ets(kUSAccDeaths, 12, "ANdN"), std::invalid_argument);
  EXPECT_THROW(xs::fit_ets(kUSAccDeaths, 52, "ANA"), std::invalid_argument);
  EXPECT_THROW(xs::fit_ets({1, -2, 3, 4, 5, 6, 7, 8, 9, 10}, 1, "MNN"), std::invalid_argument);
}

// ------------------------------------------------------ STL, stlf, theta vs R

TEST(StatStl, DecompositionMatchesR) {
  const xs::StlResult a = xs::stl(kAirPassengers, 12);
  expect_close(head(a.seasonal, 6), k_AirPassengers_stl_seasonal_head, kExact, "AP seasonal");
  expect_close(tail(a.trend, 6), k_AirPassengers_stl_trend_tail, kExact, "AP trend");
  const xs::StlResult u = xs::stl(kUSAccDeaths, 12);
  expect_close(head(u.seasonal, 6), k_USAccDeaths_stl_seasonal_head, kExact, "UD seasonal");
  expect_close(tail(u.trend, 6), k_USAccDeaths_stl_trend_tail, kExact, "UD trend");
  for (size_t i = 0; i < kAirPassengers.size(); ++i)
    EXPECT_NEAR(a.seasonal[i] + a.trend[i] + a.remainder[i], kAirPassengers[i], 1e-9);
  EXPECT_THROW(xs::stl(head(kUSAccDeaths, 24), 12), std::invalid_argument);
  xs::StlOptions robust;
  robust.robust = true;
  EXPECT_TRUE(all_finite(xs::stl(kAirPassengers, 12, robust).seasonal));
}

TEST(StatStl, StlfMatchesR) {
  xs::StlfForecast a = xs::stlf(kAirPassengers, 12, 13);
  EXPECT_EQ(a.method, "STL + ETS(M,A,N)");
  expect_close(a.mean, k_AirPassengers_stlf, kOptim, "AP stlf");
  expect_close(xs::stlf(kUSAccDeaths, 12, 13).mean, k_USAccDeaths_stlf, kOptim, "UD stlf");
  const auto w = load_walmart();
  ASSERT_FALSE(w.empty());
  const std::map<int, std::pair<std::string, const std::vector<double> *>> want = {
      {1, {"STL + ETS(M,A,N)", &k_store1_stlf}},
      {20, {"STL + ETS(M,N,N)", &k_store20_stlf}},
      {45, {"STL + ETS(A,N,N)", &k_store45_stlf}}};
  const std::map<int, const std::vector<double> *> seas = {
      {1, &k_store1_stl_seasonal_tail}, {20, &k_store20_stl_seasonal_tail}, {45, &k_store45_stl_seasonal_tail}};
  for (const auto &[store, exp] : want) {
    const std::vector<double> y = head(w.at(store), 130);
    expect_close(tail(xs::stl(y, 52).seasonal, 4), *seas.at(store), kExact, "store seasonal");
    const xs::StlfForecast f = xs::stlf(y, 52, 13);
    EXPECT_EQ(f.method, exp.first) << store;
    expect_close(f.mean, *exp.second, kOptim, "store " + std::to_string(store) + " stlf");
  }
  // Two seasons or fewer: non-seasonal ETS, and it says so.
  EXPECT_EQ(xs::stlf(head(kUSAccDeaths, 24), 12, 6).method.rfind("ETS(", 0), 0u);
}

TEST(StatTheta, MatchesR) {
  const xs::ThetaForecast a = xs::thetaf(kAirPassengers, 12, 13);
  EXPECT_TRUE(a.seasonal);
  expect_close(a.mean, k_AirPassengers_theta, kOptim, "AP theta");
  expect_close(xs::thetaf(kUSAccDeaths, 12, 13).mean, k_USAccDeaths_theta, kOptim, "UD theta");
  const auto w = load_walmart();
  ASSERT_FALSE(w.empty());
  const std::map<int, const std::vector<double> *> want = {
      {1, &k_store1_theta}, {20, &k_store20_theta}, {45, &k_store45_theta}};
  for (const auto &[store, exp] : want)
    expect_close(xs::thetaf(head(w.at(store), 130), 52, 13).mean, *exp, kOptim, "store theta");
}

TEST(StatNaive, MatchesR) {
  expect_close(xs::snaive_forecast(kAirPassengers, 12, 13), k_AirPassengers_snaive, kExact, "AP snaive");
  expect_close(xs::snaive_forecast(kUSAccDeaths, 12, 13), k_USAccDeaths_snaive, kExact, "UD snaive");
  const auto w = load_walmart();
  ASSERT_FALSE(w.empty());
  expect_close(xs::snaive_forecast(head(w.at(1), 130), 52, 13), k_store1_snaive, kExact, "store1 snaive");
  expect_close(xs::snaive_forecast(head(w.at(45), 130), 52, 13), k_store45_snaive, kExact, "store45 snaive");
  // Plain naive when there is no full season.
  EXPECT_EQ(xs::snaive_forecast({1, 2, 3}, 12, 2), (std::vector<double>{3, 3}));
  EXPECT_EQ(xs::mean_forecast({1, 2, 3}, 2), (std::vector<double>{2, 2}));
}

// Croston's method (SBA) by hand: nonzero values 3, 5, 2 at steps 3, 5 and
// 9, so intervals 3, 2, 4; each smoothed from its first value with alpha
// 0.1: sizes 3, 3.2, 3.08 and intervals 3, 2.9, 3.01 (R's forecast 8.20,
// croston(c(0, 0, 3, 0, 5, 0, 0, 0, 2))$mean: 1.023256 = 3.08 / 3.01).
TEST(StatCroston, SmoothsSizesAndIntervalsAndRemovesTheBias) {
  const std::vector<double> f = xs::croston_forecast({0, 0, 3, 0, 5, 0, 0, 0, 2}, 4);
  ASSERT_EQ(f.size(), 4u);
  for (double v : f) EXPECT_NEAR(v, 0.95 * 3.08 / 3.01, 1e-12);
  EXPECT_NEAR(xs::croston_forecast({0, 4}, 1)[0], 0.95 * 4 / 2, 1e-12);  // one value: its size over its interval
  EXPECT_EQ(xs::croston_forecast({0, 0, 0}, 2), (std::vector<double>{0, 0}));
  EXPECT_EQ(xs::croston_forecast({0, -3, 0}, 1), (std::vector<double>{0}));  // a return is no demand
  EXPECT_THROW(xs::croston_forecast({}, 1), std::invalid_argument);
  EXPECT_THROW(xs::croston_forecast({1, NAN}, 1), std::invalid_argument);
}

TEST(StatDecompose, ClassicalMatchesDefinition) {
  const xs::ClassicalDecomposition d = xs::decompose_classical(kAirPassengers, 12, true);
  double prod_mean = 0;
  for (double f : d.figure) prod_mean += f;
  EXPECT_NEAR(prod_mean / 12, 1.0, 1e-12);
  EXPECT_TRUE(std::isnan(d.trend[5]));
  EXPECT_FALSE(std::isnan(d.trend[6]));
  EXPECT_THROW(xs::decompose_classical({1, 2, 3}, 12, false), std::invalid_argument);
}

// ------------------------------------------------------------- robustness

TEST(StatRobustness, DegenerateSeriesGiveFiniteForecasts) {
  std::map<std::string, std::vector<double>> cases;
  cases["constant"] = std::vector<double>(100, 42.0);
  cases["zeros"] = std::vector<double>(100, 0.0);
  std::vector<double> inter(156, 0.0);
  for (size_t i = 0; i < inter.size(); i += 11) inter[i] = 1 + static_cast<double>(i % 3);
  cases["intermittent"] = inter;
  cases["n1"] = {5.0};
  cases["n2"] = {5.0, 7.0};
  cases["n3"] = {5.0, 7.0, 6.0};
  cases["n3_zero"] = {0.0, 0.0, 1.0};
  std::vector<double> neg(120), huge(156), mixed(60), step(110);
  for (size_t i = 0; i < neg.size(); ++i) neg[i] = -1000.0 - 3.0 * i + 50 * std::sin(i * 0.5);
  for (size_t i = 0; i < huge.size(); ++i)
    huge[i] = 1e9 * (1.5 + 0.2 * std::sin(2 * 3.141592653589793 * i / 52.0)) + 1e6 * i;
  for (size_t i = 0; i < mixed.size(); ++i) mixed[i] = (i % 2 ? 1.0 : -1.0) * (i + 1);
  for (size_t i = 0; i < step.size(); ++i) step[i] = i < 80 ? 10.0 : 1e6;
  cases["negative"] = neg;
  cases["huge"] = huge;
  cases["alternating"] = mixed;
  cases["level_shift"] = step;
  for (int n = 4; n <= 30; n += 2) {
    std::vector<double> s(n);
    for (int i = 0; i < n; ++i) s[i] = 100 + (i * 37 % 11);
    cases["short" + std::to_string(n)] = s;
  }
  for (const auto &[name, y] : cases)
    for (const char *member : {"snaive", "mean", "croston", "ets", "theta", "stlf"})
      for (int m : {1, 4, 12, 52}) {
        xs::StatForecast f;
        ASSERT_NO_THROW(f = xs::fit_and_forecast(member, y, m, 13)) << name << " " << member << " m=" << m;
        ASSERT_EQ(f.mean.size(), 13u);
        EXPECT_TRUE(all_finite(f.mean)) << name << " " << member << " m=" << m << " " << f.method;
        EXPECT_FALSE(f.method.empty());
      }
  // Constant series: the forecast is the constant (R: SES with alpha 0.99999).
  for (const char *member : {"ets", "theta", "stlf", "snaive"})
    for (double v : xs::fit_and_forecast(member, cases["constant"], 12, 5).mean) EXPECT_NEAR(v, 42.0, 1e-9);
}

TEST(StatRobustness, PreconditionsThrow) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  for (const char *member : {"snaive", "mean", "ets", "theta", "stlf"}) {
    EXPECT_THROW(xs::fit_and_forecast(member, {}, 12, 3), std::invalid_argument) << member;
    EXPECT_THROW(xs::fit_and_forecast(member, {1, nan, 3}, 12, 3), std::invalid_argument) << member;
    EXPECT_THROW(xs::fit_and_forecast(member, {1, inf, 3}, 12, 3), std::invalid_argument) << member;
    EXPECT_THROW(xs::fit_and_forecast(member, {1, 2, 3}, 12, 0), std::invalid_argument) << member;
    EXPECT_THROW(xs::fit_and_forecast(member, {1, 2, 3}, 0, 3), std::invalid_argument) << member;
  }
  EXPECT_THROW(xs::fit_and_forecast("arima", {1, 2, 3}, 1, 3), std::invalid_argument);
  const xs::EtsModel md = xs::fit_ets(kUSAccDeaths, 12);
  EXPECT_THROW(xs::forecast_ets(md, kUSAccDeaths, 0), std::invalid_argument);
}

TEST(StatRobustness, DeterministicAndThreadSafe) {
  const std::vector<std::pair<const std::vector<double> *, int>> inputs = {{&kAirPassengers, 12}, {&kUSAccDeaths, 12}};
  std::vector<std::vector<double>> ref;
  for (const auto &[y, m] : inputs)
    for (const char *member : {"ets", "theta", "stlf"}) ref.push_back(xs::fit_and_forecast(member, *y, m, 13).mean);
  std::vector<int> bad(4, 0);
  std::vector<std::thread> pool;
  for (int t = 0; t < 4; ++t)
    pool.emplace_back([&, t] {
      for (int rep = 0; rep < 3; ++rep) {
        size_t k = 0;
        for (const auto &[y, m] : inputs)
          for (const char *member : {"ets", "theta", "stlf"})
            if (xs::fit_and_forecast(member, *y, m, 13).mean != ref[k++]) ++bad[t];
      }
    });
  for (auto &th : pool) th.join();
  for (int b : bad) EXPECT_EQ(b, 0);
}
