// SBNet block kernels in plain C++ (no TensorFlow): the CPU implementation behind the TensorFlow ops in
// sbnet_ops.cc, and the reference the standalone CUDA harness compares the GPU kernels with.
//
// Geometry (per spatial axis): block k of an index (n, bi, bj) covers rows
// [offset_h + bi * stride_h, offset_h + bi * stride_h + size_h) and the matching columns of image n.
// Rows or columns outside the image read as zero (gather) and are skipped (scatter).
#ifndef ZOO_SBNET_KERNELS_H_
#define ZOO_SBNET_KERNELS_H_

#include <algorithm>
#include <cstdint>

namespace zoo_sbnet {

struct BlockGeometry {
  int size_h, size_w;      // block extent
  int stride_h, stride_w;  // distance between neighbouring blocks
  int offset_h, offset_w;  // origin of block (0, 0); negative for SAME padding
};

struct ImageShape {
  int64_t n, h, w, c;  // NHWC
};

// True when the pooled mask over block (n, bi, bj) exceeds tol. Pixels outside the image count as zero;
// average pooling divides by the full block area, as the official op does. Max pooling is tested as "some
// pixel > tol" (NaN pixels never are), row by row so the compiler can vectorise and stop at the first hit.
inline bool BlockIsActive(const float* mask, const ImageShape& shape, const BlockGeometry& g, int64_t n,
                          int64_t bi, int64_t bj, float tol, bool avgpool) {
  const int64_t y0 = g.offset_h + bi * g.stride_h, x0 = g.offset_w + bj * g.stride_w;
  const int64_t ya = std::max<int64_t>(y0, 0), yb = std::min<int64_t>(y0 + g.size_h, shape.h);
  const int64_t xa = std::max<int64_t>(x0, 0), xb = std::min<int64_t>(x0 + g.size_w, shape.w);
  const float* image = mask + n * shape.h * shape.w;
  if (avgpool) {
    double sum = 0.0;
    for (int64_t y = ya; y < yb; ++y)
      for (int64_t x = xa; x < xb; ++x) sum += image[y * shape.w + x];
    return sum / (static_cast<double>(g.size_h) * g.size_w) > tol;
  }
  const bool clipped = ya > y0 || xa > x0 || yb < y0 + g.size_h || xb < x0 + g.size_w;
  if (clipped && 0.0f > tol) return true;
  for (int64_t y = ya; y < yb; ++y) {
    const float* row = image + y * shape.w;
    bool hit = false;
    for (int64_t x = xa; x < xb; ++x) hit |= row[x] > tol;
    if (hit) return true;
  }
  return false;
}

// Copies the window of block `index` = (n, bi, bj) out of x (NHWC) into `out`, a [size_h, size_w, c] block,
// or [c, size_h, size_w] when `transpose`. Out-of-image pixels become zero. In NHWC the in-image part of a
// block row is one contiguous span of x, so each row is a single copy plus zero-filled margins.
template <typename T>
void GatherBlock(const T* x, const ImageShape& shape, const BlockGeometry& g, const int32_t* index, T* out,
                 bool transpose) {
  const int64_t n = index[0], y0 = g.offset_h + int64_t{index[1]} * g.stride_h;
  const int64_t x0 = g.offset_w + int64_t{index[2]} * g.stride_w, c = shape.c;
  const int64_t xa = std::max<int64_t>(x0, 0), xb = std::max(xa, std::min<int64_t>(x0 + g.size_w, shape.w));
  const int64_t plane = int64_t{g.size_h} * g.size_w;
  for (int64_t dy = 0; dy < g.size_h; ++dy) {
    const int64_t y = y0 + dy;
    const bool row_inside = y >= 0 && y < shape.h && xb > xa;
    const T* src = x + ((n * shape.h + y) * shape.w + xa) * c;
    if (!transpose) {
      T* dst = out + dy * g.size_w * c;
      if (!row_inside) {
        std::fill(dst, dst + g.size_w * c, T(0));
        continue;
      }
      std::fill(dst, dst + (xa - x0) * c, T(0));
      std::copy(src, src + (xb - xa) * c, dst + (xa - x0) * c);
      std::fill(dst + (xb - x0) * c, dst + g.size_w * c, T(0));
    } else {
      for (int64_t dx = 0; dx < g.size_w; ++dx) {
        const int64_t xx = x0 + dx, at = dy * g.size_w + dx;
        const bool inside = row_inside && xx >= xa && xx < xb;
        for (int64_t ch = 0; ch < c; ++ch) out[ch * plane + at] = inside ? src[(xx - xa) * c + ch] : T(0);
      }
    }
  }
}

// Writes (or adds, when `add`) channels [c_begin, c_end) of `block` ([size_h, size_w, c], or
// [c, size_h, size_w] when `transpose`) into y (NHWC) at block `index`; out-of-image pixels are skipped.
template <typename T>
void ScatterBlock(const T* block, const ImageShape& shape, const BlockGeometry& g, const int32_t* index, T* y,
                  bool add, bool transpose, int64_t c_begin, int64_t c_end) {
  const int64_t n = index[0], y0 = g.offset_h + int64_t{index[1]} * g.stride_h;
  const int64_t x0 = g.offset_w + int64_t{index[2]} * g.stride_w, c = shape.c;
  const int64_t ya = std::max<int64_t>(y0, 0), yb = std::min<int64_t>(y0 + g.size_h, shape.h);
  const int64_t xa = std::max<int64_t>(x0, 0), xb = std::min<int64_t>(x0 + g.size_w, shape.w);
  const int64_t plane = int64_t{g.size_h} * g.size_w;
  const bool whole_pixels = c_begin == 0 && c_end == c;
  for (int64_t yy = ya; yy < yb; ++yy) {
    T* dst_row = y + ((n * shape.h + yy) * shape.w + xa) * c;
    const int64_t row_at = (yy - y0) * g.size_w + (xa - x0);
    if (!transpose && whole_pixels) {  // one contiguous span per row
      const T* src = block + row_at * c;
      const int64_t span = (xb - xa) * c;
      if (add) {
        for (int64_t i = 0; i < span; ++i) dst_row[i] += src[i];
      } else {
        std::copy(src, src + span, dst_row);
      }
      continue;
    }
    for (int64_t xx = xa; xx < xb; ++xx) {
      T* dst = dst_row + (xx - xa) * c;
      const int64_t at = row_at + (xx - xa);
      for (int64_t ch = c_begin; ch < c_end; ++ch) {
        const T v = transpose ? block[ch * plane + at] : block[at * c + ch];
        dst[ch] = add ? T(dst[ch] + v) : v;
      }
    }
  }
}

}  // namespace zoo_sbnet

#endif  // ZOO_SBNET_KERNELS_H_
