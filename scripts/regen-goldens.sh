#!/usr/bin/env bash
# Regenerates the golden per-layer traces after an intended timing change. Review the diff
# (git diff traces/golden) like code before committing it.
set -euo pipefail
cd "$(dirname "$0")/.."
nesim=${NESIM:-build/nesim}
for pair in mobilenet_v2_050:ne-pf16 mobilenet_v3_small:ne-pf8 mobilenet_v2_050:systolic-32x32-os; do
  model=${pair%%:*} hw=${pair##*:}
  "$nesim" simulate --model "models/$model.yaml" --hw "hwconfigs/$hw.yaml" \
    --csv "traces/golden/${model}__${hw}.csv" >/dev/null
  echo "traces/golden/${model}__${hw}.csv"
done
