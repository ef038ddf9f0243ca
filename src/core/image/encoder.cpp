#include "core/image/encoder.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "core/common/error.hpp"

namespace xb {

ImageEncoderImpl::ImageEncoderImpl(const ImageSpec &spec) : spec_(spec) {
  namespace nn = torch::nn;
  blocks_ = nn::Sequential();
  long in = spec.channels;
  const int pools = spec.pools();
  for (std::size_t b = 0; b < spec.widths.size(); ++b) {
    const long out = spec.widths[b];
    blocks_->push_back(nn::Conv2d(nn::Conv2dOptions(in, out, 3).padding(1).bias(false)));
    blocks_->push_back(nn::BatchNorm2d(out));
    blocks_->push_back(nn::Functional(torch::relu));
    if (static_cast<int>(b) < pools) blocks_->push_back(nn::MaxPool2d(nn::MaxPool2dOptions(2)));
    in = out;
  }
  register_module("blocks", blocks_);
  score_ = register_module("score", nn::Conv2d(nn::Conv2dOptions(in, 1, 1)));
  std::vector<float> mean(spec.mean.begin(), spec.mean.end()), sd(spec.std.begin(), spec.std.end());
  if (mean.empty()) mean.assign(spec.channels, 0.0f);
  if (sd.empty()) sd.assign(spec.channels, 1.0f);
  mean_ = torch::tensor(mean).reshape({1, spec.channels, 1, 1});
  std_ = torch::tensor(sd).reshape({1, spec.channels, 1, 1});
}

namespace {

// Each input pixel's cell of the final map, row-major over the H x W pixels.
std::vector<long> cell_of_pixels(const ImageSpec &spec, long h, long w) {
  std::vector<long> cell_of(static_cast<std::size_t>(h * w));
  for (long y = 0; y < h; ++y)
    for (long x = 0; x < w; ++x)
      cell_of[static_cast<std::size_t>(y * w + x)] =
          spec.cell_row(static_cast<int>(y)) * spec.map_width() + spec.cell_column(static_cast<int>(x));
  return cell_of;
}

// [N, cells] bool: the cells whose pixels span at most kBlankCellRange levels in every channel.
torch::Tensor blank_cells(const torch::Tensor &pixels, const ImageSpec &spec) {
  const long n = pixels.size(0), c = pixels.size(1), h = pixels.size(2), w = pixels.size(3);
  if (h != spec.height || w != spec.width)  // else a cell could have no pixel
    throw Error(ErrorKind::Internal, "pictures of " + std::to_string(h) + " x " + std::to_string(w) +
                                         " pixels for an encoder of " + std::to_string(spec.height) + " x " +
                                         std::to_string(spec.width));
  // Each cell's pixels [cells, most in a cell], short rows padded with the
  // cell's first pixel, which leaves its highest and lowest value as they are.
  std::vector<std::vector<long>> members(static_cast<std::size_t>(spec.cells()));
  const std::vector<long> cell_of = cell_of_pixels(spec, h, w);
  for (std::size_t pixel = 0; pixel < cell_of.size(); ++pixel)
    members[static_cast<std::size_t>(cell_of[pixel])].push_back(static_cast<long>(pixel));
  std::size_t most = 0;
  for (const auto &m : members) most = std::max(most, m.size());
  std::vector<long> index;
  for (auto &m : members) {
    m.resize(most, m.front());
    index.insert(index.end(), m.begin(), m.end());
  }
  const torch::Tensor grouped = pixels.reshape({n * c, h * w})
                                    .index_select(1, torch::tensor(index, torch::kLong).to(pixels.device()))
                                    .view({n, c, spec.cells(), static_cast<long>(most)})
                                    .to(torch::kShort);
  return (grouped.amax(3) - grouped.amin(3)).le(kBlankCellRange).all(1);
}

}  // namespace

ImageEncoding ImageEncoderImpl::forward(const torch::Tensor &pixels) {
  const auto device = pixels.device();
  torch::Tensor x = (pixels.to(torch::kFloat) / 255.0 - mean_.to(device)) / std_.to(device);
  torch::Tensor map = blocks_->forward(x);                 // [N, E, h, w]
  torch::Tensor scores = score_->forward(map).flatten(1);  // [N, h*w]
  if (!spec_.attend_blank) {
    torch::Tensor blank = blank_cells(pixels, spec_);
    blank.logical_and_(blank.logical_not().any(1, true));  // a picture blank everywhere keeps every cell
    scores = scores.masked_fill(blank, -std::numeric_limits<float>::infinity());
  }
  torch::Tensor weights = torch::softmax(scores, 1);                         // [N, h*w]
  torch::Tensor embedding = (map.flatten(2) * weights.unsqueeze(1)).sum(2);  // [N, E]
  return {embedding, weights};
}

namespace {

// LibTorch's own optional (std::optional from LibTorch 2.x on).
c10::optional<at::Generator> generator_of(const std::optional<at::Generator> &random) {
  return random ? c10::optional<at::Generator>(*random) : c10::nullopt;
}

}  // namespace

torch::Tensor augment_images(const torch::Tensor &pixels, const ImageSpec &spec,
                             const std::optional<at::Generator> &random) {
  torch::Tensor x = pixels;
  // Drawn on the CPU, so a generator of its own serves on any device.
  if (spec.flip) {
    auto flip = torch::rand({x.size(0)}, generator_of(random)).to(x.device()) < 0.5;
    x = torch::where(flip.view({-1, 1, 1, 1}), x.flip({3}), x);
  }
  if (spec.shift > 0) {
    const int s = spec.shift;
    auto offsets = torch::randint(-s, s + 1, {2}, generator_of(random)).to(torch::kLong);
    const long dy = offsets[0].item<long>(), dx = offsets[1].item<long>();
    const long h = x.size(2), w = x.size(3);
    torch::Tensor padded = torch::constant_pad_nd(x, {s, s, s, s}, 0);
    x = padded.narrow(2, s + dy, h).narrow(3, s + dx, w);
  }
  return x;
}

namespace {

// Each picture's 20 % most attended cells [N, cells] (bool), by the encoder
// as it stands, in eval mode so that this pass leaves the batch norm's
// running statistics alone; the mode is put back however the pass ends.
torch::Tensor most_attended_cells(ImageEncoderImpl &encoder, const torch::Tensor &pixels) {
  struct EvalMode {
    ImageEncoderImpl &encoder;
    const bool training = encoder.is_training();
    ~EvalMode() { encoder.train(training); }
  };
  torch::Tensor attention;
  {
    const EvalMode eval_mode{encoder};
    encoder.eval();
    torch::NoGradGuard no_grad;
    attention = encoder.forward(pixels).attention;
  }
  const int cells = encoder.spec().cells();
  const long top = std::max(1L, std::lround(0.2 * cells));
  return torch::zeros({pixels.size(0), cells}, torch::TensorOptions().device(pixels.device()).dtype(torch::kBool))
      .scatter_(1, std::get<1>(attention.topk(top, 1)), true);
}

}  // namespace

torch::Tensor erase_unattended_cells(ImageEncoderImpl &encoder, const torch::Tensor &pixels,
                                     const std::optional<at::Generator> &random) {
  const ImageSpec &spec = encoder.spec();
  const torch::Tensor chosen =
      (torch::rand({pixels.size(0)}, generator_of(random)).to(pixels.device()) < spec.erase_unattended)
          .nonzero()
          .squeeze(1);
  const long n = chosen.size(0);
  if (n == 0) return pixels;
  const torch::Tensor some = pixels.index_select(0, chosen);
  const torch::Tensor attended = most_attended_cells(encoder, some);
  const torch::Tensor erased = (torch::rand({n, spec.cells()}, generator_of(random)).to(pixels.device()) < 0.25)
                                   .logical_and_(attended.logical_not());
  return pixels.index_copy(0, chosen, black_out_cells(some, erased, spec));
}

long erase_start_step(const ImageSpec &spec, long planned_steps) {
  return std::lround(spec.erase_from * static_cast<double>(std::max(0L, planned_steps)));
}

torch::Tensor black_out_cells(const torch::Tensor &pixels, const torch::Tensor &cells, const ImageSpec &spec,
                              std::uint8_t fill) {
  const long h = pixels.size(2), w = pixels.size(3);
  const torch::Tensor per_pixel =
      cells.index_select(1, torch::tensor(cell_of_pixels(spec, h, w), torch::kLong).to(pixels.device()))
          .view({pixels.size(0), 1, h, w});
  return pixels.masked_fill(per_pixel, fill);
}

}  // namespace xb

namespace xb {

torch::Tensor image_tensor(const std::vector<std::optional<std::string>> &images, const std::vector<long> &rows,
                           const ImageSpec &spec, const std::function<std::string(long)> &row_name) {
  const long n = static_cast<long>(rows.size());
  const long size = static_cast<long>(spec.channels) * spec.height * spec.width;
  torch::Tensor out = torch::zeros({n, spec.channels, spec.height, spec.width}, torch::kUInt8);
  std::uint8_t *base = out.data_ptr<std::uint8_t>();
  // Names are made (and errors raised) outside the parallel region.
  for (long i = 0; i < n; ++i)
    if (!images[static_cast<std::size_t>(rows[i])] && !spec.null_as_missing)
      throw Error(ErrorKind::DataException, "the image is NULL (" + row_name(rows[i]) + ")",
                  "Filter out rows without a picture, or set \"image\": {\"nulls\": \"missing\"} to give them a "
                  "black one.");
  std::vector<std::string> failures(static_cast<std::size_t>(n));
  at::parallel_for(0, n, 64, [&](long begin, long end) {
    for (long i = begin; i < end; ++i) {
      const auto &bytes = images[static_cast<std::size_t>(rows[i])];
      if (!bytes) continue;
      try {
        // The same error again, now naming the row; or, for a failure that
        // does not repeat (memory), the picture after all.
        std::vector<std::uint8_t> pixels = image_input(*bytes, spec, "");
        std::memcpy(base + i * size, pixels.data(), static_cast<std::size_t>(size));
      } catch (const std::exception &e) {
        failures[static_cast<std::size_t>(i)] = e.what();
      }
    }
  });
  for (long i = 0; i < n; ++i)
    if (!failures[static_cast<std::size_t>(i)].empty()) {
      std::vector<std::uint8_t> pixels =
          image_input(*images[static_cast<std::size_t>(rows[i])], spec, row_name(rows[i]));
      std::memcpy(base + i * size, pixels.data(), static_cast<std::size_t>(size));
    }
  return out;
}

}  // namespace xb
