// SBNet's per-block copies on the CPU, in plain C++ with no TensorFlow: what the CPU launcher (sbnet_launch.h)
// runs on TensorFlow's thread pool, and the reference the standalone CUDA harness (cuda_test/) checks the GPU
// kernels against. The block geometry and reduce_mask's test are in sbnet_block.h, shared with the GPU.
#ifndef ZOO_SBNET_KERNELS_CPU_H_
#define ZOO_SBNET_KERNELS_CPU_H_

#include <algorithm>
#include <cstdint>

#include "sbnet_block.h"

namespace zoo_sbnet {

// Copies the window of `block` out of x (NHWC) into `out`, a [size_h, size_w, c] block, or [c, size_h, size_w]
// when `transpose`. Out-of-image pixels become zero. In NHWC the in-image part of a block row is one contiguous
// span of x, so each row is a single copy plus zero-filled margins.
template <typename T>
void GatherBlock(const T* x, const ImageShape& shape, const BlockGeometry& g, const BlockIndex& block, T* out,
                 bool transpose) {
  const Window w = BlockWindow(shape, g, block);
  const int64_t c = shape.c, plane = int64_t{g.size_h} * g.size_w;
  for (int64_t dy = 0; dy < g.size_h; ++dy) {
    const int64_t y = w.y0 + dy;
    const bool row_inside = y >= w.ya && y < w.yb && w.xa < w.xb;
    const T* src = row_inside ? x + ((w.n * shape.h + y) * shape.w + w.xa) * c : nullptr;
    if (!transpose) {
      T* dst = out + dy * g.size_w * c;
      if (!row_inside) {
        std::fill(dst, dst + g.size_w * c, T(0));
        continue;
      }
      std::fill(dst, dst + (w.xa - w.x0) * c, T(0));
      std::copy(src, src + (w.xb - w.xa) * c, dst + (w.xa - w.x0) * c);
      std::fill(dst + (w.xb - w.x0) * c, dst + g.size_w * c, T(0));
    } else {
      for (int64_t dx = 0; dx < g.size_w; ++dx) {
        const int64_t xx = w.x0 + dx, at = dy * g.size_w + dx;
        const bool inside = row_inside && xx >= w.xa && xx < w.xb;
        for (int64_t ch = 0; ch < c; ++ch) out[ch * plane + at] = inside ? src[(xx - w.xa) * c + ch] : T(0);
      }
    }
  }
}

// Writes (or adds, when `add`) channels [c_begin, c_end) of `block_data` ([size_h, size_w, c], or
// [c, size_h, size_w] when `transpose`) into y (NHWC) at `block`; out-of-image pixels are skipped.
template <typename T>
void ScatterBlock(const T* block_data, const ImageShape& shape, const BlockGeometry& g, const BlockIndex& block, T* y,
                  bool add, bool transpose, int64_t c_begin, int64_t c_end) {
  const Window w = BlockWindow(shape, g, block);
  const int64_t c = shape.c, plane = int64_t{g.size_h} * g.size_w;
  const bool whole_pixels = c_begin == 0 && c_end == c;
  for (int64_t yy = w.ya; yy < w.yb; ++yy) {
    T* dst_row = y + ((w.n * shape.h + yy) * shape.w + w.xa) * c;
    const int64_t row_at = (yy - w.y0) * g.size_w + (w.xa - w.x0);
    if (!transpose && whole_pixels) {  // one contiguous span per row
      const T* src = block_data + row_at * c;
      const int64_t span = (w.xb - w.xa) * c;
      if (add) {
        for (int64_t i = 0; i < span; ++i) dst_row[i] += src[i];
      } else {
        std::copy(src, src + span, dst_row);
      }
      continue;
    }
    for (int64_t xx = w.xa; xx < w.xb; ++xx) {
      T* dst = dst_row + (xx - w.xa) * c;
      const int64_t at = row_at + (xx - w.xa);
      for (int64_t ch = c_begin; ch < c_end; ++ch) {
        const T v = transpose ? block_data[ch * plane + at] : block_data[at * c + ch];
        dst[ch] = add ? T(dst[ch] + v) : v;
      }
    }
  }
}

}  // namespace zoo_sbnet

#endif  // ZOO_SBNET_KERNELS_CPU_H_
