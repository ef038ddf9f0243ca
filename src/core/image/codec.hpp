// Image bytes in and out: PNG (libpng) and JPEG (libjpeg-turbo) decoded to
// 8-bit pixels, resized and converted between grey and colour; PNG encoded
// for pictures a person looks at. Image bytes come from any role, so the
// declared canvas is checked against a pixel cap before anything is decoded
// (a tiny PNG may declare a huge canvas). Torch-free.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace xb {

// Pixels row-major, channels interleaved (grey: 1, colour: 3).
struct Image {
  int width = 0, height = 0, channels = 0;
  std::vector<std::uint8_t> pixels;
};

// The largest canvas decoded: 4096 x 4096.
inline constexpr long kMaxImagePixels = 4096L * 4096L;

// PNG or JPEG, told apart by their signatures. Grey images (and grey with
// alpha) stay one channel; colour ones come as RGB; alpha is composited onto
// black. Throws Error(DataException) for bytes that are neither, a canvas over
// max_pixels, or a decoder error (its message included).
Image decode_image(std::string_view bytes, long max_pixels = kMaxImagePixels);

// The declared width and height without decoding the pixels.
std::pair<int, int> image_dimensions(std::string_view bytes);

// Bilinear, with pixel centres aligned (as PIL and torchvision do).
Image resize_image(const Image &in, int width, int height);
// Grey -> RGB repeats the channel; RGB -> grey by ITU-R 601 luma.
Image convert_channels(const Image &in, int channels);

// 8-bit grey or RGB PNG.
std::string encode_png(const Image &image);

// Raw 8-bit pixels (width * height * channels bytes) as an Image; throws
// Error(InvalidParameter) when the size does not match.
Image image_from_pixels(std::string_view pixels, int width, int height, int channels);

}  // namespace xb
