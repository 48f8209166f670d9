#!/usr/bin/env python3
"""Writes the small ONNX files the C++ tests read (tests/onnx/fixtures/), once; they are committed.

Three come from torch.onnx.export, as real exporters write them (tiny_mbv3: conv+BN+hardswish
before opset 14, squeeze-excite, a flatten by shape arithmetic; tiny_shuffle: chunk and channel
shuffle at opset 11; tiny_convnext: LayerNorm, GELU, layer scale at opset 17, and at opset 13 where the LayerNorm is
decomposed); the rest are made
with onnx.helper to hit one importer path or one error each. expected.json holds torch's
parameter and MAC counts for the exported ones.

Usage: /usr/bin/python3 tests/onnx/make_fixtures.py
"""
import json
import os

import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F
from onnx import TensorProto, helper

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")


class TinyMbv3(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 16, 3, 2, 1, bias=False), nn.BatchNorm2d(16), nn.Hardswish())
        self.dw = nn.Sequential(nn.Conv2d(16, 16, 3, 1, 1, groups=16, bias=False), nn.BatchNorm2d(16), nn.ReLU())
        self.se_fc1 = nn.Conv2d(16, 8, 1)
        self.se_fc2 = nn.Conv2d(8, 16, 1)
        self.project = nn.Sequential(nn.Conv2d(16, 16, 1, bias=False), nn.BatchNorm2d(16))
        self.pool = nn.MaxPool2d(3, 2, ceil_mode=True)
        self.fc = nn.Linear(16 * 8 * 8, 10)

    def forward(self, x):
        x = self.stem(x)
        y = self.dw(x)
        s = F.hardsigmoid(self.se_fc2(F.relu(self.se_fc1(F.adaptive_avg_pool2d(y, 1)))))
        y = self.project(y * s)
        x = self.pool(x + y)
        return self.fc(x.view(x.size(0), -1))


class TinyShuffle(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 16, 3, 2, 1)
        self.branch = nn.Sequential(nn.Conv2d(8, 8, 1, bias=False), nn.BatchNorm2d(8), nn.ReLU(inplace=True),
                                    nn.Conv2d(8, 8, 3, 1, 1, groups=8, bias=False), nn.BatchNorm2d(8))

    def forward(self, x):
        x = self.stem(x)
        a, b = x.chunk(2, dim=1)
        x = torch.cat((a, self.branch(b)), 1)
        n, c, h, w = x.size()
        x = x.view(n, 2, c // 2, h, w).transpose(1, 2).contiguous().view(n, -1, h, w)
        return x.mean([2, 3])


class TinyConvNext(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 16, 4, 4)
        self.dw = nn.Conv2d(16, 16, 7, padding=3, groups=16)
        self.norm = nn.LayerNorm(16, eps=1e-6)
        self.pw1 = nn.Linear(16, 64)
        self.act = nn.GELU()
        self.pw2 = nn.Linear(64, 16)
        self.layer_scale = nn.Parameter(torch.ones(16, 1, 1) * 1e-6)
        self.up = nn.Upsample(scale_factor=2, mode="nearest")

    def forward(self, x):
        x = self.stem(x)
        y = self.dw(x).permute(0, 2, 3, 1)
        y = self.pw2(self.act(self.pw1(self.norm(y)))).permute(0, 3, 1, 2)
        return self.up(x + self.layer_scale * y)


def hook_macs(model, x):
    total = [0]

    def conv(m, i, o):
        total[0] += o.numel() * (m.in_channels // m.groups) * m.kernel_size[0] * m.kernel_size[1]

    def lin(m, i, o):
        total[0] += o.numel() * m.in_features

    hs = [m.register_forward_hook(conv) for m in model.modules() if isinstance(m, nn.Conv2d)]
    hs += [m.register_forward_hook(lin) for m in model.modules() if isinstance(m, nn.Linear)]
    with torch.no_grad():
        model(x)
    for h in hs:
        h.remove()
    return total[0]


def export(name, model, opset, expected):
    model.eval()
    x = torch.zeros(1, 3, 32, 32)
    torch.onnx.export(model, x, os.path.join(HERE, name + ".onnx"), opset_version=opset,
                      training=torch.onnx.TrainingMode.PRESERVE, do_constant_folding=True, input_names=["input"])
    expected[name] = {"opset": opset, "params": sum(p.numel() for p in model.parameters()),
                      "macs": hook_macs(model, x)}


def save(name, graph, opset=13, check=False):
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], producer_name="make_fixtures")
    model.ir_version = 8
    if check:
        onnx.checker.check_model(model, full_check=True)
    onnx.save(model, os.path.join(HERE, name + ".onnx"))


def conv_graph(name, extra_nodes=(), input_dims=(1, 3, 8, 8), out="y", extra_inits=()):
    w = helper.make_tensor("w", TensorProto.FLOAT, [4, 3, 3, 3], [0.0] * 108)
    nodes = [helper.make_node("Conv", ["x", "w"], ["c"], name="conv", pads=[1, 1, 1, 1])] + list(extra_nodes)
    return helper.make_graph(nodes, name, [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(input_dims))],
                             [helper.make_tensor_value_info(out, TensorProto.FLOAT, None)], [w] + list(extra_inits))


def handmade():
    i64 = lambda n, v: helper.make_tensor(n, TensorProto.INT64, [len(v)], v)
    # Shape -> Gather -> Unsqueeze -> Concat -> Reshape (a flatten), after a Pad folded into a pool.
    chain = [
        helper.make_node("Pad", ["c", "pads"], ["p"], name="pad", mode="constant"),
        helper.make_node("MaxPool", ["p"], ["m"], name="pool", kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Shape", ["m"], ["s"], name="shape"),
        helper.make_node("Gather", ["s", "zero"], ["n"], name="gather", axis=0),
        helper.make_node("Unsqueeze", ["n", "axes0"], ["n1"], name="unsqueeze"),
        helper.make_node("Concat", ["n1", "minus1"], ["target"], name="concat", axis=0),
        helper.make_node("Reshape", ["m", "target"], ["y"], name="flatten"),
    ]
    inits = [i64("pads", [0, 0, 0, 0, 0, 0, 1, 1]), helper.make_tensor("zero", TensorProto.INT64, [], [0]),
             i64("axes0", [0]), i64("minus1", [-1])]
    save("shape_chain", conv_graph("shape_chain", chain, extra_inits=inits))
    save("unsupported_op", conv_graph("unsupported_op", [helper.make_node("LeakyRelu", ["c"], ["y"], name="leaky")]))
    save("opset_too_new", conv_graph("opset_too_new", [helper.make_node("Relu", ["c"], ["y"], name="relu")]),
         opset=21, check=False)
    save("dynamic_shape", conv_graph("dynamic_shape", [helper.make_node("Relu", ["c"], ["y"], name="relu")],
                                     input_dims=(1, 3, "height", 8)))
    g = conv_graph("external_data", [helper.make_node("Relu", ["c"], ["y"], name="relu")])
    w = g.initializer[0]
    w.ClearField("float_data")
    w.data_location = TensorProto.EXTERNAL
    w.external_data.add(key="location", value="weights.bin")
    w.external_data.add(key="length", value=str(3 << 30))
    save("external_data", g, check=False)


def main():
    os.makedirs(HERE, exist_ok=True)
    torch.manual_seed(0)
    expected = {}
    export("tiny_mbv3", TinyMbv3(), 13, expected)
    export("tiny_shuffle", TinyShuffle(), 11, expected)
    export("tiny_convnext", TinyConvNext(), 17, expected)
    export("tiny_convnext_opset13", TinyConvNext(), 13, expected)  # LayerNorm decomposed into ReduceMean, Sub, ...
    handmade()
    with open(os.path.join(HERE, "expected.json"), "w") as f:
        json.dump(expected, f, indent=2, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
