#include "sim/modelfmt/scalesim_topology.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "sim/util/error.h"
#include "sim/util/input_file.h"
#include "sim/util/text.h"

namespace nesim {
namespace {

std::string trim(const std::string& s) {
  const auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return "";
  return s.substr(first, s.find_last_not_of(" \t\r\n") - first + 1);
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

// Comma-separated fields, trimmed; trailing empty fields (the format's trailing comma) and
// trailing `#` comments are dropped.
std::vector<std::string> split_fields(const std::string& line) {
  std::vector<std::string> fields;
  std::stringstream in(line);
  std::string field;
  while (std::getline(in, field, ',')) fields.push_back(trim(field));
  while (!fields.empty() && (fields.back().empty() || fields.back().front() == '#')) fields.pop_back();
  return fields;
}

const char* const kConvColumns[] = {"Layer name", "IFMAP Height", "IFMAP Width", "Filter Height", "Filter Width",
                                    "Channels",   "Num Filter",   "Strides",     "Stride Width"};
const char* const kGemmColumns[] = {"Layer", "M", "N", "K"};

}  // namespace

Network parse_scalesim_topology(const std::string& text, const std::string& where, const std::string& name) {
  text::require_utf8(text, where);
  Network net;
  net.name = name;
  std::istringstream in(text);
  std::string line;
  int line_no = 0;
  bool have_header = false, gemm = false;
  int sparsity_column = -1;

  while (std::getline(in, line)) {
    ++line_no;
    std::vector<std::string> fields = split_fields(line);
    if (fields.empty()) continue;
    if (!have_header) {
      have_header = true;
      for (std::string& f : fields) f = lower(f);
      gemm = fields.size() == 4 && fields[1] == "m" && fields[2] == "n" && fields[3] == "k";
      const auto sp = std::find(fields.begin(), fields.end(), "sparsity");
      if (sp != fields.end()) sparsity_column = static_cast<int>(sp - fields.begin());
      if (!gemm && fields.size() < 8)
        throw input_error("{}:{}: expected a SCALE-Sim header row (conv form: Layer name, IFMAP Height, IFMAP Width, "
                          "Filter Height, Filter Width, Channels, Num Filter, Strides; GEMM form: Layer, M, N, K), "
                          "got {} columns",
                          where, line_no, fields.size());
      continue;
    }
    if (sparsity_column >= 0 && sparsity_column < static_cast<int>(fields.size()))
      fields.erase(fields.begin() + sparsity_column);

    const std::string row = fields[0];
    const size_t want_min = gemm ? 4 : 8, want_max = gemm ? 4 : 9;
    if (fields.size() < want_min || fields.size() > want_max)
      throw input_error("{}:{}: row '{}': expected {} columns ({}), got {}", where, line_no, row,
                        want_min == want_max ? fmt::format("{}", want_min) : fmt::format("{} or {}", want_min, want_max),
                        gemm ? "Layer, M, N, K" : "Layer name, IFMAP Height, IFMAP Width, Filter Height, "
                                                  "Filter Width, Channels, Num Filter, Strides[, Stride Width]",
                        fields.size());
    if (row.empty()) throw input_error("{}:{}: column 'Layer name': expected a layer name, got ''", where, line_no);
    std::vector<int64_t> v(fields.size(), 0);
    for (size_t i = 1; i < fields.size(); ++i) {
      const char* column = gemm ? kGemmColumns[i] : kConvColumns[i];
      size_t used = 0;
      try {
        v[i] = std::stoll(fields[i], &used);
      } catch (const std::exception&) {
        used = 0;
      }
      if (used != fields[i].size() || fields[i].empty() || v[i] <= 0 || v[i] > (int64_t{1} << 31))
        throw input_error("{}:{}: row '{}': column '{}': expected a positive integer, got '{}'", where, line_no, row,
                          column, fields[i]);
    }

    Shape ifmap;
    Layer conv;
    conv.op = Op::Conv2d;
    if (gemm) {
      ifmap = {v[3], v[1], 1};
      conv.out_channels = v[2];
    } else {
      ifmap = {v[5], v[1], v[2]};
      if (v[3] > v[1] || v[4] > v[2])
        throw input_error("{}:{}: row '{}': filter {}x{} is larger than the IFMAP {}x{} (SCALE-Sim's IFMAP sizes "
                          "include padding)",
                          where, line_no, row, v[3], v[4], v[1], v[2]);
      conv.kernel_h = static_cast<int>(v[3]);
      conv.kernel_w = static_cast<int>(v[4]);
      conv.stride_h = static_cast<int>(v[7]);
      conv.stride_w = static_cast<int>(fields.size() == 9 ? v[8] : v[7]);
      conv.out_channels = v[6];
      // SCALE-Sim's ofmap is ceil((ifmap - filter + stride) / stride): the last window may hang
      // past the bottom/right edge. Padding those edges by the remainder gives the same size.
      conv.pad_bottom = static_cast<int>((v[7] - (v[1] - v[3]) % v[7]) % v[7]);
      conv.pad_right = static_cast<int>((conv.stride_w - (v[2] - v[4]) % conv.stride_w) % conv.stride_w);
      // SCALE-Sim splits a "DP" row into one 1-channel layer per channel: a grouped conv.
      if (row.find("DP") != std::string::npos) {
        conv.groups = static_cast<int>(v[5]);
        conv.out_channels = v[5] * v[6];
      }
    }
    conv.name = row;
    for (int k = 1; net.find(conv.name) >= 0; ++k) conv.name = fmt::format("{}_{}", row, k);
    conv.block = conv.name;
    conv.block_type = "conv";

    Layer input;
    input.name = conv.name + ".ifmap";
    input.op = Op::Input;
    input.out = ifmap;
    conv.inputs = {net.add(input)};
    net.add(conv);
  }
  if (net.layers.empty())
    throw input_error("{}: no layers (expected a SCALE-Sim header row and at least one layer row)", where);
  net.infer_shapes(where);
  return net;
}

Network load_scalesim_topology(const std::string& path) {
  return parse_scalesim_topology(read_input_file(path, "the SCALE-Sim topology"), path, std::filesystem::path(path).stem().string());
}

}  // namespace nesim
