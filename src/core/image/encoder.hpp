// The image encoder: five convolution blocks (3x3 convolution, batch norm,
// ReLU, 2x2 max pooling in the first ImageSpec::pools() of them) with no
// fully connected layer, then attention pooling over the final feature map:
// a learned score per cell (a 1x1 convolution), softmax weights over the
// cells (blank cells left out unless spec.attend_blank), and the weighted
// sum of the cells' features as the embedding.
// Core-internal (torch).
#pragma once
#include "core/common/torch_api.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/image/shape.hpp"

namespace xb {

struct ImageEncoding {
  torch::Tensor embedding;  // [N, widths.back()]
  torch::Tensor attention;  // [N, map_height * map_width], each row sums to 1; 0 on blank cells
};

class ImageEncoderImpl : public torch::nn::Module {
 public:
  explicit ImageEncoderImpl(const ImageSpec &spec);
  // 8-bit pixels [N, C, H, W] (uint8), normalised here with the spec's mean and deviation.
  ImageEncoding forward(const torch::Tensor &pixels);
  const ImageSpec &spec() const { return spec_; }

 private:
  ImageSpec spec_;
  torch::nn::Sequential blocks_{nullptr};
  torch::nn::Conv2d score_{nullptr};
  torch::Tensor mean_, std_;  // [1, C, 1, 1], not trained, not stored (the spec holds them)
};
TORCH_MODULE(ImageEncoder);

// Training-time augmentation of a batch of 8-bit pixels: each image flipped
// left-right with probability 1/2 (spec.flip), the batch shifted by up to
// spec.shift pixels each way with zero fill. Draws from `random` when given,
// else from LibTorch's global generator.
torch::Tensor augment_images(const torch::Tensor &pixels, const ImageSpec &spec,
                             const std::optional<at::Generator> &random = std::nullopt);

// The pictures [N, C, H, W] with the pixels of the marked cells of the final
// map blacked out (cells: [N, map cells] bool); pixels [N, C, spec.height,
// spec.width]. A pixel lies in the cell spec.cell_row and spec.cell_column
// give it, the cell whose features its pooling window feeds. The attention check
// and erase_unattended_cells both black out through it.
// `fill`: the value the cells' pixels take instead of black.
torch::Tensor black_out_cells(const torch::Tensor &pixels, const torch::Tensor &cells, const ImageSpec &spec,
                              std::uint8_t fill = 0);

// Training-time erasing outside the attention: in a share
// spec.erase_unattended of the pictures, each cell of the final map outside
// the picture's 20 % most attended (by the encoder as it stands, in eval
// mode) has its pixels blacked out with probability 1/4. The network learns
// that evidence outside where it attends may be missing, so its decision
// rests on the attended cells (what xb_attention_faithfulness checks).
// Draws as augment_images does.
torch::Tensor erase_unattended_cells(ImageEncoderImpl &encoder, const torch::Tensor &pixels,
                                     const std::optional<at::Generator> &random = std::nullopt);

// The first step (0-based) of a training of planned_steps steps at which
// erasing outside the attention runs: spec.erase_from of them, rounded.
long erase_start_step(const ImageSpec &spec, long planned_steps);

// The pictures of the given rows as the encoder's input, [rows, C, H, W]
// uint8 (image_input of each, decoded in parallel). A NULL is a black
// picture when spec.null_as_missing, else Error(DataException) naming the
// row by row_name(row).
torch::Tensor image_tensor(const std::vector<std::optional<std::string>> &images, const std::vector<long> &rows,
                           const ImageSpec &spec, const std::function<std::string(long)> &row_name);

}  // namespace xb
