// How the image defaults' attention was studied without the official test
// pictures: a classifier trains on the first TRAIN Fashion-MNIST training
// pictures with the options given, then the last HOLDOUT training pictures
// (never trained on) are scored: accuracy, the attention check of
// xb_attention_faithfulness, and why the check loses where it loses (the
// most attended cells all background, so that blacking them out changes
// nothing; the attention's spread as an effective number of cells).
//   cmake -DXB_STUDIES=ON build && make -C build xb_image_attention_study
//   [XB_STUDY_THREADS=1] build/xb_image_attention_study DIR TRAIN HOLDOUT '{"epochs": 8}'
// DIR holds the unpacked IDX files (train-images-idx3-ubyte, train-labels-idx1-ubyte,
// and t10k-* for XB_STUDY_OFFICIAL=1).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <numeric>
#include <string>
#include <vector>

#include "core/image/codec.hpp"
#include "core/tabular/model.hpp"
#include "core/tabular/scorer.hpp"

using namespace xb;

namespace {

std::vector<unsigned char> read_all(const std::string &path) {
  std::ifstream f(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

}  // namespace

int main(int argc, char **argv) {
  if (argc < 5) {
    std::fprintf(stderr, "usage: %s DIR TRAIN HOLDOUT OPTIONS_JSON\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1];
  const long train = std::stol(argv[2]), holdout = std::stol(argv[3]);
  const auto images = read_all(dir + "/train-images-idx3-ubyte"), labels = read_all(dir + "/train-labels-idx1-ubyte");
  const long total = static_cast<long>(labels.size()) - 8;
  const bool official = std::getenv("XB_STUDY_OFFICIAL") != nullptr;
  if (images.size() != 16 + static_cast<std::size_t>(total) * 784 || train + (official ? 0 : holdout) > total) {
    std::fprintf(stderr, "unexpected IDX files or sizes\n");
    return 2;
  }
  auto png = [&](long i) {
    Image img;
    img.width = img.height = 28;
    img.channels = 1;
    img.pixels.assign(images.begin() + 16 + i * 784, images.begin() + 16 + (i + 1) * 784);
    return encode_png(img);
  };
  TabularRows rows;
  rows.label_name = "article";
  rows.label_type = LabelType::Integer;
  TabularColumn column{"image", false, {}, {}, true};
  for (long i = 0; i < train; ++i) {
    column.texts.push_back(png(i));
    rows.labels.push_back(std::to_string(labels[8 + i]));
  }
  rows.features = {column};
  const char *threads = std::getenv("XB_STUDY_THREADS");  // default 2, this machine's cores
  const RuntimeSettings runtime{"cpu", threads != nullptr ? std::atoi(threads) : 2, 0};
  const auto start = std::chrono::steady_clock::now();
  TrainedTabular m = train_classifier(rows, parse_tabular_options(true, argv[4]), runtime, {});
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  auto scorer = TabularScorer::load(m.blob, runtime);

  // XB_STUDY_OFFICIAL=1: score the last HOLDOUT official test pictures
  // instead (t10k-*), once the options are decided.
  const auto test_images = official ? read_all(dir + "/t10k-images-idx3-ubyte") : images;
  const auto test_labels = official ? read_all(dir + "/t10k-labels-idx1-ubyte") : labels;
  const long test_total = static_cast<long>(test_labels.size()) - 8;
  if (holdout > test_total || test_images.size() != 16 + static_cast<std::size_t>(test_total) * 784) {
    std::fprintf(stderr, "unexpected test IDX files or sizes\n");
    return 2;
  }
  std::vector<std::optional<std::string>> pictures, truth;
  std::vector<std::vector<unsigned char>> pixels;
  for (long i = test_total - holdout; i < test_total; ++i) {
    pixels.emplace_back(test_images.begin() + 16 + i * 784, test_images.begin() + 16 + (i + 1) * 784);
    Image img;
    img.width = img.height = 28;
    img.channels = 1;
    img.pixels = pixels.back();
    pictures.push_back(encode_png(img));
    truth.push_back(std::to_string(test_labels[8 + i]));
  }
  TabularColumn scored{"image", false, {}, pictures, true};
  const auto predictions = scorer->predict({scored});
  long right = 0;
  for (std::size_t i = 0; i < predictions.size(); ++i) right += predictions[i].label == *truth[i];
  const auto faithful = scorer->attention_faithfulness(pictures, truth, 0.2, 42);
  // The same check with the cells grey (128) instead of black: training
  // erases with black, so a network could have learnt what black cells mean
  // rather than where the class is.
  const auto grey = scorer->attention_faithfulness(pictures, truth, 0.2, 42, 128);

  // Of each picture's most attended fifth of the 7 x 7 map: how many cells
  // hold no ink at all, and the attention's effective number of cells.
  double background_share = 0, all_background = 0, effective_cells = 0;
  for (std::size_t i = 0; i < pictures.size(); ++i) {
    const ImageExplanation e = scorer->explain_image(*pictures[i]);
    const int cells = e.map_height * e.map_width, k = static_cast<int>(std::lround(0.2 * cells));
    std::vector<int> order(static_cast<std::size_t>(cells));
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](int p, int q) { return e.attention[p] > e.attention[q]; });
    int empty = 0;
    for (int j = 0; j < k; ++j) {
      const int cy = order[j] / e.map_width, cx = order[j] % e.map_width;
      bool ink = false;
      for (int y = cy * 28 / e.map_height; y < (cy + 1) * 28 / e.map_height; ++y)
        for (int x = cx * 28 / e.map_width; x < (cx + 1) * 28 / e.map_width; ++x) ink |= pixels[i][y * 28 + x] > 0;
      empty += !ink;
    }
    background_share += static_cast<double>(empty) / k;
    all_background += empty == k;
    double entropy = 0;
    for (float a : e.attention)
      if (a > 0) entropy -= a * std::log(a);
    effective_cells += std::exp(entropy);
  }
  // Untrained networks of other initial weights (the check's seed draws
  // them): chance is 0.5 on average over them, not for every one.
  std::vector<double> untrained;
  for (std::uint64_t check_seed = 1; check_seed <= 8; ++check_seed)
    untrained.push_back(scorer->attention_faithfulness(pictures, truth, 0.2, check_seed).untrained);
  std::printf("untrained networks, check seeds 1-8:");
  for (double u : untrained) std::printf(" %.4f", u);
  std::printf(" (mean %.4f)\n", std::accumulate(untrained.begin(), untrained.end(), 0.0) / untrained.size());
  const double n = static_cast<double>(pictures.size());
  std::printf(
      "options %s: %zu epochs (best %d), %.0f s; %s accuracy %.4f on %zu; attention check trained %.4f untrained %.4f; "
      "grey cells: trained %.4f untrained %.4f; top cells without ink %.3f (all of them %.3f); effective cells %.1f\n",
      argv[4], m.epochs.size(), m.best_epoch, seconds, official ? "official test" : "holdout", right / n,
      pictures.size(), faithful.trained, faithful.untrained, grey.trained, grey.untrained, background_share / n,
      all_background / n, effective_cells / n);
  return 0;
}
