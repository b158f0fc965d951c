// TensorFlow registration and kernels of SBNet's ops (arXiv:1801.02108, official code uber-research/sbnet):
// ZooSbnetReduceMask, ZooSbnetSparseGather, ZooSbnetSparseScatter and ZooSbnetSparseScatterZeros.
// Each op has ONE kernel body, a template over the device: it validates every input (sbnet_op_common.h),
// allocates the outputs and hands the work to Launcher<Device> (sbnet_launch.h), which runs it as CPU loops or,
// in a build with GOOGLE_CUDA, as CUDA kernels. Gradients are registered in Python (zoo/sbnet/ops.py).
#include "sbnet_launch.h"  // first: it selects the Eigen devices
#include "sbnet_op_common.h"
#include "tensorflow/core/framework/op.h"
#include "tensorflow/core/framework/shape_inference.h"

namespace zoo_sbnet {

using ::tensorflow::OpKernel;
using ::tensorflow::shape_inference::DimensionHandle;
using ::tensorflow::shape_inference::InferenceContext;
using ::tensorflow::shape_inference::ShapeHandle;

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

template <typename Device>
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
    OP_REQUIRES_OK(ctx, Launcher<Device>::ActiveBlockFlags(ctx, mask, shape, attrs_, total, active));
    OP_REQUIRES_OK(ctx, EmitActiveIndices(ctx, active, total, attrs_.count));
  }

 private:
  ReduceMaskAttrs attrs_;
};

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

template <typename Device, typename T>
class SparseGatherOp : public OpKernel {
 public:
  explicit SparseGatherOp(OpKernelConstruction* ctx) : OpKernel(ctx) {
    OP_REQUIRES_OK(ctx, GeometryAttrs(ctx, "bsize", &geometry_));
    OP_REQUIRES_OK(ctx, ctx->GetAttr("transpose", &transpose_));
  }

  void Compute(OpKernelContext* ctx) override {
    ImageShape shape;
    Tensor* blocks = nullptr;
    OP_REQUIRES_OK(ctx, PrepareGather(ctx, geometry_, transpose_, &shape, &blocks));
    OP_REQUIRES_OK(ctx, Launcher<Device>::template Gather<T>(ctx, ctx->input(0), ctx->input(1), shape, geometry_,
                                                             transpose_, blocks));
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

template <typename Device, typename T>
class SparseScatterOp : public OpKernel {
 public:
  explicit SparseScatterOp(OpKernelConstruction* ctx) : OpKernel(ctx) {
    OP_REQUIRES_OK(ctx, GeometryAttrs(ctx, nullptr, &geometry_));  // the block size comes from `blocks`
    OP_REQUIRES_OK(ctx, ctx->GetAttr("add", &add_));
    OP_REQUIRES_OK(ctx, ctx->GetAttr("transpose", &transpose_));
  }

  void Compute(OpKernelContext* ctx) override {
    ScatterPlan plan;
    Tensor* y = nullptr;
    bool copy_base = false;
    OP_REQUIRES_OK(ctx, PrepareScatter(ctx, geometry_, add_, transpose_, &plan, &y, &copy_base));
    // One pass writes the copy of base and the blocks when base could not be forwarded into y.
    const ScatterBase base = copy_base ? ScatterBase::kCopy : ScatterBase::kInPlace;
    OP_REQUIRES_OK(ctx, Launcher<Device>::template Scatter<T>(ctx, ctx->input(0), ctx->input(1), plan, base,
                                                              &ctx->input(2), add_, transpose_, y));
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

template <typename Device, typename T>
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
    // The zeros and the blocks in one pass over the output (sbnet_kernels_cpu.h) on the CPU.
    OP_REQUIRES_OK(ctx, Launcher<Device>::template Scatter<T>(ctx, blocks, indices, plan, ScatterBase::kZeros,
                                                              nullptr, false, transpose_, y));
  }

 private:
  BlockGeometry geometry_{};
  bool transpose_ = false;
};

// The kernels of one device. Block indices, reduce_mask's outputs and output_size live in host memory on every
// device: the ops check them on the host (a no-op annotation on the CPU).
#define ZOO_SBNET_REGISTER_REDUCE_MASK(NAME, DEVICE)                                                      \
  REGISTER_KERNEL_BUILDER(                                                                                \
      Name("ZooSbnetReduceMask").Device(NAME).HostMemory("active_block_indices").HostMemory("bin_count"), \
      ReduceMaskOp<DEVICE>);
#define ZOO_SBNET_REGISTER_BLOCK_OPS(NAME, DEVICE, T)                                                       \
  REGISTER_KERNEL_BUILDER(Name("ZooSbnetSparseGather").Device(NAME).TypeConstraint<T>("T").HostMemory("indices"), \
                          SparseGatherOp<DEVICE, T>);                                                       \
  REGISTER_KERNEL_BUILDER(Name("ZooSbnetSparseScatter").Device(NAME).TypeConstraint<T>("T").HostMemory("indices"), \
                          SparseScatterOp<DEVICE, T>);                                                      \
  REGISTER_KERNEL_BUILDER(Name("ZooSbnetSparseScatterZeros")                                                \
                              .Device(NAME)                                                                 \
                              .TypeConstraint<T>("T")                                                       \
                              .HostMemory("indices")                                                        \
                              .HostMemory("output_size"),                                                   \
                          SparseScatterZerosOp<DEVICE, T>);

ZOO_SBNET_REGISTER_REDUCE_MASK(::tensorflow::DEVICE_CPU, CPUDevice)
ZOO_SBNET_REGISTER_BLOCK_OPS(::tensorflow::DEVICE_CPU, CPUDevice, Eigen::half)
ZOO_SBNET_REGISTER_BLOCK_OPS(::tensorflow::DEVICE_CPU, CPUDevice, Eigen::bfloat16)
ZOO_SBNET_REGISTER_BLOCK_OPS(::tensorflow::DEVICE_CPU, CPUDevice, float)
ZOO_SBNET_REGISTER_BLOCK_OPS(::tensorflow::DEVICE_CPU, CPUDevice, double)
#if GOOGLE_CUDA
ZOO_SBNET_REGISTER_REDUCE_MASK(::tensorflow::DEVICE_GPU, GPUDevice)
// The CUDA kernels are built for half, float and double.
ZOO_SBNET_REGISTER_BLOCK_OPS(::tensorflow::DEVICE_GPU, GPUDevice, Eigen::half)
ZOO_SBNET_REGISTER_BLOCK_OPS(::tensorflow::DEVICE_GPU, GPUDevice, float)
ZOO_SBNET_REGISTER_BLOCK_OPS(::tensorflow::DEVICE_GPU, GPUDevice, double)
#endif  // GOOGLE_CUDA
#undef ZOO_SBNET_REGISTER_BLOCK_OPS
#undef ZOO_SBNET_REGISTER_REDUCE_MASK

}  // namespace zoo_sbnet
