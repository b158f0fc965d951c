// CUDA kernels of SBNet's ops and their host launchers (declared in sbnet_kernels_gpu.h). No TensorFlow here:
// setup.py compiles this file with nvcc alone, and cuda_test/harness.cu checks it against the CPU kernels.
#include <algorithm>
#include <climits>

#include "sbnet_kernels_gpu.h"

namespace zoo_sbnet {
namespace {

constexpr int kMaxThreads = 256;

// One thread per candidate block; BlockIsActive is the CPU's own function (sbnet_block.h), so the flags match.
__global__ void ActiveBlockFlagsKernel(const float* mask, ImageShape shape, BlockGeometry g, int count_h,
                                       int count_w, float tol, bool avgpool, int64_t total, uint8_t* flags) {
  const int64_t b = blockIdx.x * int64_t{blockDim.x} + threadIdx.x;
  if (b >= total) return;
  flags[b] = BlockIsActive(mask, shape, g, CandidateBlock(b, count_h, count_w), tol, avgpool);
}

// Where element e of a block ([size_h, size_w, c], or [c, size_h, size_w] when transpose) lands in the image.
struct BlockElement {
  int64_t y, x;
  int ch;
};

__device__ BlockElement Locate(int e, int c, const BlockGeometry& g, const Window& w, bool transpose) {
  int ch, at;
  if (transpose) {
    const int plane = g.size_h * g.size_w;
    ch = e / plane;
    at = e - ch * plane;
  } else {
    at = e / c;
    ch = e - at * c;
  }
  const int dy = at / g.size_w;
  return {w.y0 + dy, w.x0 + (at - dy * g.size_w), ch};
}

// One CUDA block per sparse block; its threads walk the block's elements in memory order, so the channel-
// innermost layout gives coalesced accesses on the image side (and on the block side when not transposed).
template <typename T>
__global__ void GatherKernel(const T* x, ImageShape shape, BlockGeometry g, const int32_t* indices, int elements,
                             bool transpose, T* blocks) {
  const Window w = BlockWindow(shape, g, IndexRow(indices, blockIdx.x));
  T* out = blocks + int64_t{blockIdx.x} * elements;
  for (int e = threadIdx.x; e < elements; e += blockDim.x) {
    const BlockElement p = Locate(e, static_cast<int>(shape.c), g, w, transpose);
    const bool inside = p.y >= w.ya && p.y < w.yb && p.x >= w.xa && p.x < w.xb;
    out[e] = inside ? x[((w.n * shape.h + p.y) * shape.w + p.x) * shape.c + p.ch] : T(0.0f);
  }
}

template <typename T>
__global__ void ScatterKernel(const T* blocks, ImageShape shape, BlockGeometry g, const int32_t* indices,
                              int elements, ScatterMode mode, bool transpose, T* y) {
  const Window w = BlockWindow(shape, g, IndexRow(indices, blockIdx.x));
  const T* in = blocks + int64_t{blockIdx.x} * elements;
  for (int e = threadIdx.x; e < elements; e += blockDim.x) {
    const BlockElement p = Locate(e, static_cast<int>(shape.c), g, w, transpose);
    if (p.y < w.ya || p.y >= w.yb || p.x < w.xa || p.x >= w.xb) continue;
    T* dst = y + ((w.n * shape.h + p.y) * shape.w + p.x) * shape.c + p.ch;
    if (mode == ScatterMode::kWrite) {
      *dst = in[e];
    } else if (mode == ScatterMode::kAdd) {
      // A native __half add rounds exactly like Eigen::half's add through float, whose 24 significand bits
      // (>= 2 * 11 + 2) make the double rounding harmless.
      *dst = *dst + in[e];
    } else {
      atomicAdd(dst, in[e]);
    }
  }
}

// Threads for one CUDA block per sparse block of `elements` values: whole warps, at most kMaxThreads.
int ThreadsFor(int elements) { return std::min(kMaxThreads, (elements + 31) / 32 * 32); }

// The elements of one block, or -1 when the kernels cannot index them (int) or launch that many blocks.
int BlockElements(const ImageShape& shape, const BlockGeometry& g, int64_t num_blocks) {
  const int64_t elements = int64_t{g.size_h} * g.size_w * shape.c;
  return elements > INT_MAX || num_blocks > INT_MAX ? -1 : static_cast<int>(elements);
}

}  // namespace

cudaError_t ActiveBlockFlagsGpu(const float* mask, const ImageShape& shape, const BlockGeometry& g, int count_h,
                                int count_w, float tol, bool avgpool, uint8_t* flags, uint8_t* host_flags,
                                cudaStream_t stream) {
  const int64_t total = shape.n * count_h * count_w;
  if (total == 0) return cudaSuccess;
  const int64_t grid = (total + kMaxThreads - 1) / kMaxThreads;
  if (grid > INT_MAX) return cudaErrorInvalidValue;
  ActiveBlockFlagsKernel<<<static_cast<unsigned>(grid), kMaxThreads, 0, stream>>>(mask, shape, g, count_h, count_w,
                                                                                  tol, avgpool, total, flags);
  cudaError_t status = cudaGetLastError();
  if (status == cudaSuccess) status = cudaMemcpyAsync(host_flags, flags, total, cudaMemcpyDeviceToHost, stream);
  if (status == cudaSuccess) status = cudaStreamSynchronize(stream);
  return status;
}

template <typename T>
cudaError_t GatherBlocksGpu(const T* x, const ImageShape& shape, const BlockGeometry& g, const int32_t* indices,
                            int64_t num_blocks, T* blocks, bool transpose, cudaStream_t stream) {
  if (num_blocks == 0) return cudaSuccess;
  const int elements = BlockElements(shape, g, num_blocks);
  if (elements < 0) return cudaErrorInvalidValue;
  GatherKernel<T><<<static_cast<unsigned>(num_blocks), ThreadsFor(elements), 0, stream>>>(x, shape, g, indices,
                                                                                          elements, transpose, blocks);
  return cudaGetLastError();
}

template <typename T>
cudaError_t ScatterBlocksGpu(const T* blocks, const ImageShape& shape, const BlockGeometry& g,
                             const int32_t* indices, int64_t num_blocks, T* y, ScatterMode mode, bool transpose,
                             cudaStream_t stream) {
  if (num_blocks == 0) return cudaSuccess;
  const int elements = BlockElements(shape, g, num_blocks);
  if (elements < 0) return cudaErrorInvalidValue;
  ScatterKernel<T><<<static_cast<unsigned>(num_blocks), ThreadsFor(elements), 0, stream>>>(
      blocks, shape, g, indices, elements, mode, transpose, y);
  return cudaGetLastError();
}

#define ZOO_SBNET_INSTANTIATE_GPU(T)                                                                             \
  template cudaError_t GatherBlocksGpu<T>(const T*, const ImageShape&, const BlockGeometry&, const int32_t*,    \
                                          int64_t, T*, bool, cudaStream_t);                                     \
  template cudaError_t ScatterBlocksGpu<T>(const T*, const ImageShape&, const BlockGeometry&, const int32_t*, \
                                           int64_t, T*, ScatterMode, bool, cudaStream_t);

ZOO_SBNET_INSTANTIATE_GPU(float)
ZOO_SBNET_INSTANTIATE_GPU(double)
ZOO_SBNET_INSTANTIATE_GPU(__half)
#undef ZOO_SBNET_INSTANTIATE_GPU

}  // namespace zoo_sbnet
