#include "nas/torch/fashion_mnist.h"

#include <filesystem>
#include <map>
#include <mutex>
#include <tuple>

#include <zlib.h>

#include "sim/util/error.h"

namespace nesim::nas {
namespace {

// A gzip stream, read in order; every failure names the file.
class GzFile {
 public:
  explicit GzFile(const std::string& path) : path_(path) {
    if (!std::filesystem::is_regular_file(path))
      throw input_error("{}: Fashion-MNIST file not found (install Debian's dataset-fashion-mnist or pass the "
                        "folder holding train-images-idx3-ubyte.gz)", path);
    f_ = gzopen(path.c_str(), "rb");
    if (!f_) throw input_error("{}: cannot open", path);
  }
  ~GzFile() { gzclose(f_); }
  GzFile(const GzFile&) = delete;
  GzFile& operator=(const GzFile&) = delete;

  void read(void* out, size_t bytes, const char* what) {
    size_t done = 0;
    while (done < bytes) {
      const unsigned chunk = static_cast<unsigned>(std::min<size_t>(bytes - done, 1u << 30));
      const int n = gzread(f_, static_cast<char*>(out) + done, chunk);
      if (n <= 0) {
        int err = 0;
        const char* msg = gzerror(f_, &err);
        throw input_error("{}: truncated or corrupt while reading {} ({})", path_, what,
                          err != Z_OK && msg ? msg : "end of file");
      }
      done += static_cast<size_t>(n);
    }
  }
  uint32_t be32(const char* what) {
    unsigned char b[4];
    read(b, 4, what);
    return (uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) | (uint32_t{b[2]} << 8) | b[3];
  }

 private:
  std::string path_;
  gzFile f_ = nullptr;
};

ImageSet load(const std::string& dir, bool train, int64_t max_images) {
  const std::string prefix = (std::filesystem::path(dir) / (train ? "train" : "t10k")).string();
  const std::string images_path = prefix + "-images-idx3-ubyte.gz", labels_path = prefix + "-labels-idx1-ubyte.gz";
  GzFile images(images_path), labels(labels_path);
  if (uint32_t m = images.be32("the header"); m != 0x803)
    throw input_error("{}: expected IDX magic 0x00000803 (unsigned byte images), got 0x{:08x}", images_path, m);
  if (uint32_t m = labels.be32("the header"); m != 0x801)
    throw input_error("{}: expected IDX magic 0x00000801 (unsigned byte labels), got 0x{:08x}", labels_path, m);
  ImageSet s;
  s.count = images.be32("the image count");
  s.rows = images.be32("the row count");
  s.cols = images.be32("the column count");
  const int64_t label_count = labels.be32("the label count");
  if (label_count != s.count)
    throw input_error("{}: {} labels, but {} has {} images", labels_path, label_count, images_path, s.count);
  if (s.rows != 28 || s.cols != 28)
    throw input_error("{}: expected 28 x 28 images, got {} x {}", images_path, s.rows, s.cols);
  if (max_images > 0) s.count = std::min(s.count, max_images);
  s.pixels.resize(static_cast<size_t>(s.count * s.rows * s.cols));
  s.labels.resize(static_cast<size_t>(s.count));
  images.read(s.pixels.data(), s.pixels.size(), "the pixels");
  labels.read(s.labels.data(), s.labels.size(), "the labels");
  for (int64_t i = 0; i < s.count; ++i)
    if (s.labels[i] > 9) throw input_error("{}: label {} is {}, expected 0..9", labels_path, i, int{s.labels[i]});
  return s;
}

}  // namespace

const ImageSet& fashion_mnist(const std::string& dir, bool train, int64_t max_images) {
  static std::mutex mutex;
  static std::map<std::tuple<std::string, bool, int64_t>, ImageSet> cache;
  std::lock_guard<std::mutex> lock(mutex);
  auto key = std::make_tuple(dir, train, max_images);
  auto it = cache.find(key);
  if (it == cache.end()) it = cache.emplace(key, load(dir, train, max_images)).first;
  return it->second;
}

}  // namespace nesim::nas
