// TensorFlow registration and CPU kernels of SBNet's three ops (arXiv:1801.02108, official code
// uber-research/sbnet): ZooSbnetReduceMask, ZooSbnetSparseGather, ZooSbnetSparseScatter.
// The per-block work lives in sbnet_kernels.h; this file validates every input and shards the blocks over
// TensorFlow's intra-op thread pool. Gradients are registered in Python (zoo/sbnet/ops.py).
#include <algorithm>
#include <array>
#include <string>
#include <vector>

#include "sbnet_kernels.h"
#include "tensorflow/core/framework/op.h"
#include "tensorflow/core/framework/op_kernel.h"
#include "tensorflow/core/framework/shape_inference.h"
#include "tensorflow/core/util/work_sharder.h"

namespace zoo_sbnet {

using ::tensorflow::DEVICE_CPU;
using ::tensorflow::OpKernel;
using ::tensorflow::OpKernelConstruction;
using ::tensorflow::OpKernelContext;
using ::tensorflow::Status;
using ::tensorflow::Tensor;
using ::tensorflow::TensorShape;
using ::tensorflow::errors::InvalidArgument;
using ::tensorflow::shape_inference::DimensionHandle;
using ::tensorflow::shape_inference::InferenceContext;
using ::tensorflow::shape_inference::ShapeHandle;

namespace {

// Reads a two-element int list attribute, checking its length and (when `positive`) its sign.
Status PairAttr(OpKernelConstruction* ctx, const char* name, bool positive, std::array<int, 2>* pair) {
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

Status GeometryAttrs(OpKernelConstruction* ctx, const char* size_attr, BlockGeometry* g) {
  std::array<int, 2> size{1, 1}, stride, offset;
  if (size_attr != nullptr) TF_RETURN_IF_ERROR(PairAttr(ctx, size_attr, true, &size));
  TF_RETURN_IF_ERROR(PairAttr(ctx, "bstride", true, &stride));
  TF_RETURN_IF_ERROR(PairAttr(ctx, "boffset", false, &offset));
  *g = {size[0], size[1], stride[0], stride[1], offset[0], offset[1]};
  return Status();
}

// Checks an NHWC image (rank 4, every dimension positive) and returns its shape.
Status CheckImage(const Tensor& t, const char* name, ImageShape* shape) {
  if (t.dims() != 4) {
    return InvalidArgument(name, " must be rank 4 (NHWC), got shape ", t.shape().DebugString());
  }
  for (int d = 0; d < 4; ++d) {
    if (t.dim_size(d) <= 0) return InvalidArgument(name, " must not be empty, got shape ", t.shape().DebugString());
  }
  *shape = {t.dim_size(0), t.dim_size(1), t.dim_size(2), t.dim_size(3)};
  return Status();
}

// Checks that `indices` is [K, 3] and that every block lies in a valid image and overlaps it.
Status CheckIndices(const Tensor& indices, const ImageShape& shape, const BlockGeometry& g) {
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

void ParallelFor(OpKernelContext* ctx, int64_t total, int64_t cost_per_unit,
                 const std::function<void(int64_t, int64_t)>& work) {
  const auto& workers = *ctx->device()->tensorflow_cpu_worker_threads();
  ::tensorflow::Shard(workers.num_threads, workers.workers, total, std::max<int64_t>(cost_per_unit, 1), work);
}

Status PairShapeAttr(InferenceContext* c, const char* name, std::vector<int>* values) {
  TF_RETURN_IF_ERROR(c->GetAttr(name, values));
  if (values->size() != 2) return InvalidArgument(name, " must have 2 elements (height, width)");
  return Status();
}

}  // namespace

REGISTER_OP("ZooSbnetReduceMask")
    .Input("mask: float")
    .Output("active_block_indices: int32")
    .Output("bin_count: int32")
    .Attr("bsize: list(int)")
    .Attr("bstride: list(int)")
    .Attr("boffset: list(int)")
    .Attr("bcount: list(int)")
    .Attr("tol: float = 0.0")
    .Attr("avgpool: bool = false")
    .SetShapeFn([](InferenceContext* c) {
      c->set_output(0, c->Matrix(InferenceContext::kUnknownDim, 3));
      c->set_output(1, c->Scalar());
      return Status();
    })
    .Doc(R"doc(
Indices (n, block row, block column) of the blocks whose max- or average-pooled mask exceeds tol, in
row-major order. mask is [N, H, W] or [N, H, W, 1]. An all-zero mask gives no blocks (count 0).
)doc");

class ReduceMaskOp : public OpKernel {
 public:
  explicit ReduceMaskOp(OpKernelConstruction* ctx) : OpKernel(ctx) {
    OP_REQUIRES_OK(ctx, GeometryAttrs(ctx, "bsize", &geometry_));
    OP_REQUIRES_OK(ctx, PairAttr(ctx, "bcount", true, &count_));
    OP_REQUIRES_OK(ctx, ctx->GetAttr("tol", &tol_));
    OP_REQUIRES_OK(ctx, ctx->GetAttr("avgpool", &avgpool_));
  }

  void Compute(OpKernelContext* ctx) override {
    const Tensor& mask = ctx->input(0);
    const bool rank3 = mask.dims() == 3, rank4 = mask.dims() == 4 && mask.dim_size(3) == 1;
    OP_REQUIRES(ctx, rank3 || rank4,
                InvalidArgument("mask must be [N, H, W] or [N, H, W, 1], got shape ", mask.shape().DebugString()));
    OP_REQUIRES(ctx, mask.NumElements() > 0,
                InvalidArgument("mask must not be empty, got shape ", mask.shape().DebugString()));
    const ImageShape shape{mask.dim_size(0), mask.dim_size(1), mask.dim_size(2), 1};
    const int64_t per_image = int64_t{count_[0]} * count_[1], total = shape.n * per_image;
    std::vector<char> active(total);
    const float* data = mask.flat<float>().data();
    ParallelFor(ctx, total, int64_t{geometry_.size_h} * geometry_.size_w, [&](int64_t begin, int64_t end) {
      for (int64_t b = begin; b < end; ++b) {
        active[b] = BlockIsActive(data, shape, geometry_, b / per_image, (b % per_image) / count_[1],
                                  b % count_[1], tol_, avgpool_);
      }
    });
    const int64_t num_active = std::count(active.begin(), active.end(), 1);
    Tensor* indices = nullptr;
    OP_REQUIRES_OK(ctx, ctx->allocate_output(0, TensorShape({num_active, 3}), &indices));
    auto out = indices->matrix<int32_t>();
    int64_t k = 0;
    for (int64_t b = 0; b < total; ++b) {
      if (!active[b]) continue;
      out(k, 0) = b / per_image;
      out(k, 1) = (b % per_image) / count_[1];
      out(k, 2) = b % count_[1];
      ++k;
    }
    Tensor* count = nullptr;
    OP_REQUIRES_OK(ctx, ctx->allocate_output(1, TensorShape({}), &count));
    count->scalar<int32_t>()() = static_cast<int32_t>(num_active);
  }

 private:
  BlockGeometry geometry_{};
  std::array<int, 2> count_{};
  float tol_ = 0.0f;
  bool avgpool_ = false;
};

REGISTER_KERNEL_BUILDER(Name("ZooSbnetReduceMask").Device(DEVICE_CPU), ReduceMaskOp);

REGISTER_OP("ZooSbnetSparseGather")
    .Input("x: T")
    .Input("indices: int32")
    .Output("blocks: T")
    .Attr("T: {half, bfloat16, float, double}")
    .Attr("bsize: list(int)")
    .Attr("bstride: list(int)")
    .Attr("boffset: list(int)")
    .Attr("transpose: bool = false")
    .SetShapeFn([](InferenceContext* c) {
      ShapeHandle x, indices;
      TF_RETURN_IF_ERROR(c->WithRank(c->input(0), 4, &x));
      TF_RETURN_IF_ERROR(c->WithRank(c->input(1), 2, &indices));
      std::vector<int> bsize;
      bool transpose;
      TF_RETURN_IF_ERROR(PairShapeAttr(c, "bsize", &bsize));
      TF_RETURN_IF_ERROR(c->GetAttr("transpose", &transpose));
      const DimensionHandle k = c->Dim(indices, 0), ch = c->Dim(x, 3);
      c->set_output(0, transpose ? c->MakeShape({k, ch, bsize[0], bsize[1]})
                                 : c->MakeShape({k, bsize[0], bsize[1], ch}));
      return Status();
    })
    .Doc(R"doc(
Stacks the [bsize] windows of x (NHWC) at the given block indices: [K, bh, bw, C], or [K, C, bh, bw] with
transpose. Window origin = boffset + bstride * (block row, block column); pixels outside x read as zero.
)doc");

template <typename T>
class SparseGatherOp : public OpKernel {
 public:
  explicit SparseGatherOp(OpKernelConstruction* ctx) : OpKernel(ctx) {
    OP_REQUIRES_OK(ctx, GeometryAttrs(ctx, "bsize", &geometry_));
    OP_REQUIRES_OK(ctx, ctx->GetAttr("transpose", &transpose_));
  }

  void Compute(OpKernelContext* ctx) override {
    const Tensor& x = ctx->input(0);
    const Tensor& indices = ctx->input(1);
    ImageShape shape;
    OP_REQUIRES_OK(ctx, CheckImage(x, "x", &shape));
    OP_REQUIRES_OK(ctx, CheckIndices(indices, shape, geometry_));
    const int64_t num_blocks = indices.dim_size(0);
    const TensorShape out_shape =
        transpose_ ? TensorShape({num_blocks, shape.c, geometry_.size_h, geometry_.size_w})
                   : TensorShape({num_blocks, geometry_.size_h, geometry_.size_w, shape.c});
    Tensor* blocks = nullptr;
    OP_REQUIRES_OK(ctx, ctx->allocate_output(0, out_shape, &blocks));
    const int64_t block_elements = int64_t{geometry_.size_h} * geometry_.size_w * shape.c;
    const T* src = x.flat<T>().data();
    const int32_t* idx = indices.flat<int32_t>().data();
    T* dst = blocks->flat<T>().data();
    ParallelFor(ctx, num_blocks, block_elements, [&](int64_t begin, int64_t end) {
      for (int64_t k = begin; k < end; ++k) {
        GatherBlock(src, shape, geometry_, idx + 3 * k, dst + k * block_elements, transpose_);
      }
    });
  }

 private:
  BlockGeometry geometry_{};
  bool transpose_ = false;
};

REGISTER_OP("ZooSbnetSparseScatter")
    .Input("blocks: T")
    .Input("indices: int32")
    .Input("base: T")
    .Output("y: T")
    .Attr("T: {half, bfloat16, float, double}")
    .Attr("bstride: list(int)")
    .Attr("boffset: list(int)")
    .Attr("add: bool = false")
    .Attr("transpose: bool = false")
    .SetShapeFn([](InferenceContext* c) {
      ShapeHandle blocks, indices, base;
      TF_RETURN_IF_ERROR(c->WithRank(c->input(0), 4, &blocks));
      TF_RETURN_IF_ERROR(c->WithRank(c->input(1), 2, &indices));
      TF_RETURN_IF_ERROR(c->WithRank(c->input(2), 4, &base));
      c->set_output(0, base);
      return Status();
    })
    .Doc(R"doc(
Copies base (NHWC) and writes (or, with add, adds) each block of blocks ([K, bh, bw, C], or [K, C, bh, bw]
with transpose) at origin boffset + bstride * (block row, block column) of image n; pixels that fall outside
base are skipped. Writing (add = false) needs non-overlapping, distinct blocks.
)doc");

template <typename T>
class SparseScatterOp : public OpKernel {
 public:
  explicit SparseScatterOp(OpKernelConstruction* ctx) : OpKernel(ctx) {
    OP_REQUIRES_OK(ctx, GeometryAttrs(ctx, nullptr, &geometry_));  // the block size comes from `blocks`
    OP_REQUIRES_OK(ctx, ctx->GetAttr("add", &add_));
    OP_REQUIRES_OK(ctx, ctx->GetAttr("transpose", &transpose_));
  }

  void Compute(OpKernelContext* ctx) override {
    const Tensor& blocks = ctx->input(0);
    const Tensor& indices = ctx->input(1);
    const Tensor& base = ctx->input(2);
    ImageShape shape;
    OP_REQUIRES_OK(ctx, CheckImage(base, "base", &shape));
    OP_REQUIRES(ctx, blocks.dims() == 4,
                InvalidArgument("blocks must be rank 4, got shape ", blocks.shape().DebugString()));
    const int channel_dim = transpose_ ? 1 : 3;
    BlockGeometry g = geometry_;
    g.size_h = static_cast<int>(blocks.dim_size(transpose_ ? 2 : 1));
    g.size_w = static_cast<int>(blocks.dim_size(transpose_ ? 3 : 2));
    OP_REQUIRES(ctx, g.size_h > 0 && g.size_w > 0,
                InvalidArgument("blocks must have a positive block size, got shape ", blocks.shape().DebugString()));
    OP_REQUIRES(ctx, blocks.dim_size(channel_dim) == shape.c,
                InvalidArgument("blocks have ", blocks.dim_size(channel_dim), " channels but base has ", shape.c));
    OP_REQUIRES(ctx, indices.dims() == 2 && blocks.dim_size(0) == indices.dim_size(0),
                InvalidArgument("blocks has ", blocks.dim_size(0), " blocks but indices has shape ",
                                indices.shape().DebugString()));
    OP_REQUIRES_OK(ctx, CheckIndices(indices, shape, g));
    const bool overlapping = g.stride_h < g.size_h || g.stride_w < g.size_w;
    const bool duplicates = HasDuplicates(indices);
    OP_REQUIRES(ctx, add_ || (!overlapping && !duplicates),
                InvalidArgument("writing blocks (add=false) needs non-overlapping windows and distinct indices; got "
                                "block size ", g.size_h, "x", g.size_w, ", stride ", g.stride_h, "x", g.stride_w,
                                duplicates ? " and repeated indices" : ""));

    Tensor* y = nullptr;
    OP_REQUIRES_OK(ctx, ctx->forward_input_or_allocate_output({2}, 0, base.shape(), &y));
    if (y->flat<T>().data() != base.flat<T>().data()) {
      const T* from = base.flat<T>().data();
      T* to = y->flat<T>().data();
      ParallelFor(ctx, base.NumElements(), 1, [&](int64_t b, int64_t e) { std::copy(from + b, from + e, to + b); });
    }
    const int64_t num_blocks = indices.dim_size(0), block_elements = int64_t{g.size_h} * g.size_w * shape.c;
    const T* src = blocks.flat<T>().data();
    const int32_t* idx = indices.flat<int32_t>().data();
    T* dst = y->flat<T>().data();
    if (!overlapping && !duplicates) {  // disjoint writes: one block per work item
      ParallelFor(ctx, num_blocks, block_elements, [&](int64_t begin, int64_t end) {
        for (int64_t k = begin; k < end; ++k) {
          ScatterBlock(src + k * block_elements, shape, g, idx + 3 * k, dst, add_, transpose_, 0, shape.c);
        }
      });
    } else {  // overlapping adds: each thread owns a channel range, so no two threads touch one value
      ParallelFor(ctx, shape.c, num_blocks * g.size_h * g.size_w, [&](int64_t begin, int64_t end) {
        for (int64_t k = 0; k < num_blocks; ++k) {
          ScatterBlock(src + k * block_elements, shape, g, idx + 3 * k, dst, true, transpose_, begin, end);
        }
      });
    }
  }

 private:
  static bool HasDuplicates(const Tensor& indices) {
    const auto idx = indices.matrix<int32_t>();
    std::vector<std::array<int32_t, 3>> keys(indices.dim_size(0));
    for (size_t k = 0; k < keys.size(); ++k) keys[k] = {idx(k, 0), idx(k, 1), idx(k, 2)};
    std::sort(keys.begin(), keys.end());
    return std::adjacent_find(keys.begin(), keys.end()) != keys.end();
  }

  BlockGeometry geometry_{};
  bool add_ = false, transpose_ = false;
};

#define ZOO_SBNET_REGISTER_CPU(T)                                                                     \
  REGISTER_KERNEL_BUILDER(Name("ZooSbnetSparseGather").Device(DEVICE_CPU).TypeConstraint<T>("T"), \
                          SparseGatherOp<T>);                                                         \
  REGISTER_KERNEL_BUILDER(Name("ZooSbnetSparseScatter").Device(DEVICE_CPU).TypeConstraint<T>("T"), \
                          SparseScatterOp<T>);

ZOO_SBNET_REGISTER_CPU(Eigen::half)
ZOO_SBNET_REGISTER_CPU(Eigen::bfloat16)
ZOO_SBNET_REGISTER_CPU(float)
ZOO_SBNET_REGISTER_CPU(double)
#undef ZOO_SBNET_REGISTER_CPU

}  // namespace zoo_sbnet
