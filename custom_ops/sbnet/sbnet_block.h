// SBNet's block geometry and reduce_mask's per-block test, shared by the CPU kernels, the CUDA kernels and the
// input checks: plain C++ with no TensorFlow and no CUDA headers, every function __host__ __device__ when nvcc
// compiles it, so both devices compute each window and each flag with the same code.
//
// Geometry (per spatial axis): block (n, bi, bj) covers rows [offset_h + bi * stride_h, ... + size_h) and the
// matching columns of image n. Pixels outside the image read as zero (gather, reduce_mask) and are skipped
// (scatter).
#ifndef ZOO_SBNET_BLOCK_H_
#define ZOO_SBNET_BLOCK_H_

#include <cstdint>

#ifdef __CUDACC__
#define ZOO_SBNET_HOST_DEVICE __host__ __device__
#else
#define ZOO_SBNET_HOST_DEVICE
#endif

namespace zoo_sbnet {

struct BlockGeometry {
  int size_h, size_w;      // block extent
  int stride_h, stride_w;  // distance between neighbouring blocks
  int offset_h, offset_w;  // origin of block (0, 0); negative for SAME padding
};

struct ImageShape {
  int64_t n, h, w, c;  // NHWC
};

// One block: image n, block row bi, block column bj.
struct BlockIndex {
  int64_t n, bi, bj;
};

// What a scatter's output holds outside its blocks: zeros (sparse_scatter_zeros), a copy of the base image
// (sparse_scatter), or what it holds already (sparse_scatter into base's own buffer, forwarded by TensorFlow).
enum class ScatterBase { kZeros, kCopy, kInPlace };

// Candidate block b of reduce_mask, numbering [N, count_h, count_w] row-major: the order of the op's output.
ZOO_SBNET_HOST_DEVICE inline BlockIndex CandidateBlock(int64_t b, int count_h, int count_w) {
  const int64_t per_image = int64_t{count_h} * count_w;
  return {b / per_image, b % per_image / count_w, b % count_w};
}

// Row k of an int32 [K, 3] block index tensor (n, block row, block column).
ZOO_SBNET_HOST_DEVICE inline BlockIndex IndexRow(const int32_t* indices, int64_t k) {
  return {indices[3 * k], indices[3 * k + 1], indices[3 * k + 2]};
}

// Where a block lies in its image: the top-left pixel (y0, x0) of its window, which may be outside, and the
// rows [ya, yb) and columns [xa, xb) of the window that are inside (an empty range when none are).
struct Window {
  int64_t n, y0, x0, ya, yb, xa, xb;
};

ZOO_SBNET_HOST_DEVICE inline int64_t Clamp(int64_t v, int64_t low, int64_t high) {
  return v < low ? low : v > high ? high : v;
}

// The window of `block`, in int64: block row x stride needs up to 62 bits.
ZOO_SBNET_HOST_DEVICE inline Window BlockWindow(const ImageShape& shape, const BlockGeometry& g,
                                                const BlockIndex& block) {
  const int64_t y0 = g.offset_h + block.bi * g.stride_h, x0 = g.offset_w + block.bj * g.stride_w;
  const int64_t ya = Clamp(y0, 0, shape.h), xa = Clamp(x0, 0, shape.w);
  return {block.n, y0, x0, ya, Clamp(y0 + g.size_h, ya, shape.h), xa, Clamp(x0 + g.size_w, xa, shape.w)};
}

// True when the pooled mask ([N, H, W]; shape.c is ignored) over `block` exceeds tol. Pixels outside the image
// count as zero; average pooling sums in double and divides by the full block area, as the official op does.
// Max pooling is tested as "some pixel > tol" (NaN pixels never are), row by row so that a CPU compiler can
// vectorise each row and stop at the first row with a hit.
ZOO_SBNET_HOST_DEVICE inline bool BlockIsActive(const float* mask, const ImageShape& shape, const BlockGeometry& g,
                                                const BlockIndex& block, float tol, bool avgpool) {
  const Window w = BlockWindow(shape, g, block);
  const float* image = mask + w.n * shape.h * shape.w;
  if (avgpool) {
    double sum = 0.0;
    for (int64_t y = w.ya; y < w.yb; ++y)
      for (int64_t x = w.xa; x < w.xb; ++x) sum += image[y * shape.w + x];
    return sum / (static_cast<double>(g.size_h) * g.size_w) > tol;
  }
  const bool clipped = w.yb - w.ya < g.size_h || w.xb - w.xa < g.size_w;
  if (clipped && 0.0f > tol) return true;  // the zeros outside the image exceed a negative tol
  for (int64_t y = w.ya; y < w.yb; ++y) {
    const float* row = image + y * shape.w;
    bool hit = false;
    for (int64_t x = w.xa; x < w.xb; ++x) hit |= row[x] > tol;
    if (hit) return true;
  }
  return false;
}

}  // namespace zoo_sbnet

#endif  // ZOO_SBNET_BLOCK_H_
