// Image features' SQL entry points: xb_embed and xb_attention (what a model's
// image encoder makes of a picture), xb_attention_png (the picture with the
// attention drawn over it), xb_attention_faithfulness (whether the attention
// points at what the prediction rests on) and xb_image_png (raw pixels to a PNG, for loading
// pictures that come as pixel arrays, such as Fashion-MNIST's IDX files).
#include <cmath>

#include "core/common/error.hpp"
#include "core/image/codec.hpp"
#include "core/tabular/scorer.hpp"
#include "pg/args.hpp"
#include "pg/guard.hpp"
#include "pg/result_rows.hpp"
#include "pg/scorer_call.hpp"
#include "pg/tabular_reader.hpp"

using namespace xb;
using namespace xb::pg;

namespace {

// xb_attention_faithfulness holds the pictures it checks in memory.
constexpr std::size_t kMaxCheckedPictures = 10000;

// The scorer of the model named by argument 0, which must have an image feature.
SharedScorer image_scorer(FunctionCallInfo fcinfo, const std::string &name) {
  ModelVersion m;
  SharedScorer scorer = scorer_for_call(fcinfo, name, m);
  if (!scorer->has_image())
    throw Error(ErrorKind::InvalidParameter, "model \"" + name + "\" has no image feature",
                "Train a classifier or regressor with a bytea column of PNG or JPEG pictures among feature_cols.");
  return scorer;
}

}  // namespace

// xb_embed(name, image) -> real[]: the attention-pooled embedding
XB_FUNCTION(xb_embed) {
  const std::string name = required_text(fcinfo, 0, "name");
  const std::string image = bytes_arg(fcinfo, 1, "image");
  const SharedScorer scorer = image_scorer(fcinfo, name);
  return float4_array_datum(scorer->explain_image(image).embedding);
}

// xb_attention(name, image) -> real[]: the weight of each cell of the final map, row by row
XB_FUNCTION(xb_attention) {
  const std::string name = required_text(fcinfo, 0, "name");
  const std::string image = bytes_arg(fcinfo, 1, "image");
  const SharedScorer scorer = image_scorer(fcinfo, name);
  return float4_array_datum(scorer->explain_image(image).attention);
}

// xb_attention_png(name, image, scale) -> bytea: a PNG of the picture with its attention in red
XB_FUNCTION(xb_attention_png) {
  const std::string name = required_text(fcinfo, 0, "name");
  const std::string image = bytes_arg(fcinfo, 1, "image");
  const int scale = PG_ARGISNULL(2) ? 4 : PG_GETARG_INT32(2);
  if (scale < 1 || scale > 16)
    throw Error(ErrorKind::InvalidParameter, "scale must be from 1 to 16, not " + std::to_string(scale),
                "The PNG is scale times the model's input size.");
  const SharedScorer scorer = image_scorer(fcinfo, name);
  return bytea_datum(scorer->attention_png(image, scale), "the picture");
}

static Datum image_png(FunctionCallInfo fcinfo, const std::string &pixels) {
  for (int arg = 1; arg <= 3; ++arg)
    if (PG_ARGISNULL(arg)) throw Error(ErrorKind::InvalidParameter, "width, height and channels must not be NULL");
  const Image img = image_from_pixels(pixels, PG_GETARG_INT32(1), PG_GETARG_INT32(2), PG_GETARG_INT32(3));
  return bytea_datum(encode_png(img), "the picture");
}

// xb_image_png(pixels bytea, width, height, channels) -> bytea: 8-bit pixels row by row as a PNG
XB_FUNCTION(xb_image_png) { return image_png(fcinfo, bytes_arg(fcinfo, 0, "pixels")); }

// xb_image_png(pixels real[], width, height, channels) -> bytea: values from 0 to 255 row by row as a PNG
XB_FUNCTION(xb_image_png_values) {
  std::string pixels;
  {
    std::vector<float> values = float4_array_arg(fcinfo, 0, "pixels");
    for (std::size_t i = 0; i < values.size(); ++i) {
      const float v = values[i];
      if (!(v >= 0 && v <= 255))
        throw Error(ErrorKind::InvalidParameter,
                    "pixel " + std::to_string(i + 1) + " is " + std::to_string(v) + ", not a value from 0 to 255",
                    "Scale the array to 0..255 first, e.g. array(SELECT v * 255 FROM unnest(a) v).");
      pixels.push_back(static_cast<char>(static_cast<unsigned char>(std::lround(v))));
    }
  }
  return image_png(fcinfo, pixels);
}

// xb_attention_faithfulness(name, source, label_col, fraction) -> (pictures, trained, untrained)
XB_FUNCTION(xb_attention_faithfulness) {
  const std::string name = required_text(fcinfo, 0, "name");
  const std::string source = required_text(fcinfo, 1, "source");
  const std::string label_col = required_text(fcinfo, 2, "label_col");
  const double fraction = PG_ARGISNULL(3) ? 0.2 : PG_GETARG_FLOAT8(3);
  if (!(fraction > 0 && fraction < 1))
    throw Error(ErrorKind::InvalidParameter, "fraction must be between 0 and 1, not " + std::to_string(fraction));
  const SharedScorer scorer = image_scorer(fcinfo, name);
  std::vector<std::optional<std::string>> labels, pictures;
  pg_call([] { SPI_connect(); });
  TabularBatches batches(source, label_col, scorer->features());
  std::vector<std::optional<std::string>> keys;
  std::vector<TabularColumn> columns;
  while (batches.next(1000, keys, columns)) {
    if (columns.size() != 1) break;  // attention_faithfulness refuses such a model below
    if (labels.size() + keys.size() > kMaxCheckedPictures)
      throw Error(ErrorKind::ResourceLimit,
                  "the source has more than " + std::to_string(kMaxCheckedPictures) + " pictures",
                  "Check a sample, e.g. 'SELECT image, label FROM t ORDER BY random() LIMIT 10000'.");
    labels.insert(labels.end(), keys.begin(), keys.end());
    pictures.insert(pictures.end(), columns[0].texts.begin(), columns[0].texts.end());
  }
  batches.close();
  pg_call([] { SPI_finish(); });
  const auto result = scorer->attention_faithfulness(pictures, labels, fraction, 42);
  ResultRows out(fcinfo);
  out.int8(result.pictures).float8(result.trained).float8(result.untrained);
  out.end_row();
  return (Datum)0;
}
