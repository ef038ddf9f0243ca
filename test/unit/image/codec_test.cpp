// Decoding, resizing and encoding pictures, and refusing what is not one:
// garbage, truncated files, decompression bombs, and mutated bytes.
#include <gtest/gtest.h>
#include <jpeglib.h>
#include <zlib.h>

#include <cstdio>
#include <random>

#include "core/common/error.hpp"
#include "core/image/codec.hpp"
#include "core/image/shape.hpp"

using namespace xb;

namespace {

Image gradient(int w, int h, int channels) {
  Image img;
  img.width = w;
  img.height = h;
  img.channels = channels;
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      for (int c = 0; c < channels; ++c)
        img.pixels.push_back(static_cast<std::uint8_t>((x * 8 + y * 3 + c * 50) % 256));
  return img;
}

std::string jpeg_of(const Image &img) {
  jpeg_compress_struct cinfo;
  jpeg_error_mgr err;
  cinfo.err = jpeg_std_error(&err);
  jpeg_create_compress(&cinfo);
  unsigned char *buffer = nullptr;
  unsigned long size = 0;
  jpeg_mem_dest(&cinfo, &buffer, &size);
  cinfo.image_width = img.width;
  cinfo.image_height = img.height;
  cinfo.input_components = img.channels;
  cinfo.in_color_space = img.channels == 3 ? JCS_RGB : JCS_GRAYSCALE;
  jpeg_set_defaults(&cinfo);
  jpeg_set_quality(&cinfo, 95, TRUE);
  jpeg_start_compress(&cinfo, TRUE);
  while (cinfo.next_scanline < cinfo.image_height) {
    JSAMPROW row = const_cast<std::uint8_t *>(img.pixels.data()) + cinfo.next_scanline * img.width * img.channels;
    jpeg_write_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_compress(&cinfo);
  jpeg_destroy_compress(&cinfo);
  std::string out(reinterpret_cast<char *>(buffer), size);
  free(buffer);
  return out;
}

// A valid PNG whose header declares another canvas (its CRC recomputed).
std::string png_declaring(std::uint32_t w, std::uint32_t h) {
  std::string png = encode_png(gradient(4, 4, 1));
  auto put = [&](std::size_t at, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) png[at + i] = static_cast<char>((v >> (24 - 8 * i)) & 0xFF);
  };
  put(16, w);  // IHDR data starts at 8 (signature) + 8 (length, type)
  put(20, h);
  const std::uint32_t crc = crc32(0, reinterpret_cast<const Bytef *>(png.data() + 12), 17);
  put(29, crc);
  return png;
}

void expect_data_error(const std::string &bytes, const std::string &words) {
  try {
    decode_image(bytes);
    FAIL() << "decoded";
  } catch (const Error &e) {
    EXPECT_EQ(e.kind(), ErrorKind::DataException);
    EXPECT_NE(std::string(e.what()).find(words), std::string::npos) << e.what();
  }
}

}  // namespace

TEST(ImageCodec, PngRoundTripGreyAndColour) {
  for (int channels : {1, 3}) {
    Image img = gradient(7, 5, channels);
    Image back = decode_image(encode_png(img));
    EXPECT_EQ(back.width, 7);
    EXPECT_EQ(back.height, 5);
    EXPECT_EQ(back.channels, channels);
    EXPECT_EQ(back.pixels, img.pixels);
    EXPECT_EQ(image_dimensions(encode_png(img)), std::make_pair(7, 5));
  }
}

TEST(ImageCodec, JpegDecodesCloseToTheOriginal) {
  Image img = gradient(16, 12, 3);
  std::string jpeg = jpeg_of(img);
  Image back = decode_image(jpeg);
  ASSERT_EQ(back.width, 16);
  ASSERT_EQ(back.height, 12);
  ASSERT_EQ(back.channels, 3);
  double err = 0;
  for (std::size_t i = 0; i < img.pixels.size(); ++i) err += std::abs(int(img.pixels[i]) - int(back.pixels[i]));
  EXPECT_LT(err / img.pixels.size(), 12.0);
  EXPECT_EQ(image_dimensions(jpeg), std::make_pair(16, 12));
  EXPECT_EQ(decode_image(jpeg_of(gradient(9, 9, 1))).channels, 1);
}

TEST(ImageCodec, RefusesWhatIsNotAPicture) {
  expect_data_error("", "empty");
  expect_data_error("hello, world", "neither PNG nor JPEG");
  std::string png = encode_png(gradient(20, 20, 1));
  expect_data_error(png.substr(0, png.size() / 2), "cannot be decoded");
  std::string jpeg = jpeg_of(gradient(20, 20, 3));
  expect_data_error(jpeg.substr(0, 40), "cannot be decoded");
}

TEST(ImageCodec, RefusesDecompressionBombsBeforeDecoding) {
  // 80 bytes declaring a 100000 x 100000 canvas: refused from the header.
  std::string bomb = png_declaring(100000, 100000);
  EXPECT_LT(bomb.size(), 200u);
  expect_data_error(bomb, "100000 x 100000");
  expect_data_error(png_declaring(5000, 5000), "over the limit");
  try {
    decode_image(encode_png(gradient(64, 64, 1)), 1000);
    FAIL();
  } catch (const Error &e) {
    EXPECT_NE(std::string(e.what()).find("64 x 64"), std::string::npos);
  }
}

TEST(ImageCodec, ResizeAndChannels) {
  Image img = gradient(8, 8, 3);
  Image small = resize_image(img, 4, 2);
  EXPECT_EQ(small.width, 4);
  EXPECT_EQ(small.height, 2);
  EXPECT_EQ(small.pixels.size(), 4u * 2 * 3);
  Image flat;
  flat.width = flat.height = 3;
  flat.channels = 1;
  flat.pixels.assign(9, 77);
  for (auto v : resize_image(flat, 10, 7).pixels) EXPECT_EQ(v, 77);
  Image grey = convert_channels(img, 1);
  EXPECT_EQ(grey.channels, 1);
  EXPECT_EQ(convert_channels(grey, 3).pixels[0], grey.pixels[0]);
  EXPECT_THROW(image_from_pixels(std::string(10, 'x'), 3, 3, 1), Error);
  EXPECT_EQ(image_from_pixels(std::string(9, 'x'), 3, 3, 1).pixels.size(), 9u);
}

TEST(ImageCodec, InputNamesTheRowAndResizesOnlyWhenAsked) {
  ImageSpec spec;
  spec.height = spec.width = 8;
  std::string png = encode_png(gradient(10, 10, 3));
  try {
    image_input(png, spec, "row 12 of the source");
    FAIL();
  } catch (const Error &e) {
    EXPECT_NE(std::string(e.what()).find("10 x 10, not 8 x 8 (row 12 of the source)"), std::string::npos) << e.what();
    EXPECT_NE(e.hint().find("resize"), std::string::npos);
  }
  spec.resize = true;
  EXPECT_EQ(image_input(png, spec, "").size(), 64u);
  spec.channels = 3;
  EXPECT_EQ(image_input(png, spec, "").size(), 3u * 64);
  EXPECT_THROW(image_input("junk", spec, "row 3"), Error);
}

TEST(ImageCodec, PoolsKeepTheFinalMapAtLeastSevenWide) {
  ImageSpec s;
  EXPECT_EQ(s.pools(), 2);  // 28 -> 14 -> 7
  EXPECT_EQ(s.cells(), 49);
  s.height = s.width = 64;
  EXPECT_EQ(s.pools(), 3);  // 64 -> 8
  s.height = s.width = 6;
  EXPECT_EQ(s.pools(), 0);
}

// Mutated PNG and JPEG bytes: each decodes or is refused as data, never
// anything else (the sanitizer build watches the memory).
TEST(ImageCodec, MutatedBytesDecodeOrAreRefused) {
  std::mt19937 rng(11);
  const std::string seeds[] = {encode_png(gradient(12, 9, 1)), encode_png(gradient(9, 12, 3)),
                               jpeg_of(gradient(16, 16, 3)), jpeg_of(gradient(8, 8, 1))};
  int decoded = 0, refused = 0;
  for (int round = 0; round < 4000; ++round) {
    std::string b = seeds[round % 4];
    const int edits = 1 + static_cast<int>(rng() % 8);
    for (int e = 0; e < edits; ++e) {
      const std::size_t at = rng() % b.size();
      switch (rng() % 3) {
        case 0: b[at] = static_cast<char>(rng()); break;
        case 1: b.erase(at, 1 + rng() % 16); break;
        default: b.insert(at, std::string(1 + rng() % 8, static_cast<char>(rng()))); break;
      }
      if (b.empty()) b = "x";
    }
    try {
      Image img = decode_image(b, 256 * 256);
      EXPECT_EQ(img.pixels.size(), static_cast<std::size_t>(img.width) * img.height * img.channels);
      ++decoded;
    } catch (const Error &e) {
      EXPECT_EQ(e.kind(), ErrorKind::DataException) << e.what();
      ++refused;
    }
  }
  // Both outcomes occur: mutations that keep a decodable file, and refusals.
  EXPECT_GT(refused, 100);
  EXPECT_GT(decoded, 0);
}
