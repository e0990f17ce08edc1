#!/usr/bin/env bash
# Installs the Debian packages Tessera needs to build and test.
# Idempotent: when every package is already present it only runs dpkg-query and exits.
set -euo pipefail

PACKAGES=(
  # toolchain
  cmake ninja-build ccache lld g++ clang clang-format clang-tidy libclang-rt-14-dev pkg-config
  # libraries (the project's chosen set; see README.md)
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  librocksdb-dev liblmdb-dev
  libspdlog-dev libfmt-dev libcli11-dev libtomlplusplus-dev nlohmann-json3-dev
  libcpp-httplib-dev libxxhash-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  # tools the end-to-end tests drive the front doors with (redis-cli, redis-benchmark, etcdctl)
  redis-tools etcd-client
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
