#!/usr/bin/python3
"""NSGA-II against evolution and random search at the same budget, over several seeds.

For each multi-objective space, strategy and seed: `nesim search` at --budget, then the hypervolume
of its feasible Pareto front (pareto.csv) in objective space normalised by the baseline (each
objective divided by the baseline's; reference point 1.0 on every axis, so only candidates that
beat the baseline on every objective count). Prints median [min, max] per space and strategy.

Usage: bench/strategies.py [--nesim build/nesim] [--budget 1000] [--seeds 5] [--out /tmp/nesim-strategies]
"""
import argparse
import csv
import json
import os
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SPACES = ["nas/spaces/classifier.yaml", "nas/spaces/classifier_fine.yaml", "nas/spaces/segmenter.yaml"]
STRATEGIES = ["nsga2", "evolution", "random"]
COLUMN = {"latency": "latency_ms", "memory": "memory_bytes"}


def hypervolume_2d(points, ref):
    """Area dominated by `points` (minimisation) and bounded by `ref`."""
    pts = sorted(p for p in points if p[0] < ref[0] and p[1] < ref[1])
    area, best_y = 0.0, ref[1]
    for x, y in pts:
        if y < best_y:
            area += (ref[0] - x) * (best_y - y)
            best_y = y
    return area


def run(nesim, space, strategy, seed, budget, out):
    d = os.path.join(out, f"{os.path.basename(space)[:-5]}-{strategy}-{seed}")
    subprocess.run([nesim, "search", "--space", os.path.join(ROOT, space), "--hw", os.path.join(ROOT, "hwconfigs/ne-pf16.yaml"),
                    "--out", d, "--budget", str(budget), "--seed", str(seed), "--strategy", strategy, "--jobs", "1", "-q"],
                   check=True, stdout=subprocess.DEVNULL)
    summary = json.load(open(os.path.join(d, "summary.json")))
    objectives = summary["objectives"]
    base = [float(summary["baseline"][COLUMN[o]]) for o in objectives]
    points = []
    with open(os.path.join(d, "pareto.csv")) as f:
        for row in csv.DictReader(f):
            if row["feasible"] == "1" and row["latency_ms"]:
                points.append(tuple(float(row[COLUMN[o]]) / b for o, b in zip(objectives, base)))
    return hypervolume_2d(points, (1.0, 1.0))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nesim", default=os.path.join(ROOT, "build/nesim"))
    ap.add_argument("--budget", type=int, default=1000)
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--out", default="/tmp/nesim-strategies")
    a = ap.parse_args()
    print(f"hypervolume of the feasible front (baseline-normalised, higher is better), budget {a.budget}, "
          f"seeds 1..{a.seeds}: median [min, max]")
    for space in SPACES:
        cells = []
        for strategy in STRATEGIES:
            hv = [run(a.nesim, space, strategy, s, a.budget, a.out) for s in range(1, a.seeds + 1)]
            cells.append(f"{strategy} {statistics.median(hv):.4f} [{min(hv):.4f}, {max(hv):.4f}]")
            sys.stdout.flush()
        print(f"{os.path.basename(space):22} " + "  ".join(cells), flush=True)


if __name__ == "__main__":
    main()
