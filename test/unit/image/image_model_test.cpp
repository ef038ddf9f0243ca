// A classifier with an image feature: trains on small synthetic pictures,
// scores them through the blob, explains them (embedding, attention, the
// overlay PNG), and words bad pictures by their row.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <nlohmann/json.hpp>
#include <numeric>

#include "core/common/blob.hpp"
#include "core/common/error.hpp"
#include "core/image/codec.hpp"
#include "core/tabular/model.hpp"
#include "core/tabular/mlp.hpp"
#include "core/tabular/scorer.hpp"
#include "core/tabular/trainer.hpp"
#include "unit_runtime.hpp"

using namespace xb;
using xb::unit::cpu;

namespace {

// 16 x 16 grey pictures: class 1 has a bright square in the top-left
// quarter, class 0 in the bottom-right; noise elsewhere.
std::string picture(int cls, int i) {
  Image img;
  img.width = img.height = 16;
  img.channels = 1;
  img.pixels.assign(256, 0);
  for (int k = 0; k < 256; ++k) img.pixels[k] = static_cast<std::uint8_t>((k * 37 + i * 11) % 40);
  const int y0 = cls ? 1 + i % 3 : 9 + i % 3, x0 = cls ? 1 + (i / 3) % 3 : 9 + (i / 3) % 3;
  for (int y = y0; y < y0 + 5; ++y)
    for (int x = x0; x < x0 + 5; ++x) img.pixels[y * 16 + x] = 230;
  return encode_png(img);
}

TabularRows pictures(int n) {
  TabularRows r;
  r.label_name = "label";
  r.label_type = LabelType::Integer;
  TabularColumn image{"image", false, {}, {}, true};
  for (int i = 0; i < n; ++i) {
    image.texts.push_back(picture(i % 2, i));
    r.labels.push_back(std::to_string(i % 2));
  }
  r.features = {image};
  return r;
}

TabularOptions quick(const std::string &extra = "") {
  return parse_tabular_options(
      true, R"({"epochs": 6, "patience": 6, "batch_size": 16, "hidden": [8], "image": {"widths": [4, 4, 8, 8, 8]})" +
                extra + "}");
}

double metric(const TrainedTabular &m, const std::string &split, const std::string &name) {
  for (const auto &r : m.metrics)
    if (r.split == split && r.estimator == "model" && r.metric == name) return r.value;
  return NAN;
}

// A small grey 28 x 28 encoder's spec, as training would learn it.
ImageSpec grey_28() {
  ImageSpec spec;
  spec.height = spec.width = 28;
  spec.widths = {4, 4, 8, 8, 8};
  spec.mean = {0.5};
  spec.std = {0.25};
  return spec;
}

// The picture mirrored left to right.
std::string mirrored(const std::string &png) {
  Image img = decode_image(png);
  for (int y = 0; y < img.height; ++y)
    std::reverse(img.pixels.begin() + y * img.width, img.pixels.begin() + (y + 1) * img.width);
  return encode_png(img);
}

}  // namespace

TEST(ImageModel, LearnsWhereTheSquareIsAndScoresThroughTheBlob) {
  TrainedTabular m = train_classifier(pictures(120), quick(), cpu(), {});
  EXPECT_GE(metric(m, "test", "accuracy"), 0.9);
  auto scorer = TabularScorer::load(m.blob, cpu());
  ASSERT_TRUE(scorer->has_image());
  ASSERT_EQ(scorer->features().size(), 1u);
  EXPECT_TRUE(scorer->features()[0].image);
  TabularColumn col{"image", false, {}, {picture(1, 200), picture(0, 201)}, true};
  auto p = scorer->predict({col});
  ASSERT_EQ(p.size(), 2u);
  EXPECT_EQ(p[0].label, "1");
  EXPECT_EQ(p[1].label, "0");
  ASSERT_EQ(m.importance.size(), 1u);
  EXPECT_EQ(m.importance[0].feature, "image");
  EXPECT_GT(m.importance[0].importance, 0.1);
}

// Members side by side (model.cpp) draw their pictures' flips, shifts and
// erasing from generators of their own: on two threads and on three, the
// same ensemble (see TabularModel.EnsembleMembersTrainSideBySideOnTwoThreads).
TEST(ImageModel, MembersSideBySideAugmentFromGeneratorsOfTheirOwn) {
  const TabularOptions o = quick(
      R"(, "ensemble": 3, "image": {"widths": [4, 4, 8, 8, 8], "flip": true, "shift": 2, "erase_unattended": 1,
             "erase_from": 0})");
  const TrainedTabular two = train_classifier(pictures(48), o, RuntimeSettings{"cpu", 2}, {});
  const TrainedTabular three = train_classifier(pictures(48), o, RuntimeSettings{"cpu", 3}, {});
  EXPECT_NE(train_classifier(pictures(48), o, cpu(), {}).epochs.front().train_loss, two.epochs.front().train_loss)
      << "one after the other on one thread, from the global generator";
  ASSERT_EQ(two.epochs.size(), three.epochs.size());
  for (std::size_t i = 0; i < two.epochs.size(); ++i) EXPECT_EQ(two.epochs[i].train_loss, three.epochs[i].train_loss);
  const std::vector<TabularColumn> rows = pictures(48).features;
  const auto a = TabularScorer::load(two.blob, cpu())->predict(rows),
             b = TabularScorer::load(three.blob, cpu())->predict(rows);
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].positive_probability, b[i].positive_probability) << i;
}

TEST(ImageModel, ExplainsAPicture) {
  TrainedTabular m = train_classifier(pictures(60), quick(R"(, "epochs": 2)"), cpu(), {});
  auto scorer = TabularScorer::load(m.blob, cpu());
  ImageExplanation e = scorer->explain_image(picture(1, 3));
  EXPECT_EQ(e.embedding.size(), 8u);
  EXPECT_EQ(e.map_height, 8);  // 16 -> 8: one pooling keeps the map at least 7 wide
  ASSERT_EQ(e.attention.size(), 64u);
  EXPECT_NEAR(std::accumulate(e.attention.begin(), e.attention.end(), 0.0), 1.0, 1e-5);
  Image overlay = decode_image(scorer->attention_png(picture(1, 3), 4));
  EXPECT_EQ(overlay.width, 64);
  EXPECT_EQ(overlay.channels, 3);
  EXPECT_THROW(scorer->explain_image("not a picture"), Error);
}

TEST(ImageModel, BadPicturesNameTheirRow) {
  TabularRows rows = pictures(40);
  rows.features[0].texts[17] = std::nullopt;
  try {
    train_classifier(rows, quick(), cpu(), {});
    FAIL();
  } catch (const Error &e) {
    EXPECT_NE(std::string(e.what()).find("NULL (row 18 of the source)"), std::string::npos) << e.what();
  }
  EXPECT_NO_THROW(train_classifier(
      rows, quick(R"(, "epochs": 1, "image": {"nulls": "missing", "widths": [2, 2, 2, 2, 2]})"), cpu(), {}));
  rows.features[0].texts[17] = "garbage";
  try {
    train_classifier(rows, quick(), cpu(), {});
    FAIL();
  } catch (const Error &e) {
    EXPECT_NE(std::string(e.what()).find("row 18 of the source"), std::string::npos) << e.what();
  }
  Image big;
  big.width = big.height = 20;
  big.channels = 1;
  big.pixels.assign(400, 9);
  rows.features[0].texts[17] = encode_png(big);
  try {
    train_classifier(rows, quick(), cpu(), {});
    FAIL();
  } catch (const Error &e) {
    EXPECT_NE(std::string(e.what()).find("20 x 20, not 16 x 16 (row 18 of the source)"), std::string::npos) << e.what();
  }
  EXPECT_NO_THROW(train_classifier(
      rows, quick(R"(, "epochs": 1, "image": {"resize": true, "widths": [2, 2, 2, 2, 2]})"), cpu(), {}));
}

TEST(ImageModel, ImagesBesideAttributesAndTheMemoryLimit) {
  TabularRows rows = pictures(60);
  TabularColumn weight{"weight", true, {}, {}};
  for (int i = 0; i < 60; ++i) weight.numbers.push_back(i % 7);
  rows.features.push_back(weight);
  TrainedTabular m = train_classifier(rows, quick(R"(, "epochs": 1)"), cpu(), {});
  auto scorer = TabularScorer::load(m.blob, cpu());
  EXPECT_EQ(scorer->features().size(), 2u);
  RuntimeSettings tight = cpu();
  tight.max_memory_bytes = 64 * 1024;
  try {
    train_classifier(rows, quick(), tight, {});
    FAIL();
  } catch (const Error &e) {
    EXPECT_EQ(e.kind(), ErrorKind::ResourceLimit);
    EXPECT_NE(std::string(e.what()).find("pictures"), std::string::npos) << e.what();
  }
  TabularRows two = pictures(20);
  two.features.push_back(two.features[0]);
  two.features[1].name = "image2";
  EXPECT_THROW(train_classifier(two, quick(), cpu(), {}), Error);
}

// A blob's image encoder is validated before anything is built: a spec
// whose scoring would need gigabytes a picture, a count that is not a whole
// number, an encoder larger than its weights, or an image feature without
// an encoder are refused as corrupt.
TEST(ImageModel, CraftedImageSpecsAreRefused) {
  const std::string blob = train_classifier(pictures(40), quick(R"(, "epochs": 1)"), cpu(), {}).blob;
  auto reseal = [&](const std::function<void(nlohmann::json &)> &change) {
    ModelBlob b = decode_blob(blob);
    nlohmann::json state = nlohmann::json::parse(b.state_json);
    change(state);
    b.state_json = state.dump();
    return encode_blob(b);
  };
  auto refused = [&](const std::function<void(nlohmann::json &)> &change, const char *what) {
    try {
      TabularScorer::load(reseal(change), cpu());
      ADD_FAILURE() << what << ": accepted";
    } catch (const Error &e) {
      EXPECT_EQ(e.kind(), ErrorKind::CorruptModel) << what << ": " << e.what();
    }
  };
  refused([](nlohmann::json &s) { s["shape"]["image"]["widths"] = {512, 512, 512, 512, 512}; }, "wide encoder");
  refused(
      [](nlohmann::json &s) {
        s["shape"]["image"]["height"] = 512;
        s["shape"]["image"]["width"] = 512;
        s["shape"]["image"]["widths"] = {64, 64, 64, 64, 64};
      },
      "gigabytes a picture");
  refused([](nlohmann::json &s) { s["shape"]["image"]["height"] = 1e300; }, "not a whole number");
  refused([](nlohmann::json &s) { s["shape"]["image"]["channels"] = 2; }, "two channels");
  refused([](nlohmann::json &s) { s["shape"]["image"]["std"] = {0.0}; }, "zero deviation");
  refused([](nlohmann::json &s) { s["shape"].erase("image"); }, "picture feature without an encoder");
  refused([](nlohmann::json &s) { s["features"][0]["image"] = false; }, "encoder without a picture feature");
  refused([](nlohmann::json &s) { s["shape"]["image"]["erase_unattended"] = 5; }, "erasing share over 1");
  refused([](nlohmann::json &s) { s["shape"]["image"]["erase_unattended"] = "all"; }, "erasing share not a number");
  refused([](nlohmann::json &s) { s["shape"]["image"]["erase_from"] = 1; }, "erasing never starting");
  refused([](nlohmann::json &s) { s["shape"]["image"]["erase_from"] = -0.5; }, "erasing starting before training");
  refused([](nlohmann::json &s) { s["shape"]["image"]["erase_from"] = nullptr; }, "erasing start not a number");
  refused([](nlohmann::json &s) { s["shape"]["image"]["attend_blank"] = 1; }, "attend_blank not true or false");
  EXPECT_NO_THROW(TabularScorer::load(blob, cpu()));
  // Blobs trained before the options existed have no such keys.
  EXPECT_NO_THROW(TabularScorer::load(reseal([](nlohmann::json &s) {
                                        s["shape"]["image"].erase("erase_unattended");
                                        s["shape"]["image"].erase("erase_from");
                                        s["shape"]["image"].erase("attend_blank");
                                      }),
                                      cpu()));
  nlohmann::json old_spec = ImageSpec().to_json();
  old_spec.erase("erase_unattended");
  old_spec.erase("erase_from");
  old_spec.erase("attend_blank");
  old_spec["mean"] = {0.5};
  old_spec["std"] = {0.25};
  old_spec["height"] = old_spec["width"] = 28;
  EXPECT_EQ(ImageSpec::from_json(old_spec).erase_unattended, 0) << "a blob from before the option did not erase";
  EXPECT_EQ(ImageSpec::from_json(old_spec).erase_from, 0) << "a blob from before the option erased from the first step";
  EXPECT_TRUE(ImageSpec::from_json(old_spec).attend_blank) << "a blob from before the option attended blank cells";

  // A deviation that is positive but tiny loads, and drives the encoder's
  // values past the float range: explaining or checking the attention is a
  // clear error, never a sort of NaN weights or a PNG of garbage.
  const auto tiny =
      TabularScorer::load(reseal([](nlohmann::json &s) { s["shape"]["image"]["std"] = {1e-300}; }), cpu());
  for (const auto &call : std::vector<std::function<void()>>{
           [&] { tiny->explain_image(picture(1, 3)); }, [&] { tiny->attention_png(picture(1, 3), 2); },
           [&] { tiny->attention_faithfulness({picture(1, 3)}, {std::string("1")}, 0.2, 1); }}) {
    try {
      call();
      ADD_FAILURE() << "non-finite attention accepted";
    } catch (const Error &e) {
      EXPECT_EQ(e.kind(), ErrorKind::DataException) << e.what();
    }
  }
}

TEST(ImageModel, AModelTrainedOnMirroredPicturesScoresBothWaysAndAverages) {
  // With flips (the default) a picture and its mirror get the same
  // probabilities: each is scored both ways. Without, they differ.
  const std::string one = picture(1, 200);
  for (const bool flip : {true, false}) {
    TrainedTabular m = train_classifier(
        pictures(60), flip ? quick() : quick(R"(, "image": {"widths": [4, 4, 8, 8, 8], "flip": false})"), cpu(), {});
    auto scorer = TabularScorer::load(m.blob, cpu());
    TabularColumn col{"image", false, {}, {one, mirrored(one)}, true};
    auto p = scorer->predict({col});
    ASSERT_EQ(p.size(), 2u);
    const auto class_one = [](const TabularPrediction &q) {
      return q.label == "1" ? q.label_probability : 1 - q.label_probability;
    };
    if (flip)
      EXPECT_NEAR(class_one(p[0]), class_one(p[1]), 1e-9);
    else
      EXPECT_GT(std::abs(class_one(p[0]) - class_one(p[1])), 1e-6);
  }
}

TEST(ImageModel, TheAttentionCheckComparesLogOddsThatAgreeWithTheProbabilities) {
  // The check's log-odds are log(p / (1 - p)) of predict_mlp's probability
  // of the true class, for each head; and where a confident network's
  // probability rounds to 1 they still differ between inputs.
  torch::manual_seed(3);
  for (const Head head : {Head::Softmax, Head::Sigmoid2, Head::Sigmoid}) {
    MlpShape shape;
    shape.dense_dim = 3;
    shape.hidden = {4};
    shape.outputs = head == Head::Sigmoid ? 1 : 3;
    Mlp net(shape);
    TabularTensors x;
    x.dense = torch::randn({6, 3});
    x.codes = torch::zeros({6, 0}, torch::kLong);
    const std::vector<long> truth =
        head == Head::Sigmoid ? std::vector<long>{0, 1, 0, 1, 0, 1} : std::vector<long>{0, 1, 2, 0, 1, 2};
    const auto p = predict_mlp(net, x, head, torch::kCPU);
    const auto odds = true_class_log_odds(net, x, head, torch::kCPU, truth);
    for (long i = 0; i < 6; ++i) {
      const double q = p[i][truth[static_cast<std::size_t>(i)]].item<double>();
      EXPECT_NEAR(odds[i].item<double>(), std::log(q / (1 - q)), 1e-6) << head_name(head) << " row " << i;
    }
  }
  MlpShape shape;
  shape.dense_dim = 1;
  shape.outputs = 2;
  Mlp confident(shape);
  TabularTensors x;
  x.dense = torch::tensor({60.0f, 80.0f}).unsqueeze(1);  // logit margins far beyond what a probability resolves
  x.codes = torch::zeros({2, 0}, torch::kLong);
  {
    torch::NoGradGuard no_grad;
    for (auto &param : confident->parameters()) param.fill_(0);
    confident->layer(0)->weight[0][0].fill_(1);  // class 0's logit is the input
  }
  const auto p = predict_mlp(confident, x, Head::Softmax, torch::kCPU);
  ASSERT_EQ(p[0][0].item<double>(), p[1][0].item<double>());  // both round to 1
  const auto odds = true_class_log_odds(confident, x, Head::Softmax, torch::kCPU, {0, 0});
  EXPECT_LT(odds[0].item<double>(), odds[1].item<double>());
}

TEST(ImageModel, ErasingOutsideTheAttentionSparesTheAttendedCellsAndTheBatchNorm) {
  // erase_unattended blacks out whole cells of the final map's grid, never
  // one of a picture's 20 % most attended, only in the share of pictures it
  // is given, and leaves the batch norm's running statistics as they were.
  torch::manual_seed(5);
  ImageSpec spec = grey_28();
  spec.erase_unattended = 1;
  ImageEncoder encoder(spec);
  encoder->train();
  const torch::Tensor pixels = torch::randint(1, 256, {16, 1, 28, 28}).to(torch::kUInt8);
  const auto statistics = [&] {
    std::vector<torch::Tensor> out;
    for (const auto &b : encoder->buffers()) out.push_back(b.clone());
    return out;
  };
  const auto before = statistics();
  const torch::Tensor erased = erase_unattended_cells(*encoder, pixels);
  const auto after = statistics();
  for (std::size_t i = 0; i < before.size(); ++i) EXPECT_TRUE(torch::equal(before[i], after[i])) << "buffer " << i;
  for (const auto &m : encoder->modules()) EXPECT_TRUE(m->is_training());
  torch::Tensor attention;
  {
    torch::NoGradGuard no_grad;
    encoder->eval();
    attention = encoder->forward(pixels).attention;
  }
  const int cells = spec.cells();
  ASSERT_EQ(cells, 49);
  long erased_cells = 0;
  for (long i = 0; i < 16; ++i) {
    const auto order = std::get<1>(attention[i].sort(0, true));
    for (int c = 0; c < cells; ++c) {
      const long cy = c / 7, cx = c % 7;
      const auto before_cell = pixels[i][0].narrow(0, cy * 4, 4).narrow(1, cx * 4, 4);
      const auto after_cell = erased[i][0].narrow(0, cy * 4, 4).narrow(1, cx * 4, 4);
      const bool black = after_cell.eq(0).all().item<bool>(), same = torch::equal(before_cell, after_cell);
      ASSERT_TRUE(black || same) << "picture " << i << " cell " << c << " partly erased";
      if (!same) {
        ++erased_cells;
        for (int j = 0; j < 10; ++j)
          ASSERT_NE(order[j].item<long>(), c) << "picture " << i << ": attended cell " << c << " erased";
      }
    }
  }
  // Each of the 39 cells outside the top 10 goes with probability 1/4.
  EXPECT_GT(erased_cells, 16 * 39 / 8);
  EXPECT_LT(erased_cells, 16 * 39 * 3 / 8);

  // Sides the pooling does not divide (30 pixels, two poolings, 7 cells):
  // a cell covers the rows and columns its pooling window feeds, 4 each,
  // and the last one also the 2 that the pooling drops.
  spec.height = spec.width = 30;
  ImageEncoder uneven(spec);
  const torch::Tensor wide = torch::randint(1, 256, {8, 1, 30, 30}).to(torch::kUInt8);
  const torch::Tensor wide_erased = erase_unattended_cells(*uneven, wide);
  long uneven_erased = 0;
  for (long i = 0; i < 8; ++i)
    for (long cy = 0; cy < 7; ++cy)
      for (long cx = 0; cx < 7; ++cx) {
        const long y0 = cy * 4, y1 = cy == 6 ? 30 : y0 + 4, x0 = cx * 4, x1 = cx == 6 ? 30 : x0 + 4;
        const auto cell = wide_erased[i][0].narrow(0, y0, y1 - y0).narrow(1, x0, x1 - x0);
        const bool black = cell.eq(0).all().item<bool>();
        ASSERT_TRUE(black || torch::equal(cell, wide[i][0].narrow(0, y0, y1 - y0).narrow(1, x0, x1 - x0)))
            << "picture " << i << " cell " << cy * 7 + cx << " partly erased";
        uneven_erased += black;
      }
  EXPECT_GT(uneven_erased, 0);
  spec.height = spec.width = 28;

  // The mode is put back however the pass ends: after a failing pass (three
  // channels for a grey encoder), and for an encoder that was in eval mode.
  encoder->train();  // the attention above was read in eval mode
  EXPECT_ANY_THROW(erase_unattended_cells(*encoder, torch::zeros({4, 3, 28, 28}, torch::kUInt8)));
  for (const auto &m : encoder->modules()) EXPECT_TRUE(m->is_training()) << "after a failing pass";
  encoder->eval();
  erase_unattended_cells(*encoder, pixels);
  for (const auto &m : encoder->modules()) EXPECT_FALSE(m->is_training()) << "an encoder in eval mode";
  encoder->train();

  spec.erase_unattended = 0.5;
  ImageEncoder half(spec);
  const torch::Tensor some = erase_unattended_cells(*half, pixels.repeat({8, 1, 1, 1}));
  long touched = 0;
  for (long i = 0; i < 128; ++i) touched += !torch::equal(some[i], pixels[i % 16]);
  EXPECT_GT(touched, 40);
  EXPECT_LT(touched, 88);
  spec.erase_unattended = 0;
  ImageEncoder none(spec);
  EXPECT_TRUE(torch::equal(erase_unattended_cells(*none, pixels), pixels));
  // Another fill than black, for checking the attention with grey cells (the study program).
  EXPECT_TRUE(black_out_cells(pixels, torch::ones({16, 49}, torch::kBool), spec, 128).eq(128).all().item<bool>());

  EXPECT_EQ(parse_tabular_options(true, R"({"image": {"erase_unattended": 0.25}})").image.erase_unattended, 0.25);
  EXPECT_EQ(parse_tabular_options(true, "{}").image.erase_unattended, 0.5)
      << "the default, chosen on 5,000 held-out training pictures (README)";
  EXPECT_THROW(parse_tabular_options(true, R"({"image": {"erase_unattended": 1.5}})"), Error);
  EXPECT_THROW(parse_tabular_options(true, R"({"image": {"erase_unattended": true}})"), Error);

  // Erasing starts after a share erase_from of the training's steps.
  EXPECT_NEAR(parse_tabular_options(true, "{}").image.erase_from, 1.0 / 3.0, 1e-12)
      << "the default, chosen on held-out training pictures (README)";
  EXPECT_EQ(parse_tabular_options(true, R"({"image": {"erase_from": 0}})").image.erase_from, 0);
  EXPECT_THROW(parse_tabular_options(true, R"({"image": {"erase_from": 1}})"), Error);
  EXPECT_THROW(parse_tabular_options(true, R"({"image": {"erase_from": "late"}})"), Error);
  spec.erase_from = 1.0 / 3.0;
  EXPECT_EQ(erase_start_step(spec, 300), 100);
  EXPECT_EQ(erase_start_step(spec, 0), 0);
  spec.erase_from = 0;
  EXPECT_EQ(erase_start_step(spec, 300), 0) << "from the first step, as before the option";
}

TEST(ImageModel, TheAttentionLeavesBlankCellsOut) {
  // A cell whose pixels span at most kBlankCellRange levels in every channel
  // (a backdrop of any shade, a JPEG's noise) gets no attention and the
  // others share all of it; a picture blank everywhere spreads it over every
  // cell; with attend_blank the blank cells get their share as before.
  torch::manual_seed(7);
  ImageSpec spec = grey_28();
  EXPECT_FALSE(parse_tabular_options(true, "{}").image.attend_blank)
      << "the default, chosen on held-out training pictures (README)";
  EXPECT_TRUE(parse_tabular_options(true, R"({"image": {"attend_blank": true}})").image.attend_blank);
  EXPECT_THROW(parse_tabular_options(true, R"({"image": {"attend_blank": 1}})"), Error);
  ImageEncoder encoder(spec);
  encoder->eval();
  torch::NoGradGuard no_grad;
  torch::Tensor pixels = torch::zeros({3, 1, 28, 28}, torch::kUInt8);
  // Picture 0: ink in the map's first three rows of cells; a white backdrop
  // in its last row; a cell of noise within the range in the middle.
  pixels[0][0].narrow(0, 0, 12).copy_(torch::randint(0, 256, {12, 28}).to(torch::kUInt8));
  pixels[0][0].narrow(0, 24, 4).fill_(250);
  pixels[0][0].narrow(0, 12, 4).narrow(1, 12, 4).copy_(torch::randint(100, 100 + kBlankCellRange + 1, {4, 4}));
  // Picture 1 is black everywhere; picture 2 has one pixel of ink, in cell (5, 5).
  pixels[2][0][21][22] = 9;
  const torch::Tensor attention = encoder->forward(pixels).attention;
  for (long i = 0; i < 3; ++i) EXPECT_NEAR(attention[i].sum().item<double>(), 1.0, 1e-5) << i;
  for (long c = 0; c < 49; ++c) {
    EXPECT_EQ(attention[0][c].item<float>() > 0, c < 21) << "cell " << c;
    EXPECT_GT(attention[1][c].item<float>(), 0) << "a picture blank everywhere, cell " << c;
    EXPECT_EQ(attention[2][c].item<float>(), c == 40 ? 1.0f : 0.0f) << "cell " << c;
  }
  spec.attend_blank = true;
  ImageEncoder everywhere(spec);
  everywhere->eval();
  EXPECT_GT(everywhere->forward(pixels).attention[0].min().item<float>(), 0) << "attend_blank";

  // Sides the pooling does not divide: ink in the last row and column, which
  // the pooling drops, lies in the last cell; in colour, ink in one channel.
  spec = grey_28();
  spec.height = spec.width = 30;
  spec.channels = 3;
  spec.mean = {0.5, 0.5, 0.5};
  spec.std = {0.25, 0.25, 0.25};
  ImageEncoder uneven(spec);
  uneven->eval();
  torch::Tensor colour = torch::full({1, 3, 30, 30}, 200, torch::kUInt8);
  colour[0][2][29][29] = 0;
  const torch::Tensor last = uneven->forward(colour).attention[0];
  EXPECT_EQ(last[48].item<float>(), 1.0f);
}
