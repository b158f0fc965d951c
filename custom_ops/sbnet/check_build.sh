#!/usr/bin/env bash
# Compile check of the SBNet op sources for CI. It needs no GPU and no CUDA build of TensorFlow, only nvcc and the
# CUDA headers:
#   1. each header on its own, then sbnet_ops.cc both as built on a CPU-only TensorFlow and with GOOGLE_CUDA=1 (the
#      GPU launcher and kernel registrations, against the CUDA headers): g++ -fsyntax-only with TensorFlow's
#      compile flags;
#   2. each CUDA source with setup.py's own nvcc command (nvcc -c: its arch flags, TensorFlow's include flags);
#   3. the standalone CUDA harness (cuda_test/run.sh --compile-only).
# Exits non-zero at the first error.
#   bash custom_ops/sbnet/check_build.sh
# PYTHON (default: the repository's .venv/bin/python, else python3) must import tensorflow; CUDA_HOME (default
# /usr/local/cuda) locates the CUDA headers.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
if [[ -n "${PYTHON:-}" ]]; then
  python="$PYTHON"
elif [[ -x "$root/.venv/bin/python" ]]; then
  python="$root/.venv/bin/python"
else
  python=python3
fi
cuda_include="${CUDA_HOME:-/usr/local/cuda}/include"
if [[ ! -f "$cuda_include/cuda_runtime_api.h" ]]; then
  echo "check_build: no CUDA headers in $cuda_include; set CUDA_HOME to the CUDA toolkit" >&2
  exit 1
fi
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

# TensorFlow's include path and ABI flags (its import logs go to a file, shown only if it fails). TensorFlow's and
# CUDA's headers are system headers here, so that warnings in our own code stand out; like setup.py, it silences
# TensorFlow's deprecation of the tensorflow::Status API that the ops use.
tf_flags_line="$(TF_CPP_MIN_LOG_LEVEL=3 "$python" -c \
  'import tensorflow as tf; print(" ".join(tf.sysconfig.get_compile_flags()))' 2> "$out/tensorflow.log")" || {
  cat "$out/tensorflow.log" >&2
  echo "check_build: $python cannot import tensorflow; set PYTHON" >&2
  exit 1
}
read -r -a tf_flags <<< "$tf_flags_line"
gxx_flags=(-std=c++17 -fsyntax-only -Wall -Wextra -Wno-unused-parameter -Wno-deprecated-declarations)
for flag in "${tf_flags[@]}"; do
  if [[ "$flag" == -I* ]]; then gxx_flags+=(-isystem "${flag#-I}"); else gxx_flags+=("$flag"); fi
done
cuda_flags=(-DGOOGLE_CUDA=1 -isystem "$cuda_include")

cd "$here"
step() {
  echo "== $*"
}

step "1. g++ -fsyntax-only with TensorFlow's flags ($(g++ -dumpfullversion))"
for header in sbnet_block.h sbnet_kernels_cpu.h sbnet_op_common.h sbnet_launch.h; do
  step "   $header"
  g++ "${gxx_flags[@]}" -x c++ "$header"
done
step "   sbnet_kernels_gpu.h (CUDA headers)"
g++ "${gxx_flags[@]}" "${cuda_flags[@]}" -x c++ sbnet_kernels_gpu.h
step "   sbnet_launch.h with GOOGLE_CUDA=1"
g++ "${gxx_flags[@]}" "${cuda_flags[@]}" -x c++ sbnet_launch.h
step "   sbnet_ops.cc (CPU kernels)"
g++ "${gxx_flags[@]}" sbnet_ops.cc
step "   sbnet_ops.cc with GOOGLE_CUDA=1 (CPU and GPU kernels)"
g++ "${gxx_flags[@]}" "${cuda_flags[@]}" sbnet_ops.cc

step "2. nvcc -c, setup.py's command"
cd "$root"
for source in custom_ops/sbnet/*.cu.cc; do
  "$python" - "$source" "$out/$(basename "$source").o" "${tf_flags[@]}" <<'EOF'
import shlex
import subprocess
import sys

import setup  # the repository's setup.py: importing it builds nothing

command = setup.nvcc_command(sys.argv[1], sys.argv[2], sys.argv[3:])
print("   " + shlex.join(command), flush=True)
sys.exit(subprocess.call(command))
EOF
done

step "3. the standalone CUDA harness"
TMPDIR="$out" bash "$here/cuda_test/run.sh" --compile-only

echo "check_build: OK"
