#!/usr/bin/env bash
# Builds the standalone CUDA harness (harness.cu + ../sbnet_kernels_gpu.cu.cc, no TensorFlow) and runs it on this
# machine's GPU, comparing the GPU kernels with the CPU ones.
#   bash custom_ops/sbnet/cuda_test/run.sh [--compile-only] [cases] [seed]
# --compile-only builds for sm_90 (no GPU needed) and stops. NVCC and ZOO_CUDA_ARCH override the compiler and
# the target (default: the GPU present). The binary goes to $TMPDIR (default /tmp), outside the repository.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
sbnet="$(dirname "$here")"
binary="${TMPDIR:-/tmp}/zoo_sbnet_cuda_harness"
compile_only=0
if [[ "${1:-}" == "--compile-only" ]]; then
  compile_only=1
  shift
fi
arch="${ZOO_CUDA_ARCH:-$([[ $compile_only == 1 ]] && echo sm_90 || echo native)}"

"${NVCC:-nvcc}" -std=c++17 -O3 -arch="$arch" -x cu -I "$sbnet" "$here/harness.cu" "$sbnet/sbnet_kernels_gpu.cu.cc" \
  -o "$binary"
echo "built $binary for $arch"
if [[ $compile_only == 1 ]]; then
  exit 0
fi
"$binary" "$@"
