#include "core/image/shape.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "core/common/error.hpp"

namespace xb {

using nlohmann::json;

int ImageSpec::pools() const {
  int k = 0, h = height, w = width;
  while (k < kImageBlocks && k < static_cast<int>(widths.size()) && h / 2 >= 7 && w / 2 >= 7) {
    h /= 2;
    w /= 2;
    ++k;
  }
  return k;
}

int ImageSpec::map_height() const { return height >> pools(); }
int ImageSpec::map_width() const { return width >> pools(); }

std::int64_t ImageSpec::value_count() const {
  std::int64_t n = 0, in = channels;
  for (int w : widths) {
    n += in * w * 9 + 4 * static_cast<std::int64_t>(w) + 1;  // conv (no bias), BN weight, bias, mean, var, count
    in = w;
  }
  return n + in + 1;  // the attention score: a 1x1 convolution
}

double ImageSpec::activation_bytes() const {
  double bytes = 0, h = height, w = width;
  const int p = pools();
  for (std::size_t b = 0; b < widths.size(); ++b) {
    bytes += 3.0 * 4 * widths[b] * h * w;
    if (static_cast<int>(b) < p) h = std::floor(h / 2), w = std::floor(w / 2);
  }
  return bytes;
}

void ImageSpec::check_size(const std::string &what) const {
  if (activation_bytes() <= kMaxImageActivationBytes) return;
  char text[160];
  std::snprintf(text, sizeof text, "would need %.0f MB a picture in the encoder, over %.0f MB",
                activation_bytes() / 1048576.0, kMaxImageActivationBytes / 1048576.0);
  throw Error(ErrorKind::InvalidParameter, what + " " + text,
              "Use smaller pictures (\"height\", \"width\" with \"resize\": true) or narrower \"widths\".");
}

json ImageSpec::to_json() const {
  return {{"height", height},
          {"width", width},
          {"channels", channels},
          {"resize", resize},
          {"null_as_missing", null_as_missing},
          {"normalize", normalize},
          {"mean", mean},
          {"std", std},
          {"widths", widths},
          {"flip", flip},
          {"shift", shift},
          {"erase_unattended", erase_unattended},
          {"erase_from", erase_from},
          {"attend_blank", attend_blank}};
}

ImageSpec ImageSpec::from_json(const json &j) {
  ImageSpec s;
  try {
    // Whole numbers checked before conversion: get<int> of 1e300 is undefined.
    const auto whole = [&](const char *key) {
      const json &v = j.at(key);
      if (!v.is_number_integer() || v.get<std::int64_t>() < 0 || v.get<std::int64_t>() > 100000)
        throw Error(ErrorKind::CorruptModel, std::string("model state is invalid: image ") + key + " is out of range",
                    "Retrain the model.");
      return static_cast<int>(v.get<std::int64_t>());
    };
    s.height = whole("height");
    s.width = whole("width");
    s.channels = whole("channels");
    s.resize = j.at("resize").get<bool>();
    s.null_as_missing = j.at("null_as_missing").get<bool>();
    s.normalize = j.at("normalize").get<std::string>();
    s.mean = j.at("mean").get<std::vector<double>>();
    s.std = j.at("std").get<std::vector<double>>();
    s.widths.clear();
    for (const auto &w : j.at("widths")) {
      if (!w.is_number_integer() || w.get<std::int64_t>() < 1 || w.get<std::int64_t>() > kMaxImageChannels)
        throw Error(ErrorKind::CorruptModel, "model state is invalid: image widths are out of range",
                    "Retrain the model.");
      s.widths.push_back(static_cast<int>(w.get<std::int64_t>()));
    }
    s.flip = j.at("flip").get<bool>();
    s.shift = whole("shift");
    // Training options absent from the blobs of versions trained before they
    // existed: 0, what those trainings did (no erasing; erasing from the
    // first step).
    const auto added_later = [&](const char *key) {
      const json v = j.value(key, json(0.0));
      if (!v.is_number())
        throw Error(ErrorKind::CorruptModel, std::string("model state is invalid: image ") + key + " is not a number",
                    "Retrain the model.");
      return v.get<double>();
    };
    s.erase_unattended = added_later("erase_unattended");
    s.erase_from = added_later("erase_from");
    // Absent: the versions before it attended blank cells too.
    const json attend_blank = j.value("attend_blank", json(true));
    if (!attend_blank.is_boolean())
      throw Error(ErrorKind::CorruptModel, "model state is invalid: image attend_blank is not true or false",
                  "Retrain the model.");
    s.attend_blank = attend_blank.get<bool>();
  } catch (const json::exception &e) {
    throw Error(ErrorKind::CorruptModel, std::string("model state is invalid: ") + e.what(), "Retrain the model.");
  }
  bool ok = s.height >= 1 && s.height <= kMaxImageSide && s.width >= 1 && s.width <= kMaxImageSide &&
            (s.channels == 1 || s.channels == 3) && (s.normalize == "standardize" || s.normalize == "unit") &&
            s.mean.size() == static_cast<std::size_t>(s.channels) && s.std.size() == s.mean.size() &&
            s.widths.size() == static_cast<std::size_t>(kImageBlocks) && s.shift >= 0 && s.shift <= 16 &&
            s.erase_unattended >= 0 && s.erase_unattended <= 1 && s.erase_from >= 0 && s.erase_from < 1;
  for (int w : s.widths) ok = ok && w >= 1 && w <= kMaxImageChannels;
  for (std::size_t c = 0; ok && c < s.mean.size(); ++c)
    ok = std::isfinite(s.mean[c]) && std::isfinite(s.std[c]) && s.std[c] > 0;
  if (!ok || s.activation_bytes() > kMaxImageActivationBytes)
    throw Error(ErrorKind::CorruptModel, "model state is inconsistent: image encoder", "Retrain the model.");
  return s;
}

std::vector<std::uint8_t> image_input(std::string_view bytes, const ImageSpec &spec, const std::string &what) {
  Image img;
  try {
    img = decode_image(bytes);
  } catch (const Error &e) {
    throw Error(e.kind(), std::string(e.what()) + " (" + what + ")", e.hint());
  }
  if (img.width != spec.width || img.height != spec.height) {
    if (!spec.resize)
      throw Error(ErrorKind::DataException,
                  "the image is " + std::to_string(img.width) + " x " + std::to_string(img.height) + ", not " +
                      std::to_string(spec.width) + " x " + std::to_string(spec.height) + " (" + what + ")",
                  "Set \"image\": {\"resize\": true} to resize every picture to the model's input size.");
    img = resize_image(img, spec.width, spec.height);
  }
  img = convert_channels(img, spec.channels);
  // Interleaved [H, W, C] -> channel-major [C, H, W].
  const std::size_t plane = static_cast<std::size_t>(spec.width) * spec.height;
  std::vector<std::uint8_t> out(plane * spec.channels);
  for (std::size_t i = 0; i < plane; ++i)
    for (int c = 0; c < spec.channels; ++c) out[c * plane + i] = img.pixels[i * spec.channels + c];
  return out;
}

ImageSpec learn_image_spec(ImageSpec spec, bool size_given, bool channels_given,
                           const std::vector<std::optional<std::string>> &images, const std::vector<long> &rows,
                           const std::string &column, const std::function<std::string(long)> &row_name) {
  long first = -1;
  for (long r : rows)
    if (images[static_cast<std::size_t>(r)]) {
      first = r;
      break;
    }
  if (first < 0)
    throw Error(ErrorKind::DataException, "image column \"" + column + "\" has no picture in the training rows",
                "Every training row's image is NULL; check the source.");
  const std::string &bytes = *images[static_cast<std::size_t>(first)];
  spec.check_size("the image options");  // given sizes, before any picture is decoded
  if (!size_given || !channels_given) {
    Image img;
    try {
      img = decode_image(bytes);
    } catch (const Error &e) {
      throw Error(e.kind(), std::string(e.what()) + " (" + row_name(first) + ")", e.hint());
    }
    if (!size_given) {
      if (img.width > kMaxImageSide || img.height > kMaxImageSide)
        throw Error(ErrorKind::InvalidParameter,
                    "the first training picture is " + std::to_string(img.width) + " x " + std::to_string(img.height) +
                        ", over the network's largest input of " + std::to_string(kMaxImageSide),
                    "Set \"image\": {\"height\": ..., \"width\": ..., \"resize\": true}.");
      spec.width = img.width;
      spec.height = img.height;
    }
    if (!channels_given) spec.channels = img.channels == 1 ? 1 : 3;
    spec.check_size("the first training picture's size");
  }
  spec.mean.assign(spec.channels, 0.0);
  spec.std.assign(spec.channels, 1.0);
  if (spec.normalize == "unit") return spec;
  std::vector<double> sum(spec.channels, 0.0), sq(spec.channels, 0.0);
  double count = 0;
  const std::size_t plane = static_cast<std::size_t>(spec.width) * spec.height;
  const std::size_t step = std::max<std::size_t>(1, rows.size() / 10000);
  for (std::size_t i = 0; i < rows.size(); i += step) {
    const auto &img = images[static_cast<std::size_t>(rows[i])];
    if (!img) continue;
    const std::vector<std::uint8_t> px = image_input(*img, spec, row_name(rows[i]));
    for (int c = 0; c < spec.channels; ++c)
      for (std::size_t k = 0; k < plane; ++k) {
        const double v = px[c * plane + k] / 255.0;
        sum[c] += v;
        sq[c] += v * v;
      }
    count += static_cast<double>(plane);
  }
  if (count == 0) {  // the sampled rows were all NULL pictures: take the first one
    const std::vector<std::uint8_t> px = image_input(bytes, spec, row_name(first));
    for (int c = 0; c < spec.channels; ++c)
      for (std::size_t k = 0; k < plane; ++k) {
        const double v = px[c * plane + k] / 255.0;
        sum[c] += v;
        sq[c] += v * v;
      }
    count = static_cast<double>(plane);
  }
  for (int c = 0; c < spec.channels; ++c) {
    spec.mean[c] = sum[c] / count;
    const double var = sq[c] / count - spec.mean[c] * spec.mean[c];
    spec.std[c] = var > 1e-12 ? std::sqrt(var) : 1.0;
  }
  return spec;
}

}  // namespace xb
