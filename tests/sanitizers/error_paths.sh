#!/bin/sh
# sanitizers: do the CLI's error paths that run after the SystemC engine has simulated stay clean
# under AddressSanitizer + UBSan? A sweep whose second point cannot be mapped throws in the
# worker that has just simulated the first (google/sanitizers#189 used to abort there).
# Usage: error_paths.sh ASAN_BUILD_DIR SOURCE_DIR
set -eu
build=$1 src=$2
work=$(mktemp -d "${TMPDIR:-/tmp}/nesim_asan_paths.XXXXXX")
trap 'rm -rf "$work"' EXIT
export ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
status=0
"$build/nesim" sweep --model "$src/models/mnasnet1_0.yaml" --hw "$src/hwconfigs/ne-pf16.yaml" \
  --set sram.kib=256,4 --jobs 1 --quiet --csv "$work/s.csv" 2> "$work/err" || status=$?
if grep -q "Sanitizer" "$work/err"; then cat "$work/err" >&2; echo "sanitizers: a report on the sweep's error path" >&2; exit 1; fi
[ "$status" = 0 ] || { cat "$work/err" >&2; echo "sanitizers: the sweep exited $status, expected 0" >&2; exit 1; }
grep -q ",error," "$work/s.csv" || { echo "sanitizers: the unmappable point is not an error row" >&2; exit 1; }
echo "sanitizers: the sweep's error path after simulation is clean"
