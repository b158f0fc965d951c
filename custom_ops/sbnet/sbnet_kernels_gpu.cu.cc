// CUDA kernels of SBNet's ops and their host launchers (declared in sbnet_kernels_gpu.h). No TensorFlow here:
// setup.py compiles this file with nvcc alone, and cuda_test/harness.cu checks it against the CPU kernels.
//
// Like the CPU kernels, gather and scatter (NHWC blocks) move rows: one CUDA block per (sparse block, block row),
// whose threads walk the row's contiguous span of the image with consecutive addresses, so the accesses coalesce
// and no thread divides an element number into (pixel, channel). The transposed layouts keep one CUDA block per
// sparse block with the per-element (pixel, channel) arithmetic that the transposition needs. reduce_mask's max
// pooling gives each candidate block a warp, which reads the window row by row (coalesced) and stops at the first
// row with a hit; average pooling keeps one thread per candidate, summing in BlockIsActive's order, so the sums (and
// the flags) equal the CPU's.
#include <algorithm>
#include <climits>

#include "sbnet_kernels_gpu.h"

namespace zoo_sbnet {
namespace {

constexpr int kMaxThreads = 256;
constexpr int kWarp = 32;
constexpr int kMaxGridY = 65535;  // CUDA's limit on gridDim.y

// Average pooling: one thread per candidate block; BlockIsActive is the CPU's own function (sbnet_block.h), so the
// double sums are added in the same order and the flags match.
__global__ void AveragePoolFlagsKernel(const float* mask, ImageShape shape, BlockGeometry g, int count_h,
                                       int count_w, float tol, int64_t total, uint8_t* flags) {
  const int64_t b = blockIdx.x * int64_t{blockDim.x} + threadIdx.x;
  if (b >= total) return;
  flags[b] = BlockIsActive(mask, shape, g, CandidateBlock(b, count_h, count_w), tol, true);
}

// Max pooling: one warp per candidate block (blockDim.x is a multiple of the warp, so a warp shares b). The lanes
// read consecutive columns of a window row; the warp stops after the first row in which some pixel is > tol. The
// test is BlockIsActive's, which is exact, so the flags match the CPU's.
__global__ void MaxPoolFlagsKernel(const float* mask, ImageShape shape, BlockGeometry g, int count_h, int count_w,
                                   float tol, int64_t total, uint8_t* flags) {
  const int64_t b = (blockIdx.x * int64_t{blockDim.x} + threadIdx.x) / kWarp;
  const int lane = threadIdx.x % kWarp;
  if (b >= total) return;  // the whole warp
  const Window w = BlockWindow(shape, g, CandidateBlock(b, count_h, count_w));
  const float* image = mask + w.n * shape.h * shape.w;
  bool hit = false;
  for (int64_t y = w.ya; y < w.yb && !hit; ++y) {
    bool lane_hit = false;
    for (int64_t x = w.xa + lane; x < w.xb; x += kWarp) lane_hit |= image[y * shape.w + x] > tol;  // NaN: false
    hit = __any_sync(0xffffffffu, lane_hit);
  }
  const bool clipped = w.yb - w.ya < g.size_h || w.xb - w.xa < g.size_w;
  if (lane == 0) flags[b] = hit || (clipped && 0.0f > tol);
}

// Where element e of a transposed block ([c, size_h, size_w]) lands in the image.
struct BlockElement {
  int64_t y, x;
  int ch;
};

__device__ BlockElement Locate(int e, const BlockGeometry& g, const Window& w) {
  const int plane = g.size_h * g.size_w;
  const int ch = e / plane, at = e - ch * plane;
  const int dy = at / g.size_w;
  return {w.y0 + dy, w.x0 + (at - dy * g.size_w), ch};
}

// NHWC blocks: CUDA block (k, r) copies rows r, r + gridDim.y, ... of sparse block k. In a block row, elements
// [lo, hi) lie inside the image (one contiguous span of x) and the rest are zero padding.
template <typename T>
__global__ void GatherRowsKernel(const T* x, ImageShape shape, BlockGeometry g, const int32_t* indices, T* blocks) {
  const Window w = BlockWindow(shape, g, IndexRow(indices, blockIdx.x));
  const int64_t c = shape.c, row = int64_t{g.size_w} * c;
  const int64_t lo = (w.xa - w.x0) * c, hi = (w.xb - w.x0) * c;
  for (int64_t dy = blockIdx.y; dy < g.size_h; dy += gridDim.y) {
    const int64_t y = w.y0 + dy;
    const bool inside = y >= w.ya && y < w.yb;
    const T* src = x + ((w.n * shape.h + (inside ? y : 0)) * shape.w + w.xa) * c;  // element lo of the row
    T* out = blocks + (int64_t{blockIdx.x} * g.size_h + dy) * row;
    for (int64_t e = threadIdx.x; e < row; e += blockDim.x) {
      out[e] = inside && e >= lo && e < hi ? src[e - lo] : T(0.0f);
    }
  }
}

// NHWC blocks: CUDA block (k, r) writes, adds or atomically adds the in-image span of rows r, r + gridDim.y, ... of
// sparse block k into the image.
template <typename T>
__global__ void ScatterRowsKernel(const T* blocks, ImageShape shape, BlockGeometry g, const int32_t* indices,
                                  ScatterMode mode, T* y) {
  const Window w = BlockWindow(shape, g, IndexRow(indices, blockIdx.x));
  const int64_t c = shape.c, row = int64_t{g.size_w} * c;
  const int64_t lo = (w.xa - w.x0) * c, span = (w.xb - w.xa) * c;
  for (int64_t yy = w.ya + blockIdx.y; yy < w.yb; yy += gridDim.y) {
    const T* src = blocks + (int64_t{blockIdx.x} * g.size_h + (yy - w.y0)) * row + lo;
    T* dst = y + ((w.n * shape.h + yy) * shape.w + w.xa) * c;
    for (int64_t e = threadIdx.x; e < span; e += blockDim.x) {
      if (mode == ScatterMode::kWrite) {
        dst[e] = src[e];
      } else if (mode == ScatterMode::kAdd) {
        dst[e] = dst[e] + src[e];  // __half: rounds like Eigen::half's add through float (see ScatterKernel)
      } else {
        atomicAdd(dst + e, src[e]);
      }
    }
  }
}

// Transposed blocks ([c, h, w]): one CUDA block per sparse block; its threads walk the block's elements in memory
// order, so the image side's accesses are strided by the plane.
template <typename T>
__global__ void GatherKernel(const T* x, ImageShape shape, BlockGeometry g, const int32_t* indices, int elements,
                             T* blocks) {
  const Window w = BlockWindow(shape, g, IndexRow(indices, blockIdx.x));
  T* out = blocks + int64_t{blockIdx.x} * elements;
  for (int e = threadIdx.x; e < elements; e += blockDim.x) {
    const BlockElement p = Locate(e, g, w);
    const bool inside = p.y >= w.ya && p.y < w.yb && p.x >= w.xa && p.x < w.xb;
    out[e] = inside ? x[((w.n * shape.h + p.y) * shape.w + p.x) * shape.c + p.ch] : T(0.0f);
  }
}

template <typename T>
__global__ void ScatterKernel(const T* blocks, ImageShape shape, BlockGeometry g, const int32_t* indices,
                              int elements, ScatterMode mode, T* y) {
  const Window w = BlockWindow(shape, g, IndexRow(indices, blockIdx.x));
  const T* in = blocks + int64_t{blockIdx.x} * elements;
  for (int e = threadIdx.x; e < elements; e += blockDim.x) {
    const BlockElement p = Locate(e, g, w);
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

// Threads for a CUDA block that walks `elements` values: whole warps, at most kMaxThreads.
int ThreadsFor(int64_t elements) {
  return static_cast<int>(std::min<int64_t>(kMaxThreads, (elements + kWarp - 1) / kWarp * kWarp));
}

// The grid of the row kernels: a CUDA block per (sparse block, block row), rows beyond kMaxGridY looping.
dim3 RowGrid(int64_t num_blocks, int rows) {
  return dim3(static_cast<unsigned>(num_blocks), static_cast<unsigned>(std::max(1, std::min(rows, kMaxGridY))));
}

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
  const int64_t threads = avgpool ? total : total * kWarp;  // a warp per block for max pooling
  const int64_t grid = (threads + kMaxThreads - 1) / kMaxThreads;
  if (grid > INT_MAX) return cudaErrorInvalidValue;
  if (avgpool) {
    AveragePoolFlagsKernel<<<static_cast<unsigned>(grid), kMaxThreads, 0, stream>>>(mask, shape, g, count_h, count_w,
                                                                                    tol, total, flags);
  } else {
    MaxPoolFlagsKernel<<<static_cast<unsigned>(grid), kMaxThreads, 0, stream>>>(mask, shape, g, count_h, count_w,
                                                                                tol, total, flags);
  }
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
  if (transpose) {
    GatherKernel<T><<<static_cast<unsigned>(num_blocks), ThreadsFor(elements), 0, stream>>>(x, shape, g, indices,
                                                                                            elements, blocks);
  } else {
    GatherRowsKernel<T><<<RowGrid(num_blocks, g.size_h), ThreadsFor(int64_t{g.size_w} * shape.c), 0, stream>>>(
        x, shape, g, indices, blocks);
  }
  return cudaGetLastError();
}

template <typename T>
cudaError_t ScatterBlocksGpu(const T* blocks, const ImageShape& shape, const BlockGeometry& g,
                             const int32_t* indices, int64_t num_blocks, T* y, ScatterMode mode, bool transpose,
                             cudaStream_t stream) {
  if (num_blocks == 0) return cudaSuccess;
  const int elements = BlockElements(shape, g, num_blocks);
  if (elements < 0) return cudaErrorInvalidValue;
  if (transpose) {
    ScatterKernel<T><<<static_cast<unsigned>(num_blocks), ThreadsFor(elements), 0, stream>>>(
        blocks, shape, g, indices, elements, mode, y);
  } else {
    ScatterRowsKernel<T><<<RowGrid(num_blocks, g.size_h), ThreadsFor(int64_t{g.size_w} * shape.c), 0, stream>>>(
        blocks, shape, g, indices, mode, y);
  }
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
