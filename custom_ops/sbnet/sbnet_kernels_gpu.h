// Host launchers of SBNet's CUDA kernels (sbnet_kernels_gpu.cu.cc), with the semantics of the CPU kernels in
// sbnet_kernels_cpu.h. Plain C++ with no TensorFlow, so both the GPU launcher of the TensorFlow ops
// (sbnet_launch.h) and the standalone harness (cuda_test/) call them. Pointers named `host_*` are host memory;
// all others are device memory. Every launcher enqueues on `stream` and returns the first CUDA error it meets.
#ifndef ZOO_SBNET_KERNELS_GPU_H_
#define ZOO_SBNET_KERNELS_GPU_H_

#include <cuda_fp16.h>
#include <cuda_runtime_api.h>

#include <cstdint>

#include "sbnet_block.h"

namespace zoo_sbnet {

// Sets flags[b] to BlockIsActive(mask, ..., CandidateBlock(b, count_h, count_w), tol, avgpool) for every candidate
// block b, copies the flags into host_flags and waits for the stream, so the caller can size its output.
// mask is [shape.n, shape.h, shape.w] (shape.c is ignored); flags and host_flags hold n * count_h * count_w.
cudaError_t ActiveBlockFlagsGpu(const float* mask, const ImageShape& shape, const BlockGeometry& g, int count_h,
                                int count_w, float tol, bool avgpool, uint8_t* flags, uint8_t* host_flags,
                                cudaStream_t stream);

// GatherBlock (sbnet_kernels_cpu.h) for each of the num_blocks rows of indices ([num_blocks, 3]) into blocks
// ([num_blocks, size_h, size_w, c], or [num_blocks, c, size_h, size_w] when transpose).
template <typename T>
cudaError_t GatherBlocksGpu(const T* x, const ImageShape& shape, const BlockGeometry& g, const int32_t* indices,
                            int64_t num_blocks, T* blocks, bool transpose, cudaStream_t stream);

enum class ScatterMode {
  kWrite,      // blocks must be disjoint
  kAdd,        // blocks must be disjoint; plain read-add-write
  kAtomicAdd,  // blocks may overlap or repeat; the order of the additions is unspecified
};

// ScatterBlock for each block of blocks into y, which already holds the base image.
template <typename T>
cudaError_t ScatterBlocksGpu(const T* blocks, const ImageShape& shape, const BlockGeometry& g,
                             const int32_t* indices, int64_t num_blocks, T* y, ScatterMode mode, bool transpose,
                             cudaStream_t stream);

}  // namespace zoo_sbnet

#endif  // ZOO_SBNET_KERNELS_GPU_H_
