#!/usr/bin/python3
"""How much of a reference run's accuracy is evaluation noise? Trains one architecture of a
`nesim reference --export-pytorch` folder once (the plan's recipe, as scripts/train_reference.py,
channels-last like nesim), then re-estimates its BN statistics from different random training
batches several times and tests each on all 10,000 test images. The spread of those accuracies is
the noise that BN re-estimation adds; compare it with the seed-to-seed differences in the
reference (docs/benchmarks.md, "Accuracy ground truth").

  nesim reference --space nas/spaces/classifier.yaml --out /tmp/ref-export --archs 32 --seeds 2 \\
      --epochs 1 --export-pytorch
  /usr/bin/python3 scripts/bn_recalibration_noise.py /tmp/ref-export 1
"""
import argparse
import importlib.util
import json
import math
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import train_reference as tr  # noqa: E402


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("ref", help="folder written by nesim reference --export-pytorch")
    p.add_argument("index", type=int, help="architecture index (nets/<index>.py)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--repeats", type=int, default=8, help="re-estimations per setting")
    p.add_argument("--batches", default="10,100", help="BN re-estimation batches to compare")
    p.add_argument("--data-dir", default="/usr/share/datasets/fashion-mnist")
    a = p.parse_args()
    import torch
    torch.set_num_threads(1)
    plan = json.load(open(os.path.join(a.ref, "plan.json")))
    task, training = plan["proxy_task"], plan["training"]
    spec = importlib.util.spec_from_file_location("net", os.path.join(a.ref, "nets", f"{a.index}.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    torch.manual_seed(a.seed)
    net = module.Net()
    tr.init_like_nesim(torch, net)
    xtr, ytr = tr.load_split(torch, a.data_dir, "train")
    xte, yte = tr.load_split(torch, a.data_dir, "t10k")

    def batch_of(raw):
        return tr.prepare(torch, raw, task, "cpu").contiguous().to(memory_format=torch.channels_last)

    def logits(x):
        out = net(x)
        return (out[0] if isinstance(out, tuple) else out).flatten(1)

    steps, batch, lr = training["steps"], training["batch"], training["learning_rate"]
    opt = torch.optim.SGD(net.parameters(), lr=lr, momentum=0.9, nesterov=True, weight_decay=5e-4)
    gen = torch.Generator().manual_seed(a.seed)
    order, pos = torch.randperm(len(xtr), generator=gen), 0
    t0 = time.time()
    net.train()
    for step in range(steps):
        for g in opt.param_groups:
            g["lr"] = 0.5 * lr * (1 + math.cos(math.pi * step / steps))
        if pos + batch > len(order):
            order, pos = torch.randperm(len(xtr), generator=gen), 0
        idx = order[pos:pos + batch]
        pos += batch
        loss = torch.nn.functional.cross_entropy(logits(batch_of(xtr[idx])), ytr[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
    print(f"architecture {a.index}, seed {a.seed}: trained {steps} steps in {time.time() - t0:.0f} s", flush=True)

    def evaluate(batches, seed):
        g = torch.Generator().manual_seed(seed)
        with torch.no_grad():
            for m in net.modules():
                if isinstance(m, torch.nn.BatchNorm2d):
                    m.reset_running_stats()
                    m.momentum = None
            net.train()
            for _ in range(batches):
                logits(batch_of(xtr[torch.randint(0, len(xtr), (batch,), generator=g)]))
            net.eval()
            correct = sum((logits(batch_of(xte[f:f + 500])).argmax(1) == yte[f:f + 500]).sum().item()
                          for f in range(0, len(xte), 500))
        return correct / len(xte)

    for batches in (int(b) for b in a.batches.split(",")):
        accs = [evaluate(batches, 1000 + r) for r in range(a.repeats)]
        print(f"BN re-estimated on {batches} batches, {a.repeats} times: mean {statistics.mean(accs):.4f}, "
              f"sd {statistics.stdev(accs):.4f}, range {min(accs):.4f}-{max(accs):.4f}", flush=True)


if __name__ == "__main__":
    main()
