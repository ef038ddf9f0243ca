#include "core/image/codec.hpp"

#include <png.h>
#include <jpeglib.h>

#include <algorithm>
#include <cmath>
#include <csetjmp>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "core/common/error.hpp"

namespace xb {
namespace {

bool is_png(std::string_view b) {
  return b.size() >= 8 && png_sig_cmp(reinterpret_cast<png_const_bytep>(b.data()), 0, 8) == 0;
}
bool is_jpeg(std::string_view b) {
  return b.size() >= 3 && static_cast<unsigned char>(b[0]) == 0xFF && static_cast<unsigned char>(b[1]) == 0xD8 &&
         static_cast<unsigned char>(b[2]) == 0xFF;
}

Error bad_image(const std::string &why) {
  return Error(ErrorKind::DataException, "the image cannot be decoded: " + why,
               "Image features take PNG or JPEG bytes; check the column holds whole files.");
}

Error too_large(long width, long height, long max_pixels) {
  return Error(ErrorKind::DataException,
               "the image declares " + std::to_string(width) + " x " + std::to_string(height) +
                   " pixels, over the limit of " + std::to_string(max_pixels),
               "Resize the pictures before loading them.");
}

Image decode_png(std::string_view bytes, long max_pixels) {
  png_image img;
  std::memset(&img, 0, sizeof img);
  img.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_memory(&img, bytes.data(), bytes.size())) throw bad_image(img.message);
  const long w = img.width, h = img.height;
  if (w < 1 || h < 1 || w * h > max_pixels) {
    png_image_free(&img);
    throw too_large(w, h, max_pixels);
  }
  const bool colour = (img.format & PNG_FORMAT_FLAG_COLOR) != 0;
  img.format = colour ? PNG_FORMAT_RGB : PNG_FORMAT_GRAY;
  Image out;
  out.width = static_cast<int>(w);
  out.height = static_cast<int>(h);
  out.channels = colour ? 3 : 1;
  out.pixels.resize(PNG_IMAGE_SIZE(img));
  png_color black{0, 0, 0};
  if (!png_image_finish_read(&img, &black, out.pixels.data(), 0, nullptr)) {
    const std::string message = img.message;
    png_image_free(&img);
    throw bad_image(message);
  }
  return out;
}

// libjpeg reports errors by calling error_exit, which must not return: it
// longjmps back here. Only plain C data lives in this frame, so nothing is
// skipped by the jump; the caller turns the result into an Image.
struct JpegError {
  jpeg_error_mgr mgr;
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
  int too_large;
};

// A progressive JPEG of thousands of tiny scans keeps the decoder busy for
// minutes: refused past kMaxJpegScans, as TurboJPEG's own scan limit does.
constexpr int kMaxJpegScans = 500;

void jpeg_scan_limit(j_common_ptr cinfo) {
  auto *d = reinterpret_cast<j_decompress_ptr>(cinfo);
  if (cinfo->is_decompressor && d->input_scan_number > kMaxJpegScans) {
    JpegError *e = reinterpret_cast<JpegError *>(cinfo->err);
    std::snprintf(e->message, sizeof e->message, "more than %d scans", kMaxJpegScans);
    std::longjmp(e->jump, 1);
  }
}

void jpeg_quiet(j_common_ptr) {}  // warnings would go to the server's stderr

void jpeg_fail(j_common_ptr cinfo) {
  JpegError *e = reinterpret_cast<JpegError *>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, e->message);
  std::longjmp(e->jump, 1);
}

struct JpegPixels {
  unsigned char *data;  // malloc'd, or null on failure
  long width, height;
  int channels;
};

JpegPixels decode_jpeg_raw(const unsigned char *bytes, unsigned long size, long max_pixels, JpegError *err) {
  JpegPixels out = {nullptr, 0, 0, 0};
  jpeg_decompress_struct cinfo;
  std::memset(&cinfo, 0, sizeof cinfo);
  cinfo.err = jpeg_std_error(&err->mgr);
  err->mgr.error_exit = jpeg_fail;
  err->mgr.output_message = jpeg_quiet;
  err->message[0] = '\0';
  err->too_large = 0;
  jpeg_progress_mgr progress;
  progress.progress_monitor = jpeg_scan_limit;
  unsigned char *volatile data = nullptr;
  if (setjmp(err->jump)) {
    jpeg_destroy_decompress(&cinfo);
    std::free(data);
    return {nullptr, 0, 0, 0};
  }
  jpeg_create_decompress(&cinfo);
  cinfo.progress = &progress;
  cinfo.mem->max_memory_to_use = 256L * 1024 * 1024;
  jpeg_mem_src(&cinfo, bytes, size);
  jpeg_read_header(&cinfo, TRUE);
  out.width = cinfo.image_width;
  out.height = cinfo.image_height;
  if (out.width < 1 || out.height < 1 || out.width * out.height > max_pixels) {
    err->too_large = 1;
    jpeg_destroy_decompress(&cinfo);
    return out;
  }
  const bool grey = cinfo.jpeg_color_space == JCS_GRAYSCALE;
  cinfo.out_color_space = grey ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_start_decompress(&cinfo);
  out.channels = cinfo.output_components;
  const unsigned long stride = static_cast<unsigned long>(cinfo.output_width) * out.channels;
  data = static_cast<unsigned char *>(std::malloc(stride * cinfo.output_height));
  if (!data) {
    std::snprintf(err->message, sizeof err->message, "out of memory");
    jpeg_destroy_decompress(&cinfo);
    return {nullptr, 0, 0, 0};
  }
  while (cinfo.output_scanline < cinfo.output_height) {
    JSAMPROW row = data + stride * cinfo.output_scanline;
    jpeg_read_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_decompress(&cinfo);
  jpeg_destroy_decompress(&cinfo);
  out.data = data;
  return out;
}

Image decode_jpeg(std::string_view bytes, long max_pixels) {
  JpegError err;
  JpegPixels raw = decode_jpeg_raw(reinterpret_cast<const unsigned char *>(bytes.data()),
                                   static_cast<unsigned long>(bytes.size()), max_pixels, &err);
  if (err.too_large) throw too_large(raw.width, raw.height, max_pixels);
  if (!raw.data) throw bad_image(err.message[0] ? err.message : "not a JPEG");
  Image out;
  out.width = static_cast<int>(raw.width);
  out.height = static_cast<int>(raw.height);
  out.channels = raw.channels;
  out.pixels.assign(raw.data, raw.data + raw.width * raw.height * raw.channels);
  std::free(raw.data);
  return out;
}

}  // namespace

Image decode_image(std::string_view bytes, long max_pixels) {
  if (is_png(bytes)) return decode_png(bytes, max_pixels);
  if (is_jpeg(bytes)) return decode_jpeg(bytes, max_pixels);
  throw bad_image(bytes.empty() ? "it is empty" : "it is neither PNG nor JPEG");
}

std::pair<int, int> image_dimensions(std::string_view bytes) {
  if (is_png(bytes)) {
    png_image img;
    std::memset(&img, 0, sizeof img);
    img.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_memory(&img, bytes.data(), bytes.size())) throw bad_image(img.message);
    std::pair<int, int> wh{static_cast<int>(img.width), static_cast<int>(img.height)};
    png_image_free(&img);
    return wh;
  }
  if (is_jpeg(bytes)) {
    JpegError err;
    JpegPixels raw = decode_jpeg_raw(reinterpret_cast<const unsigned char *>(bytes.data()),
                                     static_cast<unsigned long>(bytes.size()), 0, &err);
    if (!err.too_large) throw bad_image(err.message[0] ? err.message : "not a JPEG");
    return {static_cast<int>(raw.width), static_cast<int>(raw.height)};
  }
  throw bad_image(bytes.empty() ? "it is empty" : "it is neither PNG nor JPEG");
}

Image resize_image(const Image &in, int width, int height) {
  if (in.width == width && in.height == height) return in;
  Image out;
  out.width = width;
  out.height = height;
  out.channels = in.channels;
  out.pixels.resize(static_cast<std::size_t>(width) * height * in.channels);
  const double sx = static_cast<double>(in.width) / width, sy = static_cast<double>(in.height) / height;
  for (int y = 0; y < height; ++y) {
    const double fy = std::clamp((y + 0.5) * sy - 0.5, 0.0, in.height - 1.0);
    const int y0 = static_cast<int>(fy), y1 = std::min(y0 + 1, in.height - 1);
    const double wy = fy - y0;
    for (int x = 0; x < width; ++x) {
      const double fx = std::clamp((x + 0.5) * sx - 0.5, 0.0, in.width - 1.0);
      const int x0 = static_cast<int>(fx), x1 = std::min(x0 + 1, in.width - 1);
      const double wx = fx - x0;
      for (int c = 0; c < in.channels; ++c) {
        auto at = [&](int yy, int xx) {
          return static_cast<double>(in.pixels[(static_cast<std::size_t>(yy) * in.width + xx) * in.channels + c]);
        };
        const double v =
            (1 - wy) * ((1 - wx) * at(y0, x0) + wx * at(y0, x1)) + wy * ((1 - wx) * at(y1, x0) + wx * at(y1, x1));
        out.pixels[(static_cast<std::size_t>(y) * width + x) * in.channels + c] =
            static_cast<std::uint8_t>(std::clamp(std::lround(v), 0L, 255L));
      }
    }
  }
  return out;
}

Image convert_channels(const Image &in, int channels) {
  if (in.channels == channels) return in;
  Image out;
  out.width = in.width;
  out.height = in.height;
  out.channels = channels;
  const std::size_t n = static_cast<std::size_t>(in.width) * in.height;
  out.pixels.resize(n * channels);
  for (std::size_t i = 0; i < n; ++i) {
    if (channels == 3) {
      for (int c = 0; c < 3; ++c) out.pixels[i * 3 + c] = in.pixels[i];
    } else {
      const double y = 0.299 * in.pixels[i * 3] + 0.587 * in.pixels[i * 3 + 1] + 0.114 * in.pixels[i * 3 + 2];
      out.pixels[i] = static_cast<std::uint8_t>(std::clamp(std::lround(y), 0L, 255L));
    }
  }
  return out;
}

std::string encode_png(const Image &image) {
  png_image img;
  std::memset(&img, 0, sizeof img);
  img.version = PNG_IMAGE_VERSION;
  img.width = static_cast<png_uint_32>(image.width);
  img.height = static_cast<png_uint_32>(image.height);
  img.format = image.channels == 3 ? PNG_FORMAT_RGB : PNG_FORMAT_GRAY;
  png_alloc_size_t size = 0;
  if (!png_image_write_to_memory(&img, nullptr, &size, 0, image.pixels.data(), 0, nullptr))
    throw Error(ErrorKind::Internal, std::string("PNG encoding failed: ") + img.message);
  std::string out(size, '\0');
  if (!png_image_write_to_memory(&img, out.data(), &size, 0, image.pixels.data(), 0, nullptr))
    throw Error(ErrorKind::Internal, std::string("PNG encoding failed: ") + img.message);
  out.resize(size);
  return out;
}

Image image_from_pixels(std::string_view pixels, int width, int height, int channels) {
  if (width < 1 || height < 1 || (channels != 1 && channels != 3) ||
      static_cast<long>(width) * height > kMaxImagePixels)
    throw Error(ErrorKind::InvalidParameter, "width and height must be 1 to 4096 and channels 1 or 3");
  const std::size_t want = static_cast<std::size_t>(width) * height * channels;
  if (pixels.size() != want)
    throw Error(ErrorKind::InvalidParameter, "the pixels are " + std::to_string(pixels.size()) +
                                                 " bytes, not width x height x channels = " + std::to_string(want));
  Image out;
  out.width = width;
  out.height = height;
  out.channels = channels;
  out.pixels.assign(pixels.begin(), pixels.end());
  return out;
}

}  // namespace xb
