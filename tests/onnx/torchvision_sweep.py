#!/usr/bin/env python3
"""Exports torchvision models (weights=None) with torch.onnx.export and imports each into nesim.

For every model: `nesim info --json` of the .onnx must give parameters equal to
sum(p.numel()) exactly and MACs within 1 % of a forward-hook count (Conv2d and Linear),
`nesim simulate` must run it, and `nesim export --pytorch` of the import must load in torch with
the same parameters and the original model's output shapes. BatchNorm is kept as BatchNormalization (TrainingMode.PRESERVE on
an eval-mode model): a BN folded into its conv leaves one bias per channel where torch counts
two parameters, so exact parameters need the unfolded export (docs/model-format.md, ONNX).

Usage: torchvision_sweep.py --nesim BUILD/nesim --hw hwconfigs/ne-pf16.yaml [--models a,b] [--all]
       [--opset 17] [--keep DIR]
Exit 0 when every model of the required list passes; --all also tries every other classification
model torchvision lists and reports them without failing on them.
"""
import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time

import torch
import torch.nn as nn
import torchvision

REQUIRED = [
    "mobilenet_v2", "mobilenet_v3_large", "mobilenet_v3_small", "mnasnet0_5", "mnasnet1_0",
    "efficientnet_b0", "efficientnet_b1", "efficientnet_b2", "efficientnet_b3", "resnet18", "resnet50",
    "regnet_x_400mf", "regnet_y_400mf", "shufflenet_v2_x1_0", "squeezenet1_1", "googlenet", "densenet121",
    "convnext_tiny", "lraspp_mobilenet_v3_large", "deeplabv3_mobilenet_v3_large",
    "ssdlite320_mobilenet_v3_large",
]


class SegmentationOut(nn.Module):
    """torchvision's segmentation models return a dict; ONNX gets its 'out' tensor."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, x):
        return self.model(x)["out"]


class SsdBackboneHeads(nn.Module):
    """SSDLite without its pre- and post-processing (resize, anchors, NMS: not network layers):
    the backbone's feature maps and each level's classification and regression convs."""

    def __init__(self, model):
        super().__init__()
        self.backbone = model.backbone
        self.head = model.head

    def forward(self, x):
        outs = []
        for i, f in enumerate(self.backbone(x).values()):
            outs.append(self.head.classification_head.module_list[i](f))
            outs.append(self.head.regression_head.module_list[i](f))
        return tuple(outs)


def build(name):
    """(module, input size, note) for a torchvision model name."""
    m = torchvision.models
    if name == "googlenet":  # the auxiliary classifiers only run in training
        return m.googlenet(weights=None, aux_logits=False, init_weights=False), 224, "aux_logits=False"
    if name == "inception_v3":
        return m.inception_v3(weights=None, aux_logits=False, init_weights=False), 299, "aux_logits=False"
    if name in ("lraspp_mobilenet_v3_large", "deeplabv3_mobilenet_v3_large"):
        seg = getattr(m.segmentation, name)(weights=None, weights_backbone=None)
        return SegmentationOut(seg), 224, "output 'out'"
    if name == "ssdlite320_mobilenet_v3_large":
        det = m.detection.ssdlite320_mobilenet_v3_large(weights=None, weights_backbone=None)
        total = sum(p.numel() for p in det.parameters())
        wrapped = SsdBackboneHeads(det)
        assert sum(p.numel() for p in wrapped.parameters()) == total
        return wrapped, 320, "backbone + heads, no pre/post-processing"
    return getattr(m, name)(weights=None), 224, ""


def hook_macs(model, size):
    """Multiply-accumulates of every Conv2d and Linear, counted from their outputs."""
    total = [0]

    def conv_hook(mod, inp, out):
        k = mod.kernel_size[0] * mod.kernel_size[1]
        total[0] += out.numel() // out.shape[0] * (mod.in_channels // mod.groups) * k

    def linear_hook(mod, inp, out):
        total[0] += out.numel() // out.shape[0] * mod.in_features

    handles = []
    for mod in model.modules():
        if isinstance(mod, nn.Conv2d):
            handles.append(mod.register_forward_hook(conv_hook))
        elif isinstance(mod, nn.Linear):
            handles.append(mod.register_forward_hook(linear_hook))
    with torch.no_grad():
        model(torch.zeros(1, 3, size, size))
    for h in handles:
        h.remove()
    return total[0]


def check(name, args, workdir):
    model, size, note = build(name)
    model.eval()
    params = sum(p.numel() for p in model.parameters())
    if params > args.max_params:
        return None, f"skipped: {params} parameters (over --max-params {args.max_params})"

    macs = hook_macs(model, size)
    path = os.path.join(workdir, name + ".onnx")
    with torch.no_grad():
        torch.onnx.export(model, torch.zeros(1, 3, size, size), path, opset_version=args.opset,
                          training=torch.onnx.TrainingMode.EVAL if args.fold_bn else torch.onnx.TrainingMode.PRESERVE,
                          do_constant_folding=True,
                          input_names=["input"])
    info = subprocess.run([args.nesim, "info", "--model", path, "--json", "-"], capture_output=True, text=True)
    if info.returncode != 0:
        return False, f"import failed (exit {info.returncode}): {info.stderr.strip()}"
    got = json.loads(info.stdout)
    problems = []
    if got["params"] != params and not args.fold_bn:
        problems.append(f"params {got['params']} != torch {params}")
    if abs(got["macs"] - macs) > 0.01 * macs:
        problems.append(f"MACs {got['macs']} not within 1% of hooks {macs}")
    sim = subprocess.run([args.nesim, "simulate", "--model", path, "--hw", args.hw, "--json", "-"],
                         capture_output=True, text=True)
    cycles = None
    if sim.returncode != 0:
        problems.append(f"simulate failed (exit {sim.returncode}): {sim.stderr.strip()}")
    else:
        cycles = json.loads(sim.stdout)["total_cycles"]
    # nesim's own PyTorch export of the import: same parameters and output shapes as the original.
    py = os.path.join(workdir, name + "_nesim.py")
    exp = subprocess.run([args.nesim, "export", "--model", path, "--pytorch", py], capture_output=True, text=True)
    if exp.returncode != 0:
        problems.append(f"export failed (exit {exp.returncode}): {exp.stderr.strip()}")
    else:
        spec = importlib.util.spec_from_file_location("nesim_" + name, py)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        net = mod.build().eval()
        with torch.no_grad():
            want = model(torch.zeros(1, 3, size, size))
            mine = net(torch.zeros(1, *mod.INPUT_SHAPE))
        # nesim keeps no flatten after a global pool (a view): N x C x 1 x 1 and N x C are one shape here.
        def shapes(o):
            out = []
            for t in (o if isinstance(o, tuple) else (o,)):
                d = tuple(t.shape)
                out.append(d[:2] if len(d) == 4 and d[2:] == (1, 1) else d)
            return out
        if sum(p.numel() for p in net.parameters()) != got["params"]:
            problems.append("nesim's net.py has other parameters than the import")
        if shapes(mine) != shapes(want):
            problems.append(f"nesim's net.py outputs {shapes(mine)}, torch's model {shapes(want)}")
    detail = f"params {params}, MACs {got['macs']} (hooks {macs}), cycles {cycles}" + (f"; {note}" if note else "")
    return not problems, "; ".join(problems) if problems else detail


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--nesim", required=True)
    ap.add_argument("--hw", required=True)
    ap.add_argument("--models", help="comma-separated names (default: the required list)")
    ap.add_argument("--all", action="store_true", help="also try every other classification model")
    ap.add_argument("--opset", type=int, default=17)
    ap.add_argument("--keep", help="write the .onnx files here instead of a temporary directory")
    ap.add_argument("--max-params", type=int, default=150_000_000, help="skip larger models (export time and size)")
    ap.add_argument("--fold-bn", action="store_true",
                    help="export with BN folded into the convs (eval mode): parameters are then not compared")
    args = ap.parse_args()
    torch.manual_seed(0)
    names = args.models.split(",") if args.models else list(REQUIRED)
    extra = []
    if args.all:
        extra = [n for n in torchvision.models.list_models(module=torchvision.models) if n not in names]
    failed = []
    with tempfile.TemporaryDirectory() as tmp:
        workdir = args.keep or tmp
        os.makedirs(workdir, exist_ok=True)
        for name in names + extra:
            start = time.time()
            try:
                ok, msg = check(name, args, workdir)
            except Exception as e:  # an export torch itself refuses
                ok, msg = False, f"{type(e).__name__}: {e}".splitlines()[0]
            required = name in names
            if ok is None:
                print(f"{'skipped':11} {name:34} {msg}", flush=True)
                continue
            tag = "ok" if ok else ("FAIL" if required else "unsupported")
            print(f"{tag:11} {name:34} {time.time() - start:5.1f}s  {msg}", flush=True)
            if not ok and required:
                failed.append(name)
    print(f"{len(names) - len(failed)}/{len(names)} required models import with exact parameters")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
