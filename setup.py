"""Builds SBNet's compiled TensorFlow ops (custom_ops/sbnet/) into ``zoo/sbnet/_sbnet_ops*.so``, which
:mod:`zoo.sbnet.native` loads.

Install TensorFlow first, then ``pip install -e . --no-build-isolation`` (as ``make install`` does, taking the
TensorFlow pin from pyproject.toml): the ops are compiled against the installed TensorFlow's headers and ABI flags
(``tf.sysconfig``), never hard-coded ones. CUDA kernels join the same library when ``nvcc`` is found and
TensorFlow was built with CUDA; set ``ZOO_BUILD_CUDA=0`` to build the CPU kernels only.
``custom_ops/sbnet/check_build.sh`` compiles the same sources with the same flags (:func:`nvcc_command`) without
linking, also on machines whose TensorFlow has no CUDA.
"""
import glob
import os
import shutil
import subprocess
import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

SBNET_DIR = os.path.join("custom_ops", "sbnet")
SOURCES = [os.path.join(SBNET_DIR, "sbnet_ops.cc")]  # the op kernels of both devices (GPU ones with GOOGLE_CUDA)
CUDA_SOURCES = sorted(glob.glob(os.path.join(SBNET_DIR, "*.cu.cc")))
CUDA_ARCHS = ("75", "80", "90")  # CUDA 13 dropped sm_60/sm_70; sm_90 also ships PTX for newer GPUs
WARNINGS_OFF = ["-Wno-deprecated-declarations", "-Wno-interference-size", "-Wno-unused-result"]


def nvcc_command(source, output, compile_flags):
    """The nvcc command compiling the CUDA ``source`` to the object file ``output``: SASS for each of CUDA_ARCHS
    plus PTX of the newest (for later GPUs), with TensorFlow's ``compile_flags`` (its include path and ABI)."""
    arch_flags = [f"-gencode=arch=compute_{a},code=sm_{a}" for a in CUDA_ARCHS]
    arch_flags.append(f"-gencode=arch=compute_{CUDA_ARCHS[-1]},code=compute_{CUDA_ARCHS[-1]}")
    return [_nvcc() or "nvcc", "-std=c++17", "-c", "-x", "cu", "-O3", "-DNDEBUG", "-Xcompiler", "-fPIC",
            *arch_flags, "-I", SBNET_DIR, *compile_flags, source, "-o", output]


def _log(message):
    print(f"zoo ops: {message}", file=sys.stderr, flush=True)


def _run(command):
    _log(" ".join(command))
    subprocess.run(command, check=True)


def _cuda_reason_to_skip(tf):
    """Why the CUDA kernels cannot be built here, or None when they can."""
    if os.environ.get("ZOO_BUILD_CUDA", "1") == "0":
        return "ZOO_BUILD_CUDA=0"
    if not tf.test.is_built_with_cuda():
        return "the installed TensorFlow was built without CUDA"
    if _nvcc() is None:
        return "no nvcc on PATH or in $CUDA_HOME/bin"
    return None


def _nvcc():
    cuda_home = os.environ.get("CUDA_HOME", "/usr/local/cuda")
    candidate = os.path.join(cuda_home, "bin", "nvcc")
    return shutil.which("nvcc") or (candidate if os.path.exists(candidate) else None)


def _cuda_home():
    """The toolkit root holding cudart: nvcc's grandparent, unless nvcc is a wrapper script elsewhere."""
    candidates = [os.path.dirname(os.path.dirname(os.path.realpath(_nvcc()))),
                  os.environ.get("CUDA_HOME", "/usr/local/cuda")]
    for home in candidates:
        if os.path.exists(os.path.join(home, "lib64", "libcudart_static.a")):
            return home
    raise RuntimeError(f"no libcudart_static.a under {' or '.join(candidates)}; set CUDA_HOME to the toolkit root "
                       "or ZOO_BUILD_CUDA=0")


class BuildTensorFlowOps(build_ext):
    """Compiles each extension with g++ (and nvcc for ``*.cu.cc``) using TensorFlow's own flags."""

    def build_extension(self, ext):
        try:
            import tensorflow as tf
        except ImportError as error:
            raise RuntimeError("zoo's ops compile against the installed TensorFlow: install it first "
                               "(the tensorflow== pin of pyproject.toml), then pip install -e . --no-build-isolation"
                               ) from error

        compile_flags = tf.sysconfig.get_compile_flags()
        link_flags = tf.sysconfig.get_link_flags()
        output = self.get_ext_fullpath(ext.name)
        os.makedirs(os.path.dirname(output), exist_ok=True)
        build_dir = os.path.join(self.build_temp, "custom_ops")
        os.makedirs(build_dir, exist_ok=True)

        objects, cuda_link, defines = [], [], []
        reason = _cuda_reason_to_skip(tf)
        if reason is None and CUDA_SOURCES:
            defines = ["-DGOOGLE_CUDA=1"]
            objects = [self._nvcc_compile(source, build_dir, compile_flags) for source in CUDA_SOURCES]
            cuda_home = _cuda_home()
            defines += [f"-I{os.path.join(cuda_home, 'include')}"]
            # Embed this toolkit's cudart and hide its symbols: libtensorflow_framework exports cudart symbols
            # of its own CUDA version, which would otherwise bind first (TF_FEASIBILITY §4).
            cuda_link = [os.path.join(cuda_home, "lib64", "libcudart_static.a"), "-Wl,--exclude-libs,ALL",
                         "-ldl", "-lrt", "-lpthread"]
        else:
            _log(f"CUDA kernels skipped ({reason or 'no *.cu.cc sources'}); building the CPU kernels only")
        _run(["g++", "-std=c++17", "-shared", "-fPIC", "-O3", "-DNDEBUG", *WARNINGS_OFF, *defines, *SOURCES,
              *objects, "-o", output, *compile_flags, *cuda_link, *link_flags])

    def _nvcc_compile(self, source, build_dir, compile_flags):
        obj = os.path.join(build_dir, os.path.basename(source) + ".o")
        _run(nvcc_command(source, obj, compile_flags))
        return obj


if __name__ == "__main__":  # pip runs setup.py as __main__; check_build.sh imports it for nvcc_command()
    setup(
        ext_modules=[Extension("zoo.sbnet._sbnet_ops", sources=SOURCES + CUDA_SOURCES,
                               depends=glob.glob(os.path.join(SBNET_DIR, "*.h")))],
        cmdclass={"build_ext": BuildTensorFlowOps},
    )
