#!/usr/bin/env bash
# Runs every case study (`nesim experiment NAME`) and copies each study's tables, summary and plots
# into docs/case-studies/NAME/, which docs/case-studies.md links. Usage:
#   scripts/run-experiments.sh [BUILD_DIR] [JOBS] [TRAIN_SEEDS]        (make experiments)
# Searches and trainings are journalled under runs/experiments/NAME: re-running resumes them.
# TRAIN_SEEDS (default 2) trainings per model give each table its trained accuracy; 0 skips them.
set -euo pipefail
build=${1:-build}
jobs=${2:-$(nproc)}
train_seeds=${3:-2}
cd "$(dirname "$0")/.."
for name in detector classifier segmenter curation; do
  out=runs/experiments/$name
  mkdir -p "$out" "docs/case-studies/$name"
  "./$build/nesim" experiment "$name" --out "$out" --jobs "$jobs" --seed 1 --train-seeds "$train_seeds" --resume
  cp "$out/report.md" "$out/summary.json" "docs/case-studies/$name/"
  for f in "$out"/*.svg; do [ -e "$f" ] && cp "$f" "docs/case-studies/$name/"; done
done
echo "case studies written to docs/case-studies/ (see docs/case-studies.md)"
