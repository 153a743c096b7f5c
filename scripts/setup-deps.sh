#!/usr/bin/env bash
# Installs every Debian package the course and the grader need (grader-design §8).
# Idempotent: packages already present are skipped, so a second run costs a second.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config patch
  libgtest-dev libgmock-dev librapidcheck-dev
  libyaml-cpp-dev libgit2-dev libasio-dev nlohmann-json3-dev libcli11-dev libfmt-dev libexpected-dev
  libssl-dev libseccomp-dev libboost-dev libpugixml-dev
  gdb libc6-dbg curl python3 util-linux git
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup-deps: all ${#packages[@]} packages present"
  exit 0
fi

echo "setup-deps: installing ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
  sudo=sudo
else
  sudo=
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
