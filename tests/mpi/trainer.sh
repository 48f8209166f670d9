#!/bin/sh
# A stand-in trainer for the MPI tests: a score that depends only on the candidate file's bytes,
# after a short wait (so a search lasts long enough to be killed half-way). With FAIL_ON_RANK=N it
# fails on MPI rank N only, as a trainer does on a host where it cannot run.
[ -n "$FAIL_ON_RANK" ] && [ "${OMPI_COMM_WORLD_RANK:-}" = "$FAIL_ON_RANK" ] && exit 3
sleep "${TRAINER_SLEEP_S:-0.02}"
cksum "$1" | awk '{ printf "%.4f\n", ($1 % 10000) / 10000 }'
