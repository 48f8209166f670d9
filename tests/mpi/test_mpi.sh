#!/bin/bash
# mpi: does a run over MPI ranks give the bytes of a single process, survive a killed rank or a
# killed mpirun (--resume on 1 or 3 ranks finishes with the identical result), and name the rank
# and host whose trainer fails? Usage: test_mpi.sh NESIM SOURCE_DIR MPIRUN
set -u
NESIM=$1 SRC=$2 MPIRUN=$3
MPI=("$MPIRUN" --allow-run-as-root --oversubscribe)
W=$(mktemp -d) || exit 1
trap 'rm -rf "$W"' EXIT
cd "$SRC" || exit 1
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
ok() { echo "ok: $*"; }

# Two run directories hold the same search: every file but the lock, summary.json without wall_s.
same_run() {
  local a=$1 b=$2 f
  for f in $(cd "$a" && ls); do
    if [ "$f" = summary.json ]; then
      cmp -s <(grep -v '"wall_s"' "$a/$f") <(grep -v '"wall_s"' "$b/$f") || { echo "  $b/$f differs"; return 1; }
    else
      cmp -s "$a/$f" "$b/$f" || { echo "  $b/$f differs"; return 1; }
    fi
  done
  [ "$(cd "$a" && ls)" = "$(cd "$b" && ls)" ] || { echo "  $b holds other files"; return 1; }
}

# --- sweep: no mpirun, -np 1, -np 3 ---
SWEEP=(sweep --model models/mobilenet_v2.yaml models/mnasnet1_0.yaml --hw hwconfigs/ne-pf16.yaml
       --set mac_array.pf=8,16,32 --set sram.kib=256,1024 --quiet)
"$NESIM" "${SWEEP[@]}" --csv "$W/s0.csv" --json "$W/s0.json" > "$W/s0.out" || fail "sweep without mpirun"
for np in 1 3; do
  "${MPI[@]}" -np $np "$NESIM" "${SWEEP[@]}" --csv "$W/s$np.csv" --json "$W/s$np.json" > "$W/s$np.out" 2> "$W/s$np.err" \
    || fail "sweep -np $np exited $?: $(cat "$W/s$np.err")"
  if cmp -s "$W/s0.csv" "$W/s$np.csv" && cmp -s "$W/s0.json" "$W/s$np.json" && cmp -s "$W/s0.out" "$W/s$np.out"; then
    ok "sweep -np $np: csv, json and stdout identical to a run without mpirun"
  else
    fail "sweep -np $np differs from a run without mpirun"
  fi
done

# --- a regressor-scored search: no mpirun, -np 1, -np 3 ---
SEARCH=(search --space nas/spaces/classifier.yaml --hw hwconfigs/ne-pf16.yaml --budget 60 --sim-every 20 --quiet
        --accuracy entropy)   # the regressor-scored search, whatever supernets/ holds
"$NESIM" "${SEARCH[@]}" --out "$W/r0" > /dev/null || fail "search without mpirun"
for np in 1 3; do
  "${MPI[@]}" -np $np "$NESIM" "${SEARCH[@]}" --out "$W/r$np" > /dev/null 2> "$W/r$np.err" \
    || fail "search -np $np exited $?: $(cat "$W/r$np.err")"
  same_run "$W/r0" "$W/r$np" && ok "search -np $np: run directory identical to a run without mpirun" \
    || fail "search -np $np differs"
done

# --- a libtorch scorer: each rank's nesim execs nesim-torch before MPI starts ---
if [ -x "$(dirname "$NESIM")/nesim-torch" ]; then
  TORCH=(search --space nas/spaces/classifier.yaml --hw hwconfigs/ne-pf16.yaml --budget 12 --sim-every 6
         --accuracy synflow --quiet)
  "$NESIM" "${TORCH[@]}" --out "$W/l0" > /dev/null || fail "synflow search without mpirun"
  "${MPI[@]}" -np 3 "$NESIM" "${TORCH[@]}" --out "$W/l3" > /dev/null 2> "$W/l3.err" \
    || fail "synflow search -np 3 exited $?: $(head -c 600 "$W/l3.err")"
  same_run "$W/l0" "$W/l3" && ok "synflow search -np 3 (through nesim-torch): identical to a run without mpirun" \
    || fail "synflow search -np 3 differs"
fi

# --- a search scored by an external trainer, killed half-way and resumed ---
TRAIN=(search --space nas/spaces/classifier.yaml --hw hwconfigs/ne-pf16.yaml --budget 40 --sim-every 20 --quiet
       --accuracy cmd --accuracy-cmd "tests/mpi/trainer.sh {arch}")
TRAINER_SLEEP_S=0 "$NESIM" "${TRAIN[@]}" --out "$W/t0" > /dev/null || fail "trainer search without mpirun"

# Starts a slow 3-rank trainer search in $1 and waits until it has journalled a few evaluations.
start_slow() {
  TRAINER_SLEEP_S=0.3 "${MPI[@]}" -np 3 "$NESIM" "${TRAIN[@]}" --out "$1" > /dev/null 2> "$1.err" &
  MPIRUN_PID=$!
  for _ in $(seq 200); do
    [ "$(cat "$1"/journal*.jsonl 2>/dev/null | wc -l)" -ge 6 ] && return 0
    sleep 0.05
  done
  return 1
}
rank_pid() {  # the pid of rank $2 of the search writing to $1
  local p
  for p in $(pgrep -f "nesim search .*--out $1\$"); do
    tr '\0' '\n' < /proc/$p/environ 2>/dev/null | grep -qx "OMPI_COMM_WORLD_RANK=$2" && echo $p
  done
}
wait_gone() {  # until no rank of the search in $1 is left
  for _ in $(seq 100); do
    [ -z "$(pgrep -f "nesim search .*--out $1\$")" ] && return 0
    sleep 0.1
  done
  return 1
}

for resume_np in 1 3; do
  d="$W/kill_worker_$resume_np"
  start_slow "$d" || fail "slow search in $d journalled nothing"
  # Rank 2 may have a forked child at this moment (its own command line and environment): kill
  # every process of rank 2, the rank first.
  pids=$(rank_pid "$d" 2)
  [ -n "$pids" ] || fail "no process of rank 2 found for $d"
  kill -9 $pids
  wait $MPIRUN_PID
  rc=$?
  wait_gone "$d" || fail "ranks of $d left running after a worker was killed"
  [ $rc -ne 0 ] && grep -q "rank 2 .*node $(hostname)" "$d.err" && ok "a killed worker rank ends the run (exit $rc), naming rank 2 and its host" \
    || fail "killed worker: exit $rc, stderr: $(cat "$d.err")"
  n=$(cat "$d"/journal*.jsonl | wc -l)
  TRAINER_SLEEP_S=0 "${MPI[@]}" -np $resume_np "$NESIM" "${TRAIN[@]}" --out "$d" --resume > /dev/null 2> "$d.resume.err" \
    || fail "resume -np $resume_np: $(cat "$d.resume.err")"
  same_run "$W/t0" "$d" && ok "worker killed after $n journal lines, --resume on $resume_np rank(s): identical result" \
    || fail "worker killed, --resume on $resume_np rank(s) differs"
done

d="$W/kill_mpirun"
start_slow "$d" || fail "slow search in $d journalled nothing"
kill -9 $MPIRUN_PID
wait $MPIRUN_PID 2>/dev/null
wait_gone "$d" || fail "ranks left running after mpirun was killed"
n=$(cat "$d"/journal*.jsonl | wc -l)
TRAINER_SLEEP_S=0 "${MPI[@]}" -np 3 "$NESIM" "${TRAIN[@]}" --out "$d" --resume > /dev/null 2> "$d.resume.err" \
  || fail "resume after killing mpirun: $(cat "$d.resume.err")"
same_run "$W/t0" "$d" && ok "mpirun killed after $n journal lines, --resume on 3 ranks: identical result" \
  || fail "mpirun killed, resume differs"

# --- a trainer that fails on rank 2 only ---
d="$W/fail_rank2"
FAIL_ON_RANK=2 TRAINER_SLEEP_S=0 "${MPI[@]}" -np 3 "$NESIM" "${TRAIN[@]}" --out "$d" > /dev/null 2> "$d.err"
rc=$?
host=$(hostname)
if [ $rc -eq 2 ] && head -1 "$d.err" | grep -q "^nesim: error: rank 2 on host $host: .*exited with status 3.*succeeds on rank 0"; then
  ok "a trainer failing on rank 2 ends the run (exit 2): $(head -1 "$d.err" | cut -c1-60)..."
else
  fail "trainer failing on rank 2: exit $rc, stderr: $(cat "$d.err")"
fi
[ -s "$d/journal.jsonl" ] && ok "the failed run kept its journal ($(cat "$d"/journal*.jsonl | wc -l) lines)" \
  || fail "the failed run lost its journal"

[ $failures -eq 0 ] && echo "all MPI checks passed" && exit 0
echo "$failures MPI check(s) failed"
exit 1
