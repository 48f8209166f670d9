#pragma once
// Fashion-MNIST (Xiao et al. 2017) from its gzipped IDX files, as Debian's dataset-fashion-mnist
// installs them: 60,000 training and 10,000 test images, 28 x 28 grey, 10 classes.
#include <cstdint>
#include <string>
#include <vector>

namespace nesim::nas {

struct ImageSet {
  int64_t count = 0, rows = 0, cols = 0;
  std::vector<uint8_t> pixels;  // count x rows x cols, row-major
  std::vector<uint8_t> labels;  // count, each in [0, 10)
};

// The training ("train-*") or test ("t10k-*") split in `dir`, at most `max_images` of it (0: all;
// decompression stops there). Cached per process. InputError naming the file when it is missing,
// not gzip, has the wrong IDX magic, disagrees with its labels file or is truncated.
const ImageSet& fashion_mnist(const std::string& dir, bool train, int64_t max_images = 0);

}  // namespace nesim::nas
