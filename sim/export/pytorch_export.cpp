#include "sim/export/pytorch_export.h"

#include <set>
#include <sstream>

#include <fmt/format.h>

#include "sim/util/error.h"

namespace nesim {

namespace {

// The helpers every generated file carries: modules for what torch.nn lacks.
constexpr const char* kPrelude = R"PY(import torch
import torch.nn as nn
import torch.nn.functional as F


def _act(name):
    return {
        "none": nn.Identity, "relu": nn.ReLU, "relu6": nn.ReLU6, "hswish": nn.Hardswish,
        "hsigmoid": nn.Hardsigmoid, "sigmoid": nn.Sigmoid, "swish": nn.SiLU, "gelu": nn.GELU,
    }[name]()


class ConvBN(nn.Sequential):
    """A conv with nesim's folded batch norm and activation: conv, bn (if any), act."""

    def __init__(self, cin, cout, kernel, stride, pads, dilation, groups, bias, bn, act):
        layers = []
        top, bottom, left, right = pads
        if top != bottom or left != right:
            layers.append(("pad", nn.ZeroPad2d((left, right, top, bottom))))
            top, left = 0, 0
        layers.append(("conv", nn.Conv2d(cin, cout, kernel, stride, (top, left), dilation, groups, bias)))
        if bn:
            layers.append(("bn", nn.BatchNorm2d(cout)))
        if act != "none":
            layers.append(("act", _act(act)))
        super().__init__(__import__("collections").OrderedDict(layers))


class Linear(nn.Sequential):
    """nesim's fc: flattens its input."""

    def __init__(self, cin, cout, bias, act):
        layers = [nn.Flatten(1), nn.Linear(cin, cout, bias)]
        if act != "none":
            layers.append(_act(act))
        super().__init__(*layers)


class Pool(nn.Module):
    def __init__(self, kind, kernel, stride, pads, ceil_mode):
        super().__init__()
        top, bottom, left, right = pads
        self.pad = None
        if top != bottom or left != right:
            fill = float("-inf") if kind == "max" else 0.0
            self.pad = nn.ConstantPad2d((left, right, top, bottom), fill)
            top, left = 0, 0
        cls = nn.MaxPool2d if kind == "max" else nn.AvgPool2d
        self.pool = cls(kernel, stride, (top, left), ceil_mode=ceil_mode)

    def forward(self, x):
        return self.pool(self.pad(x) if self.pad is not None else x)


class BatchNormAct(nn.Sequential):
    def __init__(self, channels, act):
        layers = [nn.BatchNorm2d(channels)]
        if act != "none":
            layers.append(_act(act))
        super().__init__(*layers)


class LayerNorm2d(nn.LayerNorm):
    """Layer norm over the channels at each position (ConvNeXt's LayerNorm2d)."""

    def forward(self, x):
        return super().forward(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)


class ChannelScale(nn.Module):
    """A learned per-channel multiplier (ConvNeXt's layer scale)."""

    def __init__(self, channels):
        super().__init__()
        self.scale = nn.Parameter(torch.ones(channels, 1, 1))

    def forward(self, x):
        return x * self.scale


class ChannelShuffle(nn.Module):
    def __init__(self, groups):
        super().__init__()
        self.groups = groups

    def forward(self, x):
        n, c, h, w = x.shape
        return x.view(n, self.groups, c // self.groups, h, w).transpose(1, 2).reshape(n, c, h, w)


class SqueezeExcite(nn.Module):
    def __init__(self, channels, squeeze, act, gate):
        super().__init__()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc1 = nn.Conv2d(channels, squeeze, 1)
        self.act = _act(act)
        self.fc2 = nn.Conv2d(squeeze, channels, 1)
        self.gate = _act(gate)

    def forward(self, x):
        return x * self.gate(self.fc2(self.act(self.fc1(self.pool(x)))))


def _put(root, name, module):
    """Registers `module` under a dotted nesim layer name, nesting one ModuleDict per dot."""
    *path, last = name.split(".")
    for part in path:
        if part not in root:
            root[part] = nn.ModuleDict()
        root = root[part]
    root[last] = module


def _get(root, name):
    for part in name.split("."):
        root = root[part]
    return root
)PY";

std::string py_str(const std::string& s) {
  std::string out = "\"";
  for (char ch : s) {
    if (ch == '\\' || ch == '"') out += '\\';
    if (ch == '\n') {
      out += "\\n";
      continue;
    }
    out += ch;
  }
  return out + "\"";
}

const char* py_bool(bool b) { return b ? "True" : "False"; }

std::string pads(const Layer& l) {
  return fmt::format("({}, {}, {}, {})", l.pad_top, l.pad_bottom, l.pad_left, l.pad_right);
}

class PyWriter {
 public:
  explicit PyWriter(const Network& net) : net_(net) {
    // A layer name that is also the prefix of another ("a" and "a.b") cannot nest: flatten it.
    std::set<std::string> names;
    for (const Layer& l : net.layers) names.insert(l.name);
    for (const Layer& l : net.layers) {
      std::string key = l.name;
      bool nests = key.find('.') != std::string::npos && key.front() != '.' && key.back() != '.' &&
                   key.find("..") == std::string::npos;
      for (size_t p = key.find('.'); nests && p != std::string::npos; p = key.find('.', p + 1))
        if (names.count(key.substr(0, p))) nests = false;
      if (!nests)
        for (char& ch : key)
          if (ch == '.') ch = '_';
      keys_.push_back(key);
    }
  }

  std::string run() {
    std::ostringstream init, fwd;
    const std::vector<std::vector<int>> consumers = net_.consumers();
    const std::vector<int> outputs = net_.output_indices();
    for (size_t i = 1; i < net_.layers.size(); ++i) {
      const Layer& l = net_.layers[i];
      if (l.op == Op::Input) throw input_error("{}: layer '{}': PyTorch export supports one network input", net_.name, l.name);
      const std::string module = this->module(l);
      const std::string t = fmt::format("t{}", i);
      if (!module.empty()) {
        init << fmt::format("        _put(self.layers, {}, {})\n", py_str(keys_[i]), module);
        fwd << fmt::format("        {} = _get(self.layers, {})({})\n", t, py_str(keys_[i]), in(l, 0));
      } else {
        fwd << fmt::format("        {} = {}  # {}\n", t, expression(l), py_str(l.name));
      }
      // An FC gives N x K; the rest of the network sees K x 1 x 1.
      if (l.op == Op::FullyConnected) fwd << fmt::format("        {0} = {0}[:, :, None, None]\n", t);
    }
    std::vector<std::string> returned;
    for (int o : outputs) {
      const Layer& l = net_.layers[o];
      returned.push_back(l.op == Op::FullyConnected ? fmt::format("t{}.flatten(1)", o) : fmt::format("t{}", o));
    }
    const Shape& in_shape = net_.input_shape();
    std::ostringstream py;
    py << fmt::format("# {} as a PyTorch module, written by `nesim export` from nesim's layer graph.\n", net_.name);
    py << "# Self-contained (torch only): Net() has the network's layers under their nesim names, its\n"
          "# parameter count and its output shape (an fc output as N x K, any other as N x C x H x W);\n"
          "# weights are PyTorch's default initialisation.\n"
          "# Run it to print both: python3 net.py\n";
    py << kPrelude;
    py << fmt::format("\n\nNAME = {}\nINPUT_SHAPE = ({}, {}, {})  # C, H, W; batch first in forward()\n", py_str(net_.name),
                      in_shape.c, in_shape.h, in_shape.w);
    py << "\n\nclass Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
          "        self.layers = nn.ModuleDict()\n";
    py << init.str();
    py << "\n    def forward(self, x):\n        t0 = x\n" << fwd.str();
    if (returned.size() == 1) {
      py << "        return " << returned[0] << "\n";
    } else {
      py << "        return (";
      for (size_t k = 0; k < returned.size(); ++k) py << (k ? ", " : "") << returned[k];
      py << ")\n";
    }
    py << "\n\ndef build():\n    return Net()\n";
    py << "\n\nif __name__ == \"__main__\":\n"
          "    net = build().eval()\n"
          "    with torch.no_grad():\n"
          "        out = net(torch.zeros(1, *INPUT_SHAPE))\n"
          "    shapes = [tuple(o.shape) for o in (out if isinstance(out, tuple) else (out,))]\n"
          "    print(NAME, \"params\", sum(p.numel() for p in net.parameters()), \"outputs\", shapes)\n";
    return py.str();
  }

 private:
  const Network& net_;
  std::vector<std::string> keys_;

  std::string in(const Layer& l, size_t k) const { return fmt::format("t{}", l.inputs.at(k)); }
  int64_t in_c(const Layer& l) const { return net_.in_shape(l).c; }

  // The nn.Module of a layer with parameters or state; "" for one written as an expression.
  std::string module(const Layer& l) const {
    const char* act = act_name(l.act);
    switch (l.op) {
      case Op::Conv2d:
        return fmt::format("ConvBN({}, {}, ({}, {}), ({}, {}), {}, ({}, {}), {}, {}, {}, \"{}\")", in_c(l),
                           l.out_channels, l.kernel_h, l.kernel_w, l.stride_h, l.stride_w, pads(l), l.dilation_h,
                           l.dilation_w, l.groups, py_bool(l.bias), py_bool(l.batch_norm), act);
      case Op::FullyConnected:
        return fmt::format("Linear({}, {}, {}, \"{}\")", net_.in_shape(l).elements(), l.out_channels, py_bool(l.bias), act);
      case Op::MaxPool:
      case Op::AvgPool:
        return fmt::format("Pool(\"{}\", ({}, {}), ({}, {}), {}, {})", l.op == Op::MaxPool ? "max" : "avg", l.kernel_h,
                           l.kernel_w, l.stride_h, l.stride_w, pads(l), py_bool(l.ceil_mode));
      case Op::GlobalAvgPool: return "nn.AdaptiveAvgPool2d(1)";
      case Op::SqueezeExcite:
        return fmt::format("SqueezeExcite({}, {}, \"{}\", \"{}\")", in_c(l), l.se_channels, act_name(l.se_act),
                           act_name(l.se_gate));
      case Op::Activation: return fmt::format("_act(\"{}\")", act);
      case Op::BatchNorm: return fmt::format("BatchNormAct({}, \"{}\")", in_c(l), act);
      case Op::LayerNorm: return fmt::format("LayerNorm2d({}, eps=1e-6)", in_c(l));
      case Op::ChannelScale: return fmt::format("ChannelScale({})", in_c(l));
      case Op::ChannelShuffle: return fmt::format("ChannelShuffle({})", l.groups);
      default: return "";
    }
  }

  std::string with_act(const Layer& l, const std::string& e) const {
    return l.act == Act::None ? e : fmt::format("F.{}({})", functional(l.act), e);
  }
  static const char* functional(Act a) {
    switch (a) {
      case Act::Relu: return "relu";
      case Act::Relu6: return "relu6";
      case Act::HSwish: return "hardswish";
      case Act::HSigmoid: return "hardsigmoid";
      case Act::Sigmoid: return "sigmoid";
      case Act::Swish: return "silu";
      case Act::Gelu: return "gelu";
      case Act::None: break;
    }
    return "";
  }

  std::string expression(const Layer& l) const {
    std::string list;
    for (size_t k = 0; k < l.inputs.size(); ++k) list += (k ? ", " : "") + in(l, k);
    switch (l.op) {
      case Op::Add: {
        std::string sum;
        for (size_t k = 0; k < l.inputs.size(); ++k) sum += (k ? " + " : "") + in(l, k);
        return with_act(l, sum);
      }
      case Op::Mul: return with_act(l, in(l, 0) + " * " + in(l, 1));
      case Op::Concat: return with_act(l, "torch.cat([" + list + "], 1)");
      case Op::Resize:
        return fmt::format("F.interpolate({}, size=({}, {}), mode=\"{}\"{})", in(l, 0), l.out_h, l.out_w,
                           l.resize_mode == ResizeMode::Bilinear ? "bilinear" : "nearest",
                           l.resize_mode == ResizeMode::Bilinear ? ", align_corners=False" : "");
      case Op::ChannelSlice: return fmt::format("{}[:, {}:{}]", in(l, 0), l.slice_begin, l.slice_end);
      default: break;
    }
    throw input_error("{}: layer '{}': no PyTorch form for op {}", net_.name, l.name, op_name(l.op));
  }
};

}  // namespace

std::string pytorch_source(const Network& net) { return PyWriter(net).run(); }

}  // namespace nesim
