#!/usr/bin/env bash
# Runs every libFuzzer target in fuzz/ (issue 16) under ASan and UBSan, each for a fixed number of
# executions from a fixed seed, so that `make test` is repeatable; fails if any target crashes.
# Prints per target: executions, coverage (libFuzzer's cov: edges and ft: features), corpus size.
#
#   scripts/fuzz.sh                       # 20000 runs per target (what `make test` runs)
#   scripts/fuzz.sh --runs 100000         # longer, still deterministic
#   scripts/fuzz.sh --seconds 120 --keep  # a campaign: 120 s per target, growing build-fuzz/campaign/
#   scripts/fuzz.sh --target journal      # one target (repeatable)
#
# Seeds: models/*.yaml, hwconfigs/*.yaml, ../shared/data/scalesim/{configs,topologies},
# nas/spaces/*.yaml, fuzz/seeds/journal/, tests/onnx/fixtures/*.onnx, plus every kept crash in
# fuzz/regressions/<target>/.
# A crash leaves its input in build-fuzz/crashes/; keep it in fuzz/regressions/<target>/ once fixed.
set -euo pipefail
cd "$(dirname "$0")/.."

runs=20000
seconds=0
keep=0
build=build-fuzz
targets=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --runs) runs="$2"; shift 2 ;;
    --seconds) seconds="$2"; shift 2 ;;
    --keep) keep=1; shift ;;
    --build) build="$2"; shift 2 ;;
    --target) targets+=("$2"); shift 2 ;;
    -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "fuzz.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
[[ ${#targets[@]} -gt 0 ]] || targets=(model_yaml hw_yaml hw_cfg topology space journal onnx)
# With --seconds alone, run until the time is up.
[[ "$seconds" != 0 && "$runs" == 20000 ]] && runs=-1

if ! command -v clang++ >/dev/null; then
  echo "fuzz.sh: clang++ not found (apt-get install clang libclang-rt-14-dev)" >&2
  exit 1
fi
if [[ ! -f "$build/CMakeCache.txt" ]]; then
  launcher=()
  command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  cmake -S . -B "$build" -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=Debug "-DCMAKE_CXX_FLAGS_DEBUG=-O1 -g" \
    -DNESIM_FUZZ=ON -DNESIM_WITH_TORCH=OFF -DNESIM_BUILD_TESTS=OFF -DNESIM_BUILD_BENCH=OFF "${launcher[@]}" >/dev/null
fi
cmake --build "$build" -j "$(nproc)" --target fuzz >/dev/null

shared=../shared/data/scalesim
seeds() {
  case "$1" in
    model_yaml) ls models/*.yaml ;;
    hw_yaml) ls hwconfigs/*.yaml ;;
    hw_cfg) ls "$shared"/configs/*.cfg 2>/dev/null || true ;;
    topology) ls "$shared"/topologies/*.csv 2>/dev/null || true ;;
    space) ls nas/spaces/*.yaml ;;
    journal) ls fuzz/seeds/journal/* ;;
    onnx) ls tests/onnx/fixtures/*.onnx ;;
  esac
}

export ASAN_OPTIONS=halt_on_error=1:detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
mkdir -p "$build/crashes" "$build/logs"
failed=()
printf '%-16s %10s %8s %8s %8s %8s\n' target executions cov ft corpus seconds
for t in "${targets[@]}"; do
  if [[ $keep == 1 ]]; then
    corpus="$build/campaign/$t"
  else
    corpus="$build/corpus/$t"
    rm -rf "$corpus"  # a fresh corpus each time: the same runs give the same executions
  fi
  mkdir -p "$corpus"
  seeds "$t" | while read -r f; do cp "$f" "$corpus/seed_$(basename "$f")"; done
  dirs=("$corpus")
  [[ -d "fuzz/regressions/$t" ]] && dirs+=("fuzz/regressions/$t")
  log="$build/logs/$t.log"
  start=$(date +%s)
  dict=()
  [[ -f "fuzz/dict/$t.dict" ]] && dict=(-dict="fuzz/dict/$t.dict")  # binary formats (onnx) have none
  set +e
  "$build/fuzz/fuzz_$t" -seed=1 -runs="$runs" -max_total_time="$seconds" -max_len=4096 -timeout=10 \
    -rss_limit_mb=2048 -print_final_stats=1 "${dict[@]}" \
    -artifact_prefix="$build/crashes/$t-" "${dirs[@]}" >"$log" 2>&1
  rc=$?
  set -e
  elapsed=$(( $(date +%s) - start ))
  # The last status line, e.g. "#2000	DONE   cov: 1234 ft: 5678 corp: 90/12Kb ...".
  last=$(grep -E '^#[0-9]+' "$log" | tail -1 || true)
  execs=$(grep -Eo 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -Eo '[0-9]+$' || echo "?")
  cov=$(grep -Eo 'cov: [0-9]+' <<<"$last" | grep -Eo '[0-9]+' || echo "?")
  ft=$(grep -Eo 'ft: [0-9]+' <<<"$last" | grep -Eo '[0-9]+' || echo "?")
  corp=$(grep -Eo 'corp: [0-9]+' <<<"$last" | grep -Eo '[0-9]+' || echo "?")
  printf '%-16s %10s %8s %8s %8s %8s\n' "$t" "$execs" "$cov" "$ft" "$corp" "$elapsed"
  if [[ $rc != 0 ]]; then
    failed+=("$t")
    echo "---- fuzz_$t failed (exit $rc); its log is $log, the input in $build/crashes/:" >&2
    grep -E 'ERROR|runtime error|terminate|what\(\)|Test unit written|SUMMARY' "$log" | head -15 >&2 || true
  fi
done

if [[ ${#failed[@]} -gt 0 ]]; then
  echo "fuzz.sh: ${failed[*]} crashed" >&2
  exit 1
fi
