// Attribute parsing, input validation and index compaction of the SBNet ops (sbnet_ops.cc). The op kernels are
// one template over the device, so the CPU and GPU kernels accept and reject exactly the same inputs.
#ifndef ZOO_SBNET_OP_COMMON_H_
#define ZOO_SBNET_OP_COMMON_H_

#include <algorithm>
#include <array>
#include <cstdint>
#include <initializer_list>
#include <new>
#include <string>
#include <vector>

#include "sbnet_block.h"
#include "tensorflow/core/framework/op_kernel.h"

namespace zoo_sbnet {

using ::tensorflow::OpKernelConstruction;
using ::tensorflow::OpKernelContext;
using ::tensorflow::Status;
using ::tensorflow::Tensor;
using ::tensorflow::TensorShape;
using ::tensorflow::errors::InvalidArgument;

// The most elements any tensor that an SBNet op sizes from its attributes and inputs may hold: reduce_mask's
// block flags (batch x bcount), sparse_gather's blocks, sparse_scatter_zeros's output, one block of a scatter.
// It is also the largest size or index value (attributes are int32). Every size is checked against it in 64-bit
// arithmetic before anything is allocated, so a huge geometry is an InvalidArgument, never a crash.
// zoo/sbnet/ops.py mirrors it as MAX_ELEMENTS (tests/sbnet/test_ops.py checks that they agree).
constexpr int64_t kMaxElements = 2147483647;  // INT32_MAX: also the GPU kernels' int block and grid indexing

// Sets *elements to the product of `dims` (each >= 0; a zero makes it 0), or returns an InvalidArgument naming
// `what` when that product exceeds kMaxElements. Never overflows: partial products stay <= kMaxElements.
inline Status CheckElements(const char* what, std::initializer_list<int64_t> dims, int64_t* elements) {
  bool zero = false, over = false;
  int64_t product = 1;
  for (int64_t d : dims) {
    if (d < 0) return InvalidArgument(what, " has a negative dimension ", d);
    if (d == 0) zero = true;
    if (over || d == 0) continue;
    if (product > kMaxElements / d) {
      over = true;
    } else {
      product *= d;
    }
  }
  if (zero) {
    *elements = 0;
    return Status();
  }
  if (over) {
    std::string shape;
    for (int64_t d : dims) shape += (shape.empty() ? "" : ", ") + std::to_string(d);
    return InvalidArgument(what, " would have more than ", kMaxElements, " elements (shape [", shape,
                           "]); the SBNet ops' limit is kMaxElements = ", kMaxElements);
  }
  *elements = product;
  return Status();
}

// Reads a two-element int list attribute, checking its length and (when `positive`) its sign. TensorFlow stores
// list(int) as int64; reading it as int32 rejects values outside int32 with an InvalidArgument.
template <typename Context>
Status PairAttr(Context* ctx, const char* name, bool positive, std::array<int, 2>* pair) {
  std::vector<int> values;
  TF_RETURN_IF_ERROR(ctx->GetAttr(name, &values));
  if (values.size() != 2) {
    return InvalidArgument(name, " must have 2 elements (height, width), got ", values.size());
  }
  for (int v : values) {
    if (positive && v <= 0) return InvalidArgument(name, " must be positive, got ", v);
  }
  *pair = {values[0], values[1]};
  return Status();
}

// bsize (unless size_attr is null: scatter takes it from its blocks), bstride and boffset. Also used by the
// shape functions (Context = InferenceContext), so graph construction rejects the same attributes.
template <typename Context>
Status GeometryAttrs(Context* ctx, const char* size_attr, BlockGeometry* g) {
  std::array<int, 2> size{1, 1}, stride, offset;
  if (size_attr != nullptr) TF_RETURN_IF_ERROR(PairAttr(ctx, size_attr, true, &size));
  TF_RETURN_IF_ERROR(PairAttr(ctx, "bstride", true, &stride));
  TF_RETURN_IF_ERROR(PairAttr(ctx, "boffset", false, &offset));
  *g = {size[0], size[1], stride[0], stride[1], offset[0], offset[1]};
  return Status();
}

// The attributes of ZooSbnetReduceMask.
struct ReduceMaskAttrs {
  BlockGeometry geometry{};
  std::array<int, 2> count{};
  float tol = 0.0f;
  bool avgpool = false;
};

template <typename Context>
Status ReadReduceMaskAttrs(Context* ctx, ReduceMaskAttrs* attrs) {
  TF_RETURN_IF_ERROR(GeometryAttrs(ctx, "bsize", &attrs->geometry));
  TF_RETURN_IF_ERROR(PairAttr(ctx, "bcount", true, &attrs->count));
  TF_RETURN_IF_ERROR(ctx->GetAttr("tol", &attrs->tol));
  return ctx->GetAttr("avgpool", &attrs->avgpool);
}

// Checks an NHWC image (rank 4, every dimension positive) and returns its shape.
inline Status CheckImage(const Tensor& t, const char* name, ImageShape* shape) {
  if (t.dims() != 4) {
    return InvalidArgument(name, " must be rank 4 (NHWC), got shape ", t.shape().DebugString());
  }
  for (int d = 0; d < 4; ++d) {
    if (t.dim_size(d) <= 0) return InvalidArgument(name, " must not be empty, got shape ", t.shape().DebugString());
  }
  *shape = {t.dim_size(0), t.dim_size(1), t.dim_size(2), t.dim_size(3)};
  return Status();
}

// Checks a [N, H, W] or [N, H, W, 1] non-empty mask and returns its shape (c = 1).
inline Status CheckMask(const Tensor& mask, ImageShape* shape) {
  const bool rank3 = mask.dims() == 3, rank4 = mask.dims() == 4 && mask.dim_size(3) == 1;
  if (!rank3 && !rank4) {
    return InvalidArgument("mask must be [N, H, W] or [N, H, W, 1], got shape ", mask.shape().DebugString());
  }
  if (mask.NumElements() == 0) return InvalidArgument("mask must not be empty, got shape ", mask.shape().DebugString());
  *shape = {mask.dim_size(0), mask.dim_size(1), mask.dim_size(2), 1};
  return Status();
}

// Validates reduce_mask's input against its attributes: the mask's shape, and the number of candidate blocks
// (batch x bcount), which sizes the kernels' flag buffer, within kMaxElements.
inline Status PlanReduceMask(const Tensor& mask, const ReduceMaskAttrs& attrs, ImageShape* shape, int64_t* total) {
  TF_RETURN_IF_ERROR(CheckMask(mask, shape));
  return CheckElements("reduce_mask's candidate blocks (batch x bcount)", {shape->n, attrs.count[0], attrs.count[1]},
                       total);
}

// Checks that host-memory `indices` is [K, 3] and that every block lies in a valid image and overlaps it.
inline Status CheckIndices(const Tensor& indices, const ImageShape& shape, const BlockGeometry& g) {
  if (indices.dims() != 2 || indices.dim_size(1) != 3) {
    return InvalidArgument("indices must have shape [num_blocks, 3] (n, block row, block column), got ",
                           indices.shape().DebugString());
  }
  const auto idx = indices.matrix<int32_t>();
  for (int64_t k = 0; k < indices.dim_size(0); ++k) {
    const int64_t n = idx(k, 0), bi = idx(k, 1), bj = idx(k, 2);
    const int64_t y0 = g.offset_h + bi * g.stride_h, x0 = g.offset_w + bj * g.stride_w;
    if (n < 0 || n >= shape.n || bi < 0 || bj < 0 || y0 >= shape.h || x0 >= shape.w || y0 + g.size_h <= 0 ||
        x0 + g.size_w <= 0) {
      return InvalidArgument("indices[", k, "] = (", n, ", ", bi, ", ", bj,
                             ") is out of range: batch must be in [0, ", shape.n,
                             ") and the block window must overlap the ", shape.h, "x", shape.w, " image");
    }
  }
  return Status();
}

// Sets *duplicates when some row of `indices` repeats; a ResourceExhausted error (not std::bad_alloc) when the
// sorted copy does not fit in memory.
inline Status HasDuplicates(const Tensor& indices, bool* duplicates) {
  const auto idx = indices.matrix<int32_t>();
  try {
    std::vector<std::array<int32_t, 3>> keys(indices.dim_size(0));
    for (size_t k = 0; k < keys.size(); ++k) keys[k] = {idx(k, 0), idx(k, 1), idx(k, 2)};
    std::sort(keys.begin(), keys.end());
    *duplicates = std::adjacent_find(keys.begin(), keys.end()) != keys.end();
  } catch (const std::bad_alloc&) {
    return ::tensorflow::errors::ResourceExhausted("no memory to sort ", indices.dim_size(0), " block indices");
  }
  return Status();
}

// Validates the inputs of ZooSbnetSparseGather (x, indices) and allocates its output `blocks`.
inline Status PrepareGather(OpKernelContext* ctx, const BlockGeometry& g, bool transpose, ImageShape* shape,
                            Tensor** blocks) {
  TF_RETURN_IF_ERROR(CheckImage(ctx->input(0), "x", shape));
  TF_RETURN_IF_ERROR(CheckIndices(ctx->input(1), *shape, g));
  const int64_t num_blocks = ctx->input(1).dim_size(0);
  int64_t elements = 0;
  TF_RETURN_IF_ERROR(CheckElements("sparse_gather's output (blocks x bsize x channels)",
                                   {num_blocks, g.size_h, g.size_w, shape->c}, &elements));
  const TensorShape out_shape = transpose ? TensorShape({num_blocks, shape->c, g.size_h, g.size_w})
                                          : TensorShape({num_blocks, g.size_h, g.size_w, shape->c});
  return ctx->allocate_output(0, out_shape, blocks);
}

// What a validated scatter does: the image, the geometry with the blocks' size, and whether blocks collide.
struct ScatterPlan {
  ImageShape shape{};
  BlockGeometry geometry{};
  bool collide = false;  // overlapping windows or repeated indices: adds must not race
};

// The image shape of ZooSbnetSparseScatterZeros's output: output_size = (N, H, W) and the blocks' channels.
inline Status ZerosOutputShape(const Tensor& blocks, const Tensor& output_size, bool transpose, ImageShape* shape) {
  if (output_size.dims() != 1 || output_size.dim_size(0) != 3) {
    return InvalidArgument("output_size must be [batch, height, width], got shape ", output_size.shape().DebugString());
  }
  if (blocks.dims() != 4) return InvalidArgument("blocks must be rank 4, got shape ", blocks.shape().DebugString());
  const auto size = output_size.vec<int32_t>();
  *shape = {size(0), size(1), size(2), blocks.dim_size(transpose ? 1 : 3)};
  if (shape->n <= 0 || shape->h <= 0 || shape->w <= 0 || shape->c <= 0) {
    return InvalidArgument("the output must not be empty, got output_size (", size(0), ", ", size(1), ", ", size(2),
                           ") and ", shape->c, " channels");
  }
  int64_t elements = 0;
  return CheckElements("sparse_scatter_zeros's output (output_size x channels)",
                       {shape->n, shape->h, shape->w, shape->c}, &elements);
}

// Validates the inputs of a scatter of `blocks` at `indices` into an image of `shape`; `geometry` carries
// stride and offset (its size is ignored: it comes from the blocks).
inline Status PlanScatter(const Tensor& blocks, const Tensor& indices, const ImageShape& shape, BlockGeometry geometry,
                          bool add, bool transpose, ScatterPlan* plan) {
  if (blocks.dims() != 4) return InvalidArgument("blocks must be rank 4, got shape ", blocks.shape().DebugString());
  const int channel_dim = transpose ? 1 : 3;
  geometry.size_h = static_cast<int>(blocks.dim_size(transpose ? 2 : 1));
  geometry.size_w = static_cast<int>(blocks.dim_size(transpose ? 3 : 2));
  if (geometry.size_h <= 0 || geometry.size_w <= 0) {
    return InvalidArgument("blocks must have a positive block size, got shape ", blocks.shape().DebugString());
  }
  int64_t block_elements = 0;
  TF_RETURN_IF_ERROR(CheckElements("one block of sparse_scatter (block height x width x channels)",
                                   {blocks.dim_size(1), blocks.dim_size(2), blocks.dim_size(3)}, &block_elements));
  if (blocks.dim_size(channel_dim) != shape.c) {
    return InvalidArgument("blocks have ", blocks.dim_size(channel_dim), " channels but base has ", shape.c);
  }
  if (indices.dims() != 2 || blocks.dim_size(0) != indices.dim_size(0)) {
    return InvalidArgument("blocks has ", blocks.dim_size(0), " blocks but indices has shape ",
                           indices.shape().DebugString());
  }
  TF_RETURN_IF_ERROR(CheckIndices(indices, shape, geometry));
  const bool overlapping = geometry.stride_h < geometry.size_h || geometry.stride_w < geometry.size_w;
  bool duplicates = false;
  TF_RETURN_IF_ERROR(HasDuplicates(indices, &duplicates));
  if (!add && (overlapping || duplicates)) {
    return InvalidArgument("writing blocks (add=false) needs non-overlapping windows and distinct indices; got block "
                           "size ", geometry.size_h, "x", geometry.size_w, ", stride ", geometry.stride_h, "x",
                           geometry.stride_w, duplicates ? " and repeated indices" : "");
  }
  plan->shape = shape;
  plan->geometry = geometry;
  plan->collide = overlapping || duplicates;
  return Status();
}

// Validates the inputs of ZooSbnetSparseScatter (blocks, indices, base) and gives its output `y`: base's own
// buffer when TensorFlow can forward it, else a new one, in which case `*copy_base` asks the caller to copy
// base into it before scattering.
inline Status PrepareScatter(OpKernelContext* ctx, const BlockGeometry& g, bool add, bool transpose,
                             ScatterPlan* plan, Tensor** y, bool* copy_base) {
  const Tensor& base = ctx->input(2);
  ImageShape shape;
  TF_RETURN_IF_ERROR(CheckImage(base, "base", &shape));
  TF_RETURN_IF_ERROR(PlanScatter(ctx->input(0), ctx->input(1), shape, g, add, transpose, plan));
  TF_RETURN_IF_ERROR(ctx->forward_input_or_allocate_output({2}, 0, base.shape(), y));
  *copy_base = (*y)->tensor_data().data() != base.tensor_data().data();
  return Status();
}

// Host memory for reduce_mask's `total` block flags (total <= kMaxElements, see PlanReduceMask), allocated by
// TensorFlow so that a failure is a ResourceExhausted error rather than std::bad_alloc.
inline Status AllocateHostFlags(OpKernelContext* ctx, int64_t total, Tensor* flags) {
  ::tensorflow::AllocatorAttributes on_host;
  on_host.set_on_host(true);
  return ctx->allocate_temp(::tensorflow::DT_UINT8, TensorShape({total}), flags, on_host);
}

// Outputs of reduce_mask from one flag per block (row-major over [N, bcount_h, bcount_w]): the active
// blocks' (n, row, column) in that order, and their number. `active` holds `total` host-memory flags.
inline Status EmitActiveIndices(OpKernelContext* ctx, const uint8_t* active, int64_t total,
                                const std::array<int, 2>& count) {
  const int64_t num_active = std::count(active, active + total, 1);
  Tensor* indices = nullptr;
  TF_RETURN_IF_ERROR(ctx->allocate_output(0, TensorShape({num_active, 3}), &indices));
  auto out = indices->matrix<int32_t>();
  int64_t k = 0;
  for (int64_t b = 0; b < total; ++b) {
    if (!active[b]) continue;
    const BlockIndex block = CandidateBlock(b, count[0], count[1]);
    out(k, 0) = static_cast<int32_t>(block.n);
    out(k, 1) = static_cast<int32_t>(block.bi);
    out(k, 2) = static_cast<int32_t>(block.bj);
    ++k;
  }
  Tensor* num = nullptr;
  TF_RETURN_IF_ERROR(ctx->allocate_output(1, TensorShape({}), &num));
  num->scalar<int32_t>()() = static_cast<int32_t>(num_active);
  return Status();
}

}  // namespace zoo_sbnet

#endif  // ZOO_SBNET_OP_COMMON_H_
