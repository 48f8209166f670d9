#!/bin/sh
# install: does `cmake --install` give a tree that an out-of-tree program builds against, through
# find_package(nesim) and through pkg-config, and does that program compute what nesim does?
# Usage: check_install.sh CMAKE BUILD_DIR SOURCE_DIR CXX
set -eu
cmake=$1 build=$2 src=$3 cxx=$4
work=$(mktemp -d "${TMPDIR:-/tmp}/nesim_install.XXXXXX")
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix
model=$src/models/mobilenet_v2.yaml
hw=$src/hwconfigs/ne-pf16.yaml

fail() { echo "install test: $*" >&2; exit 1; }
# Runs a step with its output in a log that is shown only when the step fails.
step() {
  name=$1; shift
  "$@" > "$work/$name.log" 2>&1 || { cat "$work/$name.log" >&2; fail "$name failed: $*"; }
}

step install "$cmake" --install "$build" --prefix "$prefix"
for f in bin/nesim include/nesim/sim/graph/network.h include/nesim/nas/regressor/regressor.h; do
  [ -f "$prefix/$f" ] || fail "$f is not installed"
done
[ -n "$(find "$prefix" -name libnesim.a)" ] || fail "libnesim.a is not installed"
[ -z "$(find "$prefix/include" -path '*/cli/*' -o -path '*/torch/*')" ] || fail "CLI or torch headers were installed"

# Where the build has libtorch, the installed nesim finds nesim-torch in ../libexec/nesim.
if [ -x "$build/nesim-torch" ]; then
  [ -x "$prefix/libexec/nesim/nesim-torch" ] || fail "libexec/nesim/nesim-torch is not installed"
  "$prefix/bin/nesim" accuracy --model "$model" --proxy synflow --input-size 16 > "$work/synflow.log" 2>&1 ||
    { cat "$work/synflow.log" >&2; fail "the installed nesim could not run a libtorch scorer through nesim-torch"; }
fi

# What the installed binary says MobileNetV2 costs: the consumer must print the same.
"$prefix/bin/nesim" simulate --model "$model" --hw "$hw" --json "$work/sim.json" > /dev/null
field() { grep -o "\"$1\": *[0-9]*" "$work/sim.json" | head -1 | grep -o '[0-9]*$'; }
params=$(field params) cycles=$(field total_cycles)
[ "$params" = 3504872 ] || fail "nesim reports $params parameters for MobileNetV2, torchvision 3504872"
want="mobilenet_v2 params $params cycles $cycles"

step configure "$cmake" -S "$src/tests/install/consumer" -B "$work/consumer" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_CXX_COMPILER="$cxx"
step build "$cmake" --build "$work/consumer"
got=$("$work/consumer/nesim_consumer" "$model" "$hw") || fail "the find_package consumer exited $?"
[ "$got" = "$want" ] || fail "find_package consumer printed '$got', expected '$want'"

pc=$(find "$prefix" -name nesim.pc)
[ -n "$pc" ] || fail "nesim.pc is not installed"
export PKG_CONFIG_PATH="$(dirname "$pc")"
step pkg-config pkg-config --exists --print-errors nesim
step pkg-config-build "$cxx" -O1 "$src/tests/install/consumer/main.cpp" $(pkg-config --cflags nesim) \
  -o "$work/pc_consumer" $(pkg-config --libs nesim)
got=$("$work/pc_consumer" "$model" "$hw") || fail "the pkg-config consumer exited $?"
[ "$got" = "$want" ] || fail "pkg-config consumer printed '$got', expected '$want'"
echo "install test: $want, through find_package and pkg-config"
