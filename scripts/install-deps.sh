#!/usr/bin/env bash
# Installs the Debian packages that the chosen nesim build needs, and only those missing.
#
# Usage: scripts/install-deps.sh [--tests] [--print] [CMAKE_ARGS...]
#   CMAKE_ARGS  the arguments the build is configured with: -DNESIM_WITH_TORCH=OFF skips libtorch
#               and Fashion-MNIST, -DNESIM_WITH_MPI=OFF skips Open MPI, -DNESIM_BUILD_TESTS=OFF
#               skips doctest
#   --tests     also what only the test suites use (Chromium, to check the HTML reports)
#   --print     print the packages the build needs, one line, and exit
# Without root, it uses sudo; without sudo either, it prints the apt-get line to run and exits 1.
set -euo pipefail

with_torch=1 with_mpi=1 with_tests_build=1 for_tests=0 print_only=0
for arg in "$@"; do
  case "$arg" in
    --tests) for_tests=1 ;;
    --print) print_only=1 ;;
    -DNESIM_WITH_TORCH=OFF|-DNESIM_WITH_TORCH=0|-DNESIM_WITH_TORCH=NO|-DNESIM_WITH_TORCH=FALSE|-DNESIM_WITH_TORCH:BOOL=OFF)
      with_torch=0 ;;
    -DNESIM_WITH_MPI=OFF|-DNESIM_WITH_MPI=0|-DNESIM_WITH_MPI=NO|-DNESIM_WITH_MPI=FALSE|-DNESIM_WITH_MPI:BOOL=OFF)
      with_mpi=0 ;;
    -DNESIM_BUILD_TESTS=OFF|-DNESIM_BUILD_TESTS=0|-DNESIM_BUILD_TESTS=NO|-DNESIM_BUILD_TESTS=FALSE|-DNESIM_BUILD_TESTS:BOOL=OFF)
      with_tests_build=0 ;;
    -D*|-G*) ;;  # other CMake arguments need nothing from here
    *) echo "install-deps: unknown argument '$arg' (expected --tests, --print or CMake -D arguments)" >&2; exit 2 ;;
  esac
done

# The simulator, regressor and search. Of Boost, nesim uses Boost.Math's headers only (Student's t).
pkgs=(build-essential cmake pkg-config libsystemc-dev libfmt-dev libyaml-cpp-dev nlohmann-json3-dev
      libcli11-dev libxgboost-dev libonnx-dev libprotobuf-dev protobuf-compiler libboost-dev)
if [ "$with_tests_build" = 1 ]; then pkgs+=(doctest-dev); fi
# NESIM_WITH_MPI=ON (default when found): runs across machines under mpirun (docs/distributed.md).
if [ "$with_mpi" = 1 ]; then pkgs+=(libopenmpi-dev openmpi-bin); fi
# NESIM_WITH_TORCH=ON (default): nesim-torch, the libtorch accuracy scorers and their dataset.
if [ "$with_torch" = 1 ]; then pkgs+=(libtorch-dev zlib1g-dev dataset-fashion-mnist); fi
# Tests only: headless Chromium renders the HTML reports and fails on a console error; clang
# builds the fuzzers; python3 runs the README check (scripts/readme_examples.py); python3-torch,
# -torchvision and -onnx run the ONNX checks (tests/onnx: torchvision exports, onnx.checker).
if [ "$for_tests" = 1 ]; then pkgs+=(chromium clang libclang-rt-14-dev python3 python3-torch python3-torchvision python3-onnx); fi

if [ "$print_only" = 1 ]; then echo "${pkgs[*]}"; exit 0; fi

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then exit 0; fi

line="apt-get install -y --no-install-recommends ${missing[*]}"
SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  if ! command -v sudo >/dev/null 2>&1; then
    echo "install-deps: missing Debian packages, and neither root nor sudo is available here. As root, run:" >&2
    echo "  apt-get update && $line" >&2
    exit 1
  fi
  SUDO=(sudo)
fi
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
