// SBNet's block copies on the CPU, in plain C++ with no TensorFlow: what the CPU launcher (sbnet_launch.h) runs on
// TensorFlow's thread pool, and the reference the standalone CUDA harness (cuda_test/) checks the GPU kernels
// against. The block geometry and reduce_mask's test are in sbnet_block.h, shared with the GPU.
//
// How the work is split. In NHWC the in-image part of one row of a block is ONE contiguous span of the image, so
// every kernel moves whole spans (memcpy-like loops, no index arithmetic per element), and the work items handed to
// the threads are rows: one row of one block (gather; scatter into an image that already holds its base), or one
// row of the output image (scatter onto zeros or onto a copy of the base: the row is written once, zeros or base
// between the block spans, in a single pass; reduce_mask's max pooling: one band of block rows). A thread pool
// balances rows well even when only a handful of blocks is active, which one-block-per-item work does not.
//
// In outputs of at least kStreamingBytes, the zeros and the copy of the base are written with non-temporal
// (streaming) stores where the CPU has them (SSE2, AVX2 for zeros): such an output does not stay in the caches
// anyway, and a streaming store skips reading each destination cache line before overwriting it, which halves the
// memory traffic of a zero fill or a copy. The block rows, which come from the cache (the convolution just wrote
// them), are written with ordinary stores: on the benchmark's machine that scatters a 27 MB output with 10% of its
// rows' spans from blocks in 0.6 ms instead of 0.8 ms.
//
// `parallel` arguments are callables parallel(total, cost_per_item, work) that run work(begin, end) over disjoint
// ranges covering [0, total), possibly concurrently (TensorFlow's Shard in the launcher, a plain loop in tests).
// cost_per_item is in approximate CPU cycles (MemoryCost), so that the pool leaves small work (a few hundred
// thousand cycles) on one thread instead of paying to wake another.
#ifndef ZOO_SBNET_KERNELS_CPU_H_
#define ZOO_SBNET_KERNELS_CPU_H_

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <new>
#include <vector>

#if defined(__SSE2__)
#include <emmintrin.h>
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__CUDACC__)
#include <immintrin.h>
#endif
#endif

#include "sbnet_block.h"

namespace zoo_sbnet {

// Outputs of this many bytes or more are written with streaming stores (see above). On the benchmark's machine
// (2-core AMD EPYC VM, tools/sbnet/bench.py) one core zeroes a 27 MB image in 0.70 ms with memset, 0.49 ms with
// 16-byte streaming stores (SSE2) and 0.34 ms with 32-byte ones (AVX2), and copies it in 2.8 ms with memcpy and
// 1.6 ms streaming.
constexpr int64_t kStreamingBytes = int64_t{4} << 20;

#if defined(__SSE2__) && defined(__x86_64__) && defined(__GNUC__) && !defined(__CUDACC__)
#define ZOO_SBNET_AVX2_ZERO 1
// Streaming zero stores of 32 bytes (AVX2, chosen at run time: the ops are compiled for baseline x86-64).
__attribute__((target("avx2"))) inline void StreamZeroAvx2(char* d, int64_t blocks64) {
  const __m256i zero = _mm256_setzero_si256();
  for (int64_t i = 0; i < blocks64; ++i, d += 64) {
    _mm256_stream_si256(reinterpret_cast<__m256i*>(d), zero);
    _mm256_stream_si256(reinterpret_cast<__m256i*>(d + 32), zero);
  }
}

inline bool HasAvx2() {
  static const bool has = __builtin_cpu_supports("avx2");
  return has;
}
#endif

// ----------------------------------------------------------------------------------------------------------------
// Spans of memory.

// Approximate cycles to move `bytes` bytes through memory (a streaming copy moves ~10-30 bytes per cycle).
inline int64_t MemoryCost(int64_t bytes) { return bytes / 8 + 1; }

// Zeroes `bytes` bytes at dst (all-zero bytes are +0 in every element type the ops take).
inline void ZeroBytes(void* dst, int64_t bytes, bool streaming) {
  char* d = static_cast<char*>(dst);
#if defined(__SSE2__)
  if (streaming && bytes >= 128) {
    const int64_t head = (32 - reinterpret_cast<uintptr_t>(d) % 32) % 32;
    std::memset(d, 0, head);
    d += head;
    bytes -= head;
#if defined(ZOO_SBNET_AVX2_ZERO)
    if (HasAvx2()) {
      StreamZeroAvx2(d, bytes / 64);
      d += bytes / 64 * 64;
      bytes %= 64;
    }
#endif
    const __m128i zero = _mm_setzero_si128();
    for (; bytes >= 64; bytes -= 64, d += 64) {
      _mm_stream_si128(reinterpret_cast<__m128i*>(d), zero);
      _mm_stream_si128(reinterpret_cast<__m128i*>(d + 16), zero);
      _mm_stream_si128(reinterpret_cast<__m128i*>(d + 32), zero);
      _mm_stream_si128(reinterpret_cast<__m128i*>(d + 48), zero);
    }
  }
#else
  (void)streaming;
#endif
  std::memset(d, 0, bytes);
}

// Copies `bytes` bytes from src to dst (the ranges do not overlap).
inline void CopyBytes(void* dst, const void* src, int64_t bytes, bool streaming) {
  char* d = static_cast<char*>(dst);
  const char* s = static_cast<const char*>(src);
#if defined(__SSE2__)
  if (streaming && bytes >= 64) {
    const int64_t head = (16 - reinterpret_cast<uintptr_t>(d) % 16) % 16;
    std::memcpy(d, s, head);
    d += head;
    s += head;
    bytes -= head;
    for (; bytes >= 64; bytes -= 64, d += 64, s += 64) {
      const __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s));
      const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + 16));
      const __m128i c = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + 32));
      const __m128i e = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + 48));
      _mm_stream_si128(reinterpret_cast<__m128i*>(d), a);
      _mm_stream_si128(reinterpret_cast<__m128i*>(d + 16), b);
      _mm_stream_si128(reinterpret_cast<__m128i*>(d + 32), c);
      _mm_stream_si128(reinterpret_cast<__m128i*>(d + 48), e);
    }
  }
#else
  (void)streaming;
#endif
  std::memcpy(d, s, bytes);
}

// Makes this thread's streaming stores visible before it reports its work done (they are weakly ordered).
inline void StreamingDone() {
#if defined(__SSE2__)
  _mm_sfence();
#endif
}

// dst[i] = a[i] + b[i] for i < n; a may be dst. Element types add as their own operator+ does (Eigen::half and
// bfloat16 through float, rounded once), exactly like TensorFlow's own adds.
template <typename T>
void AddSpan(T* dst, const T* a, const T* b, int64_t n) {
  for (int64_t i = 0; i < n; ++i) dst[i] = T(a[i] + b[i]);
}

// Writes `pixels` pixels of `c` channels at dst from one row of a block: src holds them as [pixels, c], or with
// `plane` > 0 (a transposed [c, h, w] block) channel ch of pixel p at src[ch * plane + p]. With `add`, dst = base
// + block (base may be dst); otherwise dst = block.
template <typename T>
void WriteSpan(T* dst, const T* base, const T* src, int64_t pixels, int64_t c, int64_t plane, bool add) {
  if (plane == 0) {
    if (add) {
      AddSpan(dst, base, src, pixels * c);
    } else {
      std::memcpy(dst, src, pixels * c * sizeof(T));
    }
    return;
  }
  for (int64_t p = 0; p < pixels; ++p) {
    for (int64_t ch = 0; ch < c; ++ch) {
      const T v = src[ch * plane + p];
      dst[p * c + ch] = add ? T(base[p * c + ch] + v) : v;
    }
  }
}

// ----------------------------------------------------------------------------------------------------------------
// Reference semantics, one block at a time (the standalone CUDA harness compares the GPU kernels with these).

// Copies the window of `block` out of x (NHWC) into `out`, a [size_h, size_w, c] block, or [c, size_h, size_w]
// when `transpose`. Out-of-image pixels become zero.
template <typename T>
void GatherBlock(const T* x, const ImageShape& shape, const BlockGeometry& g, const BlockIndex& block, T* out,
                 bool transpose) {
  const Window w = BlockWindow(shape, g, block);
  const int64_t c = shape.c, plane = int64_t{g.size_h} * g.size_w;
  for (int64_t dy = 0; dy < g.size_h; ++dy) {
    const int64_t y = w.y0 + dy;
    const bool row_inside = y >= w.ya && y < w.yb && w.xa < w.xb;
    const T* src = row_inside ? x + ((w.n * shape.h + y) * shape.w + w.xa) * c : nullptr;
    for (int64_t dx = 0; dx < g.size_w; ++dx) {
      const int64_t xx = w.x0 + dx, at = dy * g.size_w + dx;
      const bool inside = row_inside && xx >= w.xa && xx < w.xb;
      for (int64_t ch = 0; ch < c; ++ch) {
        out[transpose ? ch * plane + at : at * c + ch] = inside ? src[(xx - w.xa) * c + ch] : T(0);
      }
    }
  }
}

// Writes (or adds, when `add`) `block_data` ([size_h, size_w, c], or [c, size_h, size_w] when `transpose`) into y
// (NHWC) at `block`; out-of-image pixels are skipped.
template <typename T>
void ScatterBlock(const T* block_data, const ImageShape& shape, const BlockGeometry& g, const BlockIndex& block, T* y,
                  bool add, bool transpose) {
  const Window w = BlockWindow(shape, g, block);
  const int64_t c = shape.c, plane = int64_t{g.size_h} * g.size_w;
  for (int64_t yy = w.ya; yy < w.yb; ++yy) {
    for (int64_t xx = w.xa; xx < w.xb; ++xx) {
      const int64_t at = (yy - w.y0) * g.size_w + (xx - w.x0);
      T* dst = y + ((w.n * shape.h + yy) * shape.w + xx) * c;
      for (int64_t ch = 0; ch < c; ++ch) {
        const T v = transpose ? block_data[ch * plane + at] : block_data[at * c + ch];
        dst[ch] = add ? T(dst[ch] + v) : v;
      }
    }
  }
}

// ----------------------------------------------------------------------------------------------------------------
// The kernels.

// Row dy of `block` gathered into `out_row` (size_w * c values of a [size_h, size_w, c] block): zeros where the
// window leaves the image, one span copy inside it.
template <typename T>
void GatherBlockRow(const T* x, const ImageShape& shape, const BlockGeometry& g, const Window& w, int64_t dy,
                    T* out_row) {
  const int64_t c = shape.c, y = w.y0 + dy, width = int64_t{g.size_w} * c;
  if (y < w.ya || y >= w.yb || w.xa >= w.xb) {
    ZeroBytes(out_row, width * static_cast<int64_t>(sizeof(T)), false);
    return;
  }
  const int64_t left = (w.xa - w.x0) * c, inside = (w.xb - w.xa) * c;
  ZeroBytes(out_row, left * static_cast<int64_t>(sizeof(T)), false);
  std::memcpy(out_row + left, x + ((w.n * shape.h + y) * shape.w + w.xa) * c, inside * sizeof(T));
  ZeroBytes(out_row + left + inside, (width - left - inside) * static_cast<int64_t>(sizeof(T)), false);
}

// Gathers the num_blocks blocks of `indices` ([num_blocks, 3]) out of x into `blocks`: GatherBlock of each, split
// into block rows (or, transposed, whole blocks).
template <typename T, typename Parallel>
void GatherBlocksCpu(const T* x, const ImageShape& shape, const BlockGeometry& g, const int32_t* indices,
                     int64_t num_blocks, T* blocks, bool transpose, Parallel&& parallel) {
  const int64_t row = int64_t{g.size_w} * shape.c, block_elements = row * g.size_h;
  if (transpose) {
    parallel(num_blocks, MemoryCost(block_elements * static_cast<int64_t>(sizeof(T))), [&](int64_t begin, int64_t end) {
      for (int64_t k = begin; k < end; ++k) {
        GatherBlock(x, shape, g, IndexRow(indices, k), blocks + k * block_elements, true);
      }
    });
    return;
  }
  parallel(num_blocks * g.size_h, MemoryCost(row * static_cast<int64_t>(sizeof(T))), [&](int64_t begin, int64_t end) {
    for (int64_t item = begin; item < end; ++item) {
      const int64_t k = item / g.size_h, dy = item % g.size_h;
      GatherBlockRow(x, shape, g, BlockWindow(shape, g, IndexRow(indices, k)), dy, blocks + k * block_elements + dy * row);
    }
  });
}

// The blocks of a scatter in (image, block row, block column, position) order, to find those that cover an image
// row. The constructor allocates (std::bad_alloc when memory is short).
class CoveringBlocks {
 public:
  CoveringBlocks(const int32_t* indices, int64_t num_blocks, const BlockGeometry& g) : g_(g) {
    sorted_.reserve(num_blocks);
    for (int64_t k = 0; k < num_blocks; ++k) {
      const BlockIndex b = IndexRow(indices, k);
      sorted_.push_back({b.n, b.bi, b.bj, k});
    }
    if (!std::is_sorted(sorted_.begin(), sorted_.end(), Less)) std::sort(sorted_.begin(), sorted_.end(), Less);
  }

  // Calls fn(k, block) for each block whose window covers row y of image n, in (block row, block column, k) order.
  template <typename Fn>
  void ForEach(int64_t n, int64_t y, Fn&& fn) const {
    // Block row bi covers y when offset + bi * stride <= y < offset + bi * stride + size.
    const int64_t from_top = y - g_.offset_h;
    if (from_top < 0) return;
    const int64_t last = from_top / g_.stride_h;
    const int64_t first = std::max<int64_t>(0, FloorDiv(from_top - g_.size_h, g_.stride_h) + 1);
    auto it = std::lower_bound(sorted_.begin(), sorted_.end(), Entry{n, first, INT64_MIN, INT64_MIN}, Less);
    for (; it != sorted_.end() && it->n == n && it->bi <= last; ++it) fn(it->k, BlockIndex{it->n, it->bi, it->bj});
  }

  // Rows (n * height + y) that some block covers, ascending and distinct.
  std::vector<int64_t> CoveredRows(const ImageShape& shape) const {
    std::vector<int64_t> rows;
    int64_t next = 0;  // rows below `next` are listed already
    for (const Entry& e : sorted_) {
      const Window w = BlockWindow(shape, g_, {e.n, e.bi, e.bj});
      for (int64_t r = std::max(e.n * shape.h + w.ya, next); r < e.n * shape.h + w.yb; ++r) rows.push_back(r);
      next = std::max(next, e.n * shape.h + w.yb);
    }
    return rows;
  }

 private:
  struct Entry {
    int64_t n, bi, bj, k;
  };
  static bool Less(const Entry& a, const Entry& b) {
    if (a.n != b.n) return a.n < b.n;
    if (a.bi != b.bi) return a.bi < b.bi;
    if (a.bj != b.bj) return a.bj < b.bj;
    return a.k < b.k;
  }
  static int64_t FloorDiv(int64_t a, int64_t b) { return a / b - (a % b != 0 && (a < 0) != (b < 0)); }

  BlockGeometry g_;
  std::vector<Entry> sorted_;
};

// Writes (or adds, when `add`) the num_blocks blocks of `blocks` ([num_blocks, size_h, size_w, c], or
// [num_blocks, c, size_h, size_w] when `transpose`) at `indices` into y, an image of `shape`, whose other pixels are
// zero (`base` kZeros), a copy of base_data (kCopy), or left as they are (kInPlace: y holds the base already).
// Writing needs disjoint blocks; `collide` says that some blocks overlap or repeat (adds only). ScatterBlock of
// each block, in order, gives the same values.
template <typename T, typename Parallel>
void ScatterBlocksCpu(const T* blocks, const ImageShape& shape, const BlockGeometry& g, const int32_t* indices,
                      int64_t num_blocks, ScatterBase base, const T* base_data, bool add, bool collide,
                      bool transpose, T* y, Parallel&& parallel) {
  const int64_t c = shape.c, image_row = shape.w * c, plane = int64_t{g.size_h} * g.size_w;
  const int64_t block_elements = plane * c, rows = shape.n * shape.h;
  const int64_t row_bytes = image_row * static_cast<int64_t>(sizeof(T));
  const bool streaming = rows * row_bytes >= kStreamingBytes;
  // The span of block k's row yy (its pixels [xa, xb)), written over the image row that starts at dst_row.
  auto write_span = [&](int64_t k, const Window& w, int64_t yy, T* dst_row, const T* base_row, bool span_add) {
    const int64_t at = (yy - w.y0) * g.size_w + (w.xa - w.x0);
    const T* src = blocks + k * block_elements + (transpose ? at : at * c);
    WriteSpan(dst_row + w.xa * c, (base_row != nullptr ? base_row : dst_row) + w.xa * c, src, w.xb - w.xa, c,
              transpose ? plane : 0, span_add);
  };

  if (base == ScatterBase::kInPlace && !collide) {
    // Only the blocks' own rows change: one item per block row.
    parallel(num_blocks * g.size_h, MemoryCost(g.size_w * c * static_cast<int64_t>(sizeof(T))),
             [&](int64_t begin, int64_t end) {
      for (int64_t item = begin; item < end; ++item) {
        const int64_t k = item / g.size_h, yy = item % g.size_h;
        const Window w = BlockWindow(shape, g, IndexRow(indices, k));
        if (w.y0 + yy < w.ya || w.y0 + yy >= w.yb) continue;
        write_span(k, w, w.y0 + yy, y + (w.n * shape.h + w.y0 + yy) * image_row, nullptr, add);
      }
    });
    return;
  }

  const CoveringBlocks covering(indices, num_blocks, g);
  if (collide) {
    // Overlapping or repeated blocks (adds): each thread owns whole image rows and adds every block that covers
    // them in a fixed order, so no two threads touch one value and the sums do not depend on the thread count.
    if (base == ScatterBase::kCopy) {
      parallel(rows, MemoryCost(row_bytes), [&](int64_t begin, int64_t end) {
        CopyBytes(y + begin * image_row, base_data + begin * image_row, (end - begin) * row_bytes, streaming);
        StreamingDone();
      });
    } else if (base == ScatterBase::kZeros) {
      parallel(rows, MemoryCost(row_bytes), [&](int64_t begin, int64_t end) {
        ZeroBytes(y + begin * image_row, (end - begin) * row_bytes, streaming);
        StreamingDone();
      });
    }
    const std::vector<int64_t> covered = covering.CoveredRows(shape);
    parallel(static_cast<int64_t>(covered.size()), MemoryCost(row_bytes), [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) {
        const int64_t n = covered[i] / shape.h, yy = covered[i] % shape.h;
        T* dst_row = y + covered[i] * image_row;
        covering.ForEach(n, yy, [&](int64_t k, const BlockIndex& block) {
          write_span(k, BlockWindow(shape, g, block), yy, dst_row, nullptr, true);
        });
      }
    });
    return;
  }

  // Disjoint blocks onto zeros or onto a copy of the base: one pass per image row writes every value once, the
  // base (or zeros) between the block spans, in order along the row.
  parallel(rows, MemoryCost(row_bytes), [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      const int64_t n = r / shape.h, yy = r % shape.h;
      T* dst_row = y + r * image_row;
      const T* base_row = base == ScatterBase::kCopy ? base_data + r * image_row : nullptr;
      int64_t filled = 0;  // pixels of the row written so far
      auto fill_to = [&](int64_t x) {
        const int64_t bytes = (x - filled) * c * static_cast<int64_t>(sizeof(T));
        if (base_row != nullptr) {
          CopyBytes(dst_row + filled * c, base_row + filled * c, bytes, streaming);
        } else {
          ZeroBytes(dst_row + filled * c, bytes, streaming);
        }
      };
      covering.ForEach(n, yy, [&](int64_t k, const BlockIndex& block) {
        const Window w = BlockWindow(shape, g, block);
        fill_to(w.xa);
        write_span(k, w, yy, dst_row, base_row, add);  // from the cache: ordinary stores
        filled = w.xb;
      });
      fill_to(shape.w);
    }
    StreamingDone();
  });
}

// reduce_mask's flags with max pooling: flags[b] = BlockIsActive(mask, ..., CandidateBlock(b, ...), tol, false) for
// the n * count_h * count_w candidate blocks, one band of block rows per item. The band's mask rows are read once,
// row after row, into one "some pixel of this column > tol" flag per column; a backward sweep turns the flags into
// "the next such column", so each block of the band is one lookup. The test is exact, so the flags are
// BlockIsActive's; each mask pixel is read once per band that covers it (size_h / stride_h times on average).
template <typename Parallel>
void MaxPoolFlagsCpu(const float* mask, const ImageShape& shape, const BlockGeometry& g, int count_h, int count_w,
                     float tol, uint8_t* flags, Parallel&& parallel) {
  const int64_t bands = shape.n * count_h;
  // The columns that some block of a band reads: [x_begin, x_end).
  const int64_t x_begin = Clamp(g.offset_w, 0, shape.w);
  const int64_t x_end = Clamp(g.offset_w + int64_t{count_w - 1} * g.stride_w + g.size_w, x_begin, shape.w);
  const int64_t width = x_end - x_begin;
  const int64_t band_cost = MemoryCost(std::min<int64_t>(g.size_h, shape.h) * width * 4) + count_w;
  parallel(bands, band_cost, [&](int64_t begin, int64_t end) {
    std::unique_ptr<int64_t[]> next(new (std::nothrow) int64_t[width + 1]);
    for (int64_t band = begin; band < end; ++band) {
      const int64_t n = band / count_h, bi = band % count_h;
      uint8_t* band_flags = flags + band * count_w;
      if (next == nullptr) {  // no memory for the column flags: test block by block
        for (int bj = 0; bj < count_w; ++bj) band_flags[bj] = BlockIsActive(mask, shape, g, {n, bi, bj}, tol, false);
        continue;
      }
      const Window rows = BlockWindow(shape, g, {n, bi, 0});
      std::fill(next.get(), next.get() + width, int64_t{0});
      for (int64_t yy = rows.ya; yy < rows.yb; ++yy) {
        const float* row = mask + (n * shape.h + yy) * shape.w + x_begin;
        for (int64_t i = 0; i < width; ++i) next[i] |= row[i] > tol;  // NaN is never > tol
      }
      next[width] = width;
      for (int64_t i = width - 1; i >= 0; --i) next[i] = next[i] ? i : next[i + 1];
      for (int64_t bj = 0; bj < count_w; ++bj) {
        const Window w = BlockWindow(shape, g, {n, bi, bj});
        const bool clipped = w.yb - w.ya < g.size_h || w.xb - w.xa < g.size_w;
        const bool hit = w.ya < w.yb && w.xa < w.xb && next[w.xa - x_begin] < w.xb - x_begin;
        band_flags[bj] = hit || (clipped && 0.0f > tol);
      }
    }
  });
}

}  // namespace zoo_sbnet

#endif  // ZOO_SBNET_KERNELS_CPU_H_
