// What an image feature is for a model: the preprocessing of its bytes
// (input size, channels, resizing, normalisation, NULLs) and the shape of the
// convolutional encoder that turns it into an embedding. Stored in the blob
// like every other encoder; checked as a whole when a blob is read, with the
// same bounds the options use. Torch-free.
#pragma once
#include <algorithm>
#include <cstdint>
#include <functional>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/image/codec.hpp"

namespace xb {

inline constexpr int kMaxImageSide = 512;      // network input height and width
inline constexpr int kMaxImageChannels = 512;  // convolution widths
inline constexpr int kImageBlocks = 5;
// A cell of the final map is blank when its pixels span at most this many
// levels (of 255) in every channel: the backdrop, with a JPEG's noise.
inline constexpr int kBlankCellRange = 4;
// What one picture's forward pass may hold (three tensors of float per
// block): the same bound for training options and for an imported blob, so
// a blob cannot declare an encoder whose scoring needs gigabytes a picture.
inline constexpr double kMaxImageActivationBytes = 256.0 * 1024 * 1024;

struct ImageSpec {
  // Preprocessing
  int height = 28, width = 28, channels = 1;
  bool resize = false;                    // false: an image of another size is an error naming the row
  bool null_as_missing = false;           // true: a NULL picture is a black one
  std::string normalize = "standardize";  // standardize (training mean and deviation) | unit (x / 255)
  std::vector<double> mean, std;          // per channel, on the 0..1 scale
  // Encoder: five convolution blocks of these widths (3x3, batch norm, ReLU);
  // the first pools() of them end in 2x2 max pooling. The first block runs
  // at full resolution, where 16 channels cost half of 32 for the same
  // accuracy.
  std::vector<int> widths{16, 32, 64, 64, 64};
  // Training only (not needed to apply the model, stored for lineage).
  bool flip = true;  // horizontal flips
  int shift = 2;     // random shifts of up to this many pixels
  // The share of training pictures whose unattended cells are partly blacked
  // out (erase_unattended_cells), so that what decides the class is where
  // the attention looks. 0.5 was chosen on held-out training pictures
  // (README, "Product images").
  double erase_unattended = 0.5;
  // The share of the training's planned steps (epochs x batches) that run
  // before erasing starts: early on the attention is still near random, and
  // erasing by it then is random erasing, which the attention check showed
  // to hurt. 1/3 was chosen on held-out training pictures (README).
  double erase_from = 1.0 / 3.0;
  // Whether the attention may weigh blank cells: cells whose pixels are all
  // of one value (within kBlankCellRange), the backdrop of a product
  // picture. Off, a blank cell gets no weight (a picture blank everywhere
  // keeps them all), so the attention stays on the article.
  bool attend_blank = false;

  // As many poolings as keep the final map at least 7 x 7 (or no pooling for
  // inputs smaller than that), at most one per block.
  int pools() const;
  int map_height() const;
  int map_width() const;
  int cells() const { return map_height() * map_width(); }
  // The cell of the final map a pixel row (column) of the input lies under:
  // each pooling halves with the floor, so cell c covers rows c << pools()
  // up to (c + 1) << pools(), and the rows the pooling drops at the bottom
  // (right) go to the last cell.
  int cell_row(int y) const { return std::min(map_height() - 1, y >> pools()); }
  int cell_column(int x) const { return std::min(map_width() - 1, x >> pools()); }
  int embedding_dim() const { return widths.empty() ? 0 : widths.back(); }
  // Float values the encoder stores (weights and batch-norm statistics).
  std::int64_t value_count() const;
  // Bytes of one picture's forward pass: each block's convolution, batch
  // norm and ReLU outputs as float.
  double activation_bytes() const;
  // Error(InvalidParameter) when activation_bytes() is over
  // kMaxImageActivationBytes (what: "the image options" or the like).
  void check_size(const std::string &what) const;

  nlohmann::json to_json() const;
  static ImageSpec from_json(const nlohmann::json &j);  // throws Error(CorruptModel)
};

// An image's bytes as the network's input: decoded, converted to the spec's
// channels, resized when the spec allows (else Error(DataException) naming
// the size), as 8-bit pixels channel-major [C, H, W]. what: "row 12 of the
// source", for the messages.
std::vector<std::uint8_t> image_input(std::string_view bytes, const ImageSpec &spec, const std::string &what);

// The spec a model trains with: the given options, with the size and
// channels taken from the first training picture where they were not given,
// and the normalisation's mean and deviation from (up to 10,000 of) the
// training pictures. row_name names a row for errors.
ImageSpec learn_image_spec(ImageSpec given, bool size_given, bool channels_given,
                           const std::vector<std::optional<std::string>> &images, const std::vector<long> &rows,
                           const std::string &column, const std::function<std::string(long)> &row_name);

}  // namespace xb
