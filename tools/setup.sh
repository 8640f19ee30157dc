#!/usr/bin/env bash
# Installs what Distill needs on a Debian machine and is missing. Without arguments, what the quickstart needs: the
# Fashion-MNIST data set and the tools the build uses to make TorchSharp's native library load on Debian 12
# (patchelf, a C compiler). With --tests, also what the test suite starts for real: NumPy, PyTorch (python3-torch)
# and ONNX (python3-onnx, for its checker) for the interoperability tests, PostgreSQL for the scale-out tests (each
# starts its own server with initdb), Slurm and MUNGE for the Slurm engine's tests (each starts a single-node cluster
# of its own), and Chromium for the report test.
# Safe to run again: it installs only what is absent. Needs root (or sudo) for apt-get.
set -euo pipefail

wanted=(dataset-fashion-mnist patchelf gcc libc6-dev)
case "${1:-}" in
    "") ;;
    --tests) wanted+=(python3-numpy python3-torch python3-onnx postgresql slurm-wlm munge chromium) ;;
    *) echo "usage: tools/setup.sh [--tests]" >&2; exit 2 ;;
esac

packages=()
have_package() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
for p in "${wanted[@]}"; do
    have_package "$p" || packages+=("$p")
done

if ((${#packages[@]})); then
    echo "setup: installing ${packages[*]}"
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -qq
    $sudo apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
fi

command -v dotnet >/dev/null || { echo "setup: the .NET 10 SDK is missing (https://dot.net)"; exit 1; }
echo "setup: ready"
