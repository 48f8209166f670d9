#!/usr/bin/python3
"""Trains the pending runs of a `nesim reference` build with PyTorch, on a GPU or CPUs elsewhere.

The 2-core machine cannot afford the classifier space's reference (docs/benchmarks.md: 17-30
core-hours); a machine with a GPU can, with nesim's own recipe re-implemented here:

  here:   nesim reference --space S --out DIR ... --export-pytorch    # plan.json + nets/<i>.py
  there:  python3 scripts/train_reference.py DIR --device cuda --jobs 8 --data-dir FASHION_MNIST
  here:   nesim reference --space S --out DIR ...                     # picks the runs up

Each finished run is appended to DIR/runs.jsonl in the builder's format, with "trainer" naming
PyTorch and the device, so a reference says which runs came from which trainer. The recipe is the
`train` scorer's (docs/accuracy.md, "Short training"): torchvision initialisation after
torch.manual_seed(seed); SGD, Nesterov momentum 0.9, weight decay 5e-4, cosine decay from the
plan's learning rate over its steps; images scaled to [0, 1], normalised (0.2860, 0.3530), resized
bilinearly to the plan's input size, channels-last in memory; BN statistics re-estimated over 10
training batches; top-1 on the plan's first eval_images test images. Minibatch order comes from
torch's generator, not nesim's, so a run matches nesim's in distribution, not bit for bit.
"""
import argparse
import fcntl
import gzip
import importlib.util
import json
import math
import os
import struct
import sys
import time


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic, = struct.unpack(">I", data[:4])
    dims = magic & 0xFF
    shape = struct.unpack(">" + "I" * dims, data[4:4 + 4 * dims])
    return shape, data[4 + 4 * dims:]


def load_split(torch, data_dir, prefix):
    shape, pixels = read_idx(os.path.join(data_dir, f"{prefix}-images-idx3-ubyte.gz"))
    _, labels = read_idx(os.path.join(data_dir, f"{prefix}-labels-idx1-ubyte.gz"))
    x = torch.frombuffer(bytearray(pixels), dtype=torch.uint8).view(shape[0], 1, shape[1], shape[2])
    y = torch.frombuffer(bytearray(labels), dtype=torch.uint8).long()
    return x, y


def prepare(torch, raw, task, device):
    x = (raw.to(device).float() / 255.0 - 0.2860) / 0.3530
    if x.shape[-1] != task["input_size"]:
        x = torch.nn.functional.interpolate(x, size=(task["input_size"], task["input_size"]), mode="bilinear",
                                            align_corners=False)
    x = x.repeat(1, task["in_channels"], 1, 1) if task["in_channels"] != 1 else x
    # Channels-last, as nesim trains (nas/torch/graph_module.h, channels_last()): on CPUs every
    # convolution and BN then runs NHWC, 1.7x faster; .to() sets the strides even for one channel.
    return x.contiguous().to(memory_format=torch.channels_last)


def init_like_nesim(torch, net):
    nn = torch.nn
    for m in net.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, 0.0, 0.01)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)


def train_one(args):
    ref, index, key, seed, device, data_dir = args
    import torch
    plan = json.load(open(os.path.join(ref, "plan.json")))
    task, training = plan["proxy_task"], plan["training"]
    torch.set_num_threads(1)
    spec = importlib.util.spec_from_file_location(f"net{index}", os.path.join(ref, "nets", f"{index}.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    t0 = time.time()
    torch.manual_seed(seed)
    net = module.Net()
    init_like_nesim(torch, net)
    net.to(device)
    xtr, ytr = load_split(torch, data_dir, "train")
    xte, yte = load_split(torch, data_dir, "t10k")
    n_test = training["eval_images"]
    xte, yte = xte[:n_test], yte[:n_test]
    steps, batch, lr = training["steps"], training["batch"], training["learning_rate"]
    opt = torch.optim.SGD(net.parameters(), lr=lr, momentum=0.9, nesterov=True, weight_decay=5e-4)
    gen = torch.Generator().manual_seed(seed)
    order, pos = torch.randperm(len(xtr), generator=gen), 0

    def next_batch():
        nonlocal order, pos
        if pos + batch > len(order):
            order, pos = torch.randperm(len(xtr), generator=gen), 0
        idx = order[pos:pos + batch]
        pos += batch
        return prepare(torch, xtr[idx], task, device), ytr[idx].to(device)

    net.train()
    for step in range(steps):
        for g in opt.param_groups:
            g["lr"] = 0.5 * lr * (1 + math.cos(math.pi * step / steps))
        x, y = next_batch()
        out = net(x)
        out = out[0] if isinstance(out, tuple) else out
        loss = torch.nn.functional.cross_entropy(out.flatten(1), y)
        if not torch.isfinite(loss):
            return {"key": key, "seed": seed, "ok": False, "error": f"training diverged at step {step}",
                    "seconds": time.time() - t0}
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.reset_running_stats()
                m.momentum = None
        for _ in range(10):
            net(next_batch()[0])
        net.eval()
        correct = 0
        for first in range(0, n_test, 500):
            out = net(prepare(torch, xte[first:first + 500], task, device))
            out = out[0] if isinstance(out, tuple) else out
            correct += (out.flatten(1).argmax(1).cpu() == yte[first:first + 500]).sum().item()
    return {"key": key, "seed": seed, "ok": True, "accuracy": correct / n_test, "seconds": time.time() - t0,
            "trainer": f"pytorch {torch.__version__} {device}"}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("reference", help="the builder's --out folder (plan.json, nets/, runs.jsonl)")
    ap.add_argument("--device", default="cpu", help="cpu, cuda, cuda:1, ...")
    ap.add_argument("--jobs", type=int, default=1, help="runs trained at once (processes)")
    ap.add_argument("--data-dir", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--limit", type=int, default=0, help="train at most this many runs (0: all pending)")
    ap.add_argument("--only", default="", help="architecture indices to train, e.g. 0,1,2 (default: all); a "
                    "budget check on a few architectures before a whole build")
    a = ap.parse_args()
    plan = json.load(open(os.path.join(a.reference, "plan.json")))
    journal = os.path.join(a.reference, "runs.jsonl")
    # The builder's lock: one writer of runs.jsonl at a time.
    lock = open(os.path.join(a.reference, ".lock"), "a")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        sys.exit(f"{a.reference}: another builder is using this folder; wait for it to end")
    done = set()
    if os.path.exists(journal):
        for line in open(journal):
            if line.endswith("\n"):
                r = json.loads(line)
                done.add((r["key"], r["seed"]))
    pending = [(a.reference, i, k, s, a.device, a.data_dir) for i, k in enumerate(plan["arch_keys"]) for s in plan["seeds"]
               if (k, s) not in done]
    if a.only:
        try:
            only = {int(i) for i in a.only.split(",")}
        except ValueError:
            ap.error(f"--only: expected architecture indices such as 0,1,2, got '{a.only}'")
        if not only <= set(range(len(plan["arch_keys"]))):
            ap.error(f"--only: indices must lie in 0..{len(plan['arch_keys']) - 1}, got '{a.only}'")
        pending = [p for p in pending if p[1] in only]
    if a.limit:
        pending = pending[:a.limit]
    print(f"{len(pending)} runs to train on {a.device} with {a.jobs} processes", file=sys.stderr, flush=True)

    def record(r):
        with open(journal, "a") as f:
            fcntl.flock(f, fcntl.LOCK_EX)
            f.write(json.dumps(r, separators=(",", ":")) + "\n")
            f.flush()
            os.fsync(f.fileno())
        print(f"{r['key']} seed {r['seed']}: {r.get('accuracy', r.get('error'))} ({r['seconds']:.0f} s)",
              file=sys.stderr, flush=True)

    if a.jobs > 1:
        import multiprocessing as mp
        with mp.get_context("spawn").Pool(a.jobs) as pool:
            for r in pool.imap_unordered(train_one, pending):
                record(r)
    else:
        for p in pending:
            record(train_one(p))


if __name__ == "__main__":
    main()
