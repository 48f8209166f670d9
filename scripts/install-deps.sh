#!/usr/bin/env bash
# Installs nesim's build dependencies from Debian's packages, only those missing.
# Usage: scripts/install-deps.sh            (core: simulator, regressor)
set -euo pipefail
pkgs=(build-essential cmake pkg-config libsystemc-dev libboost-all-dev libfmt-dev
      libyaml-cpp-dev doctest-dev nlohmann-json3-dev libcli11-dev libxgboost-dev
      zlib1g-dev libtorch-dev dataset-fashion-mnist)  # the last three: NESIM_WITH_TORCH=ON (default)
pkgs+=(chromium)  # tests only: tests/report loads the HTML reports in headless Chromium
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then exit 0; fi
echo "install-deps: installing ${missing[*]}" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
