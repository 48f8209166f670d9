#!/bin/sh
# reference_pytorch: can a reference plan be trained elsewhere with PyTorch and picked up here?
# `nesim reference --export-pytorch` writes the plan and each proxy-task network; the script trains
# the two runs of one architecture (--only) on this CPU; the builder, run again, counts them, says
# who trained them, and trains the rest itself. Usage: test_reference_pytorch.sh NESIM SOURCE_DIR PYTHON3
set -eu
NESIM=$1 SRC=$2 PY=$3
DIR=$(mktemp -d)
trap 'rm -rf "$DIR"' EXIT
cat > "$DIR/space.yaml" <<YAML
base: $SRC/models/mobilenet_v2_050.yaml
width_multiplier: [0.25, 0.5, 0.75]
YAML
ARGS="--space $DIR/space.yaml --out $DIR/ref --archs 2 --seeds 2 --pool 30 --epochs 0.002 --eval-images 40 --input-size 16 --threads 1 -q"
"$NESIM" reference $ARGS --export-pytorch > /dev/null
test -f "$DIR/ref/nets/0.py" && test -f "$DIR/ref/nets/1.py" && test -f "$DIR/ref/plan.json"
# A bad --only is a usage error (exit 2) naming it, and journals nothing.
for bad in 2 x; do
  status=0
  "$PY" "$SRC/scripts/train_reference.py" "$DIR/ref" --only "$bad" 2> "$DIR/log" || status=$?
  test "$status" = 2 && grep -q -- "--only" "$DIR/log" && test ! -s "$DIR/ref/runs.jsonl" || { cat "$DIR/log"; exit 1; }
done
"$PY" "$SRC/scripts/train_reference.py" "$DIR/ref" --only 1 2> "$DIR/log"
test "$(grep -c '"trainer":"pytorch' "$DIR/ref/runs.jsonl")" = 2 || { cat "$DIR/log"; exit 1; }
"$NESIM" reference $ARGS > /dev/null
"$PY" - "$DIR/ref/reference.json" <<'PYEOF'
import json, sys
j = json.load(open(sys.argv[1]))
assert j["complete"] and j["runs_done"] == 4, (j["complete"], j["runs_done"])
trainers = j["trainers"]
assert sum(v for k, v in trainers.items() if k.startswith("pytorch")) == 2, trainers
assert trainers.get("nesim (libtorch, cpu, nhwc)") == 2, trainers
for a in j["archs"]:
    assert all(0 <= v <= 1 for v in a["accuracy"].values()), a
print("ok: 2 runs by PyTorch, 2 by nesim, one reference")
PYEOF
