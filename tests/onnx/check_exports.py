#!/usr/bin/env python3
"""Exports every zoo model (models/*.yaml) with `nesim export --pytorch --onnx` and checks:

- net.py loads in torch, has exactly nesim's parameter count, and a forward pass gives nesim's
  output shape(s) (an fc output as N x K, the rest as N x C x H x W);
- net.onnx passes onnx.checker with full shape inference;
- `nesim import` of net.onnx gives the same parameters and MACs, and `nesim simulate` the same cycles.

Usage: check_exports.py --nesim BUILD/nesim --hw hwconfigs/ne-pf16.yaml --models-dir models
"""
import argparse
import glob
import importlib.util
import json
import os
import subprocess
import sys
import tempfile

import onnx
import torch


def run(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)}: exit {r.returncode}: {r.stderr.strip()}")
    return r.stdout


def check(model, args, tmp):
    stem = os.path.splitext(os.path.basename(model))[0]
    py, onx = os.path.join(tmp, stem + ".py"), os.path.join(tmp, stem + ".onnx")
    run([args.nesim, "export", "--model", model, "--pytorch", py, "--onnx", onx])
    info = json.loads(run([args.nesim, "info", "--model", model, "--json", "-"]))
    problems = []

    spec = importlib.util.spec_from_file_location("net_" + stem, py)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    net = mod.build().eval()
    params = sum(p.numel() for p in net.parameters())
    if params != info["params"]:
        problems.append(f"net.py params {params} != nesim {info['params']}")
    with torch.no_grad():
        out = net(torch.zeros(1, *mod.INPUT_SHAPE))
    outs = out if isinstance(out, tuple) else (out,)
    got = [tuple(o.shape) for o in outs]
    want = []
    for o in info["outputs"]:
        flat = o["h"] == 1 and o["w"] == 1 and len(got) > len(want) and len(got[len(want)]) == 2
        want.append((1, o["c"]) if flat else (1, o["c"], o["h"], o["w"]))
    if got != want:
        problems.append(f"net.py outputs {got} != nesim {want}")

    onnx.checker.check_model(onnx.load(onx), full_check=True)
    back = json.loads(run([args.nesim, "info", "--model", onx, "--json", "-"]))
    if (back["params"], back["macs"]) != (info["params"], info["macs"]):
        problems.append(f"import of net.onnx: params/MACs {back['params']}/{back['macs']} != "
                        f"{info['params']}/{info['macs']}")
    cycles = [json.loads(run([args.nesim, "simulate", "--model", m, "--hw", args.hw, "--json", "-"]))["total_cycles"]
              for m in (model, onx)]
    if cycles[0] != cycles[1]:
        problems.append(f"cycles {cycles[0]} (yaml) != {cycles[1]} (exported onnx)")
    return problems, f"params {params}, outputs {got}, cycles {cycles[0]}"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--nesim", required=True)
    ap.add_argument("--hw", required=True)
    ap.add_argument("--models-dir", required=True)
    args = ap.parse_args()
    failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        for model in sorted(glob.glob(os.path.join(args.models_dir, "*.yaml"))):
            try:
                problems, detail = check(model, args, tmp)
            except Exception as e:
                problems, detail = [f"{type(e).__name__}: {e}"], ""
            failed += bool(problems)
            print(f"{'FAIL' if problems else 'ok':5} {os.path.basename(model):34} {'; '.join(problems) or detail}",
                  flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
