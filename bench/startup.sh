#!/usr/bin/env bash
# Process-to-process wall time of the calls a script, Optuna or NNI makes: what a user waits for,
# start-up included. Uses hyperfine (Debian `hyperfine`) when present, else a plain loop.
#
# Usage: bench/startup.sh [BUILD_DIR] [RUNS]      (default: build 50)
# Run from the repository root; SCALE-Sim's inputs are read from ../shared/data/scalesim.
set -euo pipefail
build=${1:-build}
runs=${2:-50}
shared=../shared/data/scalesim
[ -x "$build/nesim" ] || { echo "startup: no $build/nesim: build first" >&2; exit 2; }

declare -a names cmds
add() { names+=("$1"); cmds+=("$2"); }
add "nesim --version" "$build/nesim --version"
add "simulate SCALE-Sim mobilenet, scale32_os.cfg" \
    "$build/nesim simulate --model $shared/topologies/mobilenet.csv --hw $shared/configs/scale32_os.cfg"
add "simulate mobilenet_v2, ne-pf16" "$build/nesim simulate --model models/mobilenet_v2.yaml --hw hwconfigs/ne-pf16.yaml"
add "predict mobilenet_v2, ne-pf16" \
    "$build/nesim predict --regressor traces/regressor-ne-pf.json --model models/mobilenet_v2.yaml --hw hwconfigs/ne-pf16.yaml"
if [ -x "$build/nesim-torch" ]; then add "nesim-torch --version (libtorch loaded)" "OMP_WAIT_POLICY=passive $build/nesim-torch --version"; fi

echo "machine: $(nproc) cores, $(uname -m), load $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-46s %10s %10s %10s\n' "command" "min ms" "median ms" "max ms"
for i in "${!cmds[@]}"; do
  if command -v hyperfine >/dev/null; then
    json=$(mktemp)
    hyperfine -N --style none --warmup 3 --runs "$runs" --export-json "$json" "${cmds[$i]}" >/dev/null 2>&1 ||
      hyperfine --style none --warmup 3 --runs "$runs" --export-json "$json" "${cmds[$i]}" >/dev/null
    read -r lo med hi < <(/usr/bin/python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"][0]; t=sorted(r["times"]); print(f"{t[0]*1e3:.2f} {t[len(t)//2]*1e3:.2f} {t[-1]*1e3:.2f}")' "$json")
    rm -f "$json"
  else
    ts=()
    for _ in $(seq "$runs"); do
      t0=$(date +%s%N); bash -c "${cmds[$i]}" >/dev/null 2>&1; t1=$(date +%s%N)
      ts+=($(( (t1 - t0) / 1000 )))
    done
    read -r lo med hi < <(printf '%s\n' "${ts[@]}" | sort -n | awk '{a[NR]=$1} END {printf "%.2f %.2f %.2f\n", a[1]/1e3, a[int((NR+1)/2)]/1e3, a[NR]/1e3}')
  fi
  printf '%-46s %10s %10s %10s\n' "${names[$i]}" "$lo" "$med" "$hi"
done
