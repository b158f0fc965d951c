// TensorFlow registration and CPU kernels of SBNet's three ops (arXiv:1801.02108, official code
// uber-research/sbnet): ZooSbnetReduceMask, ZooSbnetSparseGather, ZooSbnetSparseScatter.
// The per-block work lives in sbnet_kernels.h; this file validates every input and shards the blocks over
// TensorFlow's intra-op thread pool. Gradients are registered in Python (zoo/sbnet/ops.py).
#include <algorithm>
#include <cstring>
#include <functional>
#include <vector>

#include "sbnet_op_common.h"
#include "tensorflow/core/framework/op.h"
#include "tensorflow/core/framework/shape_inference.h"
#include "tensorflow/core/util/work_sharder.h"

namespace zoo_sbnet {

using ::tensorflow::DEVICE_CPU;
using ::tensorflow::OpKernel;
using ::tensorflow::shape_inference::DimensionHandle;
using ::tensorflow::shape_inference::InferenceContext;
using ::tensorflow::shape_inference::ShapeHandle;

namespace {

void ParallelFor(OpKernelContext* ctx, int64_t total, int64_t cost_per_unit,
                 const std::function<void(int64_t, int64_t)>& work) {
  const auto& workers = *ctx->device()->tensorflow_cpu_worker_threads();
  ::tensorflow::Shard(workers.num_threads, workers.workers, total, std::max<int64_t>(cost_per_unit, 1), work);
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
      ReduceMaskAttrs attrs;
      TF_RETURN_IF_ERROR(ReadReduceMaskAttrs(c, &attrs));
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
    OP_REQUIRES_OK(ctx, ReadReduceMaskAttrs(ctx, &attrs_));
  }

  void Compute(OpKernelContext* ctx) override {
    const Tensor& mask = ctx->input(0);
    ImageShape shape;
    int64_t total = 0;
    OP_REQUIRES_OK(ctx, PlanReduceMask(mask, attrs_, &shape, &total));
    Tensor flags;
    OP_REQUIRES_OK(ctx, AllocateHostFlags(ctx, total, &flags));
    uint8_t* active = flags.flat<uint8_t>().data();
    const auto& count = attrs_.count;
    const int64_t per_image = int64_t{count[0]} * count[1];
    const float* data = mask.flat<float>().data();
    // A block reads at most its window clipped to the image.
    const int64_t cost =
        std::min<int64_t>(attrs_.geometry.size_h, shape.h) * std::min<int64_t>(attrs_.geometry.size_w, shape.w);
    ParallelFor(ctx, total, cost, [&](int64_t begin, int64_t end) {
      for (int64_t b = begin; b < end; ++b) {
        active[b] = BlockIsActive(data, shape, attrs_.geometry, b / per_image, (b % per_image) / count[1],
                                  b % count[1], attrs_.tol, attrs_.avgpool);
      }
    });
    OP_REQUIRES_OK(ctx, EmitActiveIndices(ctx, active, total, count));
  }

 private:
  ReduceMaskAttrs attrs_;
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
      BlockGeometry g;
      bool transpose;
      TF_RETURN_IF_ERROR(GeometryAttrs(c, "bsize", &g));
      TF_RETURN_IF_ERROR(c->GetAttr("transpose", &transpose));
      const DimensionHandle k = c->Dim(indices, 0), ch = c->Dim(x, 3);
      c->set_output(0, transpose ? c->MakeShape({k, ch, g.size_h, g.size_w})
                                 : c->MakeShape({k, g.size_h, g.size_w, ch}));
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
    Tensor* blocks = nullptr;
    OP_REQUIRES_OK(ctx, PrepareGather(ctx, geometry_, transpose_, &shape, &blocks));
    const int64_t num_blocks = indices.dim_size(0);
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
      BlockGeometry g;
      TF_RETURN_IF_ERROR(GeometryAttrs(c, nullptr, &g));
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

// Writes (or adds) the validated blocks into dst, which holds the base image: one block per work item when
// blocks are disjoint; otherwise each thread owns a channel range, so no two threads touch one value.
template <typename T>
void ScatterInto(OpKernelContext* ctx, const Tensor& blocks, const Tensor& indices, const ScatterPlan& plan,
                 bool add, bool transpose, T* dst) {
  const ImageShape& shape = plan.shape;
  const BlockGeometry& g = plan.geometry;
  const int64_t num_blocks = indices.dim_size(0), block_elements = int64_t{g.size_h} * g.size_w * shape.c;
  const T* src = blocks.flat<T>().data();
  const int32_t* idx = indices.flat<int32_t>().data();
  if (!plan.collide) {
    ParallelFor(ctx, num_blocks, block_elements, [&](int64_t begin, int64_t end) {
      for (int64_t k = begin; k < end; ++k) {
        ScatterBlock(src + k * block_elements, shape, g, idx + 3 * k, dst, add, transpose, 0, shape.c);
      }
    });
  } else {
    ParallelFor(ctx, shape.c, num_blocks * g.size_h * g.size_w, [&](int64_t begin, int64_t end) {
      for (int64_t k = 0; k < num_blocks; ++k) {
        ScatterBlock(src + k * block_elements, shape, g, idx + 3 * k, dst, true, transpose, begin, end);
      }
    });
  }
}

template <typename T>
class SparseScatterOp : public OpKernel {
 public:
  explicit SparseScatterOp(OpKernelConstruction* ctx) : OpKernel(ctx) {
    OP_REQUIRES_OK(ctx, GeometryAttrs(ctx, nullptr, &geometry_));  // the block size comes from `blocks`
    OP_REQUIRES_OK(ctx, ctx->GetAttr("add", &add_));
    OP_REQUIRES_OK(ctx, ctx->GetAttr("transpose", &transpose_));
  }

  void Compute(OpKernelContext* ctx) override {
    const Tensor& base = ctx->input(2);
    ScatterPlan plan;
    Tensor* y = nullptr;
    bool copy_base = false;
    OP_REQUIRES_OK(ctx, PrepareScatter(ctx, geometry_, add_, transpose_, &plan, &y, &copy_base));
    if (copy_base) {
      const T* from = base.flat<T>().data();
      T* to = y->flat<T>().data();
      ParallelFor(ctx, base.NumElements(), 1, [&](int64_t b, int64_t e) { std::copy(from + b, from + e, to + b); });
    }
    ScatterInto(ctx, ctx->input(0), ctx->input(1), plan, add_, transpose_, y->flat<T>().data());
  }

 private:
  BlockGeometry geometry_{};
  bool add_ = false, transpose_ = false;
};

REGISTER_OP("ZooSbnetSparseScatterZeros")
    .Input("blocks: T")
    .Input("indices: int32")
    .Input("output_size: int32")
    .Output("y: T")
    .Attr("T: {half, bfloat16, float, double}")
    .Attr("bstride: list(int)")
    .Attr("boffset: list(int)")
    .Attr("transpose: bool = false")
    .SetShapeFn([](InferenceContext* c) {
      ShapeHandle blocks, indices, size;
      BlockGeometry g;
      TF_RETURN_IF_ERROR(GeometryAttrs(c, nullptr, &g));
      TF_RETURN_IF_ERROR(c->WithRank(c->input(0), 4, &blocks));
      TF_RETURN_IF_ERROR(c->WithRank(c->input(1), 2, &indices));
      TF_RETURN_IF_ERROR(c->MakeShapeFromShapeTensor(2, &size));
      bool transpose;
      TF_RETURN_IF_ERROR(c->GetAttr("transpose", &transpose));
      ShapeHandle channels = c->Vector(c->Dim(blocks, transpose ? 1 : 3));
      ShapeHandle out;
      TF_RETURN_IF_ERROR(c->Concatenate(size, channels, &out));
      c->set_output(0, out);
      return Status();
    })
    .Doc(R"doc(
ZooSbnetSparseScatter (add = false) onto zeros of size output_size = (N, H, W) and the blocks' channels,
without reading a base image: the sparse convolution's output.
)doc");

template <typename T>
class SparseScatterZerosOp : public OpKernel {
 public:
  explicit SparseScatterZerosOp(OpKernelConstruction* ctx) : OpKernel(ctx) {
    OP_REQUIRES_OK(ctx, GeometryAttrs(ctx, nullptr, &geometry_));
    OP_REQUIRES_OK(ctx, ctx->GetAttr("transpose", &transpose_));
  }

  void Compute(OpKernelContext* ctx) override {
    const Tensor& blocks = ctx->input(0);
    const Tensor& indices = ctx->input(1);
    ImageShape shape;
    OP_REQUIRES_OK(ctx, ZerosOutputShape(blocks, ctx->input(2), transpose_, &shape));
    ScatterPlan plan;
    OP_REQUIRES_OK(ctx, PlanScatter(blocks, indices, shape, geometry_, false, transpose_, &plan));
    Tensor* y = nullptr;
    OP_REQUIRES_OK(ctx, ctx->allocate_output(0, TensorShape({shape.n, shape.h, shape.w, shape.c}), &y));
    T* dst = y->flat<T>().data();
    // All-zero bytes are +0 in every supported float type.
    ParallelFor(ctx, y->NumElements(), 1, [&](int64_t b, int64_t e) { std::memset(dst + b, 0, (e - b) * sizeof(T)); });
    ScatterInto(ctx, blocks, indices, plan, false, transpose_, dst);
  }

 private:
  BlockGeometry geometry_{};
  bool transpose_ = false;
};

#define ZOO_SBNET_REGISTER_CPU(T)                                                                     \
  REGISTER_KERNEL_BUILDER(Name("ZooSbnetSparseGather").Device(DEVICE_CPU).TypeConstraint<T>("T"), \
                          SparseGatherOp<T>);                                                         \
  REGISTER_KERNEL_BUILDER(Name("ZooSbnetSparseScatter").Device(DEVICE_CPU).TypeConstraint<T>("T"), \
                          SparseScatterOp<T>);                                                        \
  REGISTER_KERNEL_BUILDER(Name("ZooSbnetSparseScatterZeros").Device(DEVICE_CPU).TypeConstraint<T>("T"), \
                          SparseScatterZerosOp<T>);

ZOO_SBNET_REGISTER_CPU(Eigen::half)
ZOO_SBNET_REGISTER_CPU(Eigen::bfloat16)
ZOO_SBNET_REGISTER_CPU(float)
ZOO_SBNET_REGISTER_CPU(double)
#undef ZOO_SBNET_REGISTER_CPU

}  // namespace zoo_sbnet
