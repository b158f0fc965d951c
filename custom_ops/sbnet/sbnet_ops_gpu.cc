// GPU kernels of the SBNet ops registered in sbnet_ops.cc, launching the CUDA code of sbnet_kernels.cu.cc.
// Built only when setup.py compiles CUDA (GOOGLE_CUDA). Block indices live in host memory on the GPU too
// (HostMemory): the ops check them on the host with the CPU kernels' checks (sbnet_op_common.h), and
// reduce_mask's output feeds gather and scatter without a device round trip.
#if GOOGLE_CUDA
#define EIGEN_USE_GPU

#include <vector>

#include "sbnet_kernels_gpu.h"
#include "sbnet_op_common.h"

namespace zoo_sbnet {

using ::tensorflow::DEVICE_GPU;
using ::tensorflow::OpKernel;

namespace {

Status CudaStatus(cudaError_t error, const char* what) {
  if (error == cudaSuccess) return Status();
  return ::tensorflow::errors::Internal(what, " failed: ", cudaGetErrorString(error));
}

cudaStream_t Stream(OpKernelContext* ctx) { return ctx->eigen_device<Eigen::GpuDevice>().stream(); }

// Copies the host tensor `indices` into a device temporary. It goes through a pageable buffer because
// cudaMemcpyAsync has consumed pageable memory when it returns, whereas a pinned `indices` could be freed
// and reused before the asynchronous copy reads it.
Status IndicesToDevice(OpKernelContext* ctx, const Tensor& indices, Tensor* on_device) {
  TF_RETURN_IF_ERROR(ctx->allocate_temp(::tensorflow::DT_INT32, indices.shape(), on_device));
  const auto flat = indices.flat<int32_t>();
  if (flat.size() == 0) return Status();
  const std::vector<int32_t> pageable(flat.data(), flat.data() + flat.size());
  return CudaStatus(cudaMemcpyAsync(on_device->flat<int32_t>().data(), pageable.data(),
                                    pageable.size() * sizeof(int32_t), cudaMemcpyHostToDevice, Stream(ctx)),
                    "copying the block indices to the GPU");
}

// The CUDA type with the layout of each TensorFlow element type.
template <typename T>
struct CudaType {
  using type = T;
};
template <>
struct CudaType<Eigen::half> {
  using type = __half;
};

template <typename T>
const typename CudaType<T>::type* CudaData(const Tensor& t) {
  return reinterpret_cast<const typename CudaType<T>::type*>(t.flat<T>().data());
}

template <typename T>
typename CudaType<T>::type* CudaData(Tensor* t) {
  return reinterpret_cast<typename CudaType<T>::type*>(t->flat<T>().data());
}

}  // namespace

class ReduceMaskGpuOp : public OpKernel {
 public:
  explicit ReduceMaskGpuOp(OpKernelConstruction* ctx) : OpKernel(ctx) {
    OP_REQUIRES_OK(ctx, ReadReduceMaskAttrs(ctx, &attrs_));
  }

  void Compute(OpKernelContext* ctx) override {
    const Tensor& mask = ctx->input(0);
    ImageShape shape;
    int64_t total = 0;
    OP_REQUIRES_OK(ctx, PlanReduceMask(mask, attrs_, &shape, &total));
    Tensor flags, host_flags;
    OP_REQUIRES_OK(ctx, ctx->allocate_temp(::tensorflow::DT_UINT8, TensorShape({total}), &flags));
    OP_REQUIRES_OK(ctx, AllocateHostFlags(ctx, total, &host_flags));
    uint8_t* active = host_flags.flat<uint8_t>().data();
    OP_REQUIRES_OK(ctx, CudaStatus(ActiveBlockFlagsGpu(mask.flat<float>().data(), shape, attrs_.geometry,
                                                       attrs_.count[0], attrs_.count[1], attrs_.tol, attrs_.avgpool,
                                                       flags.flat<uint8_t>().data(), active, Stream(ctx)),
                                   "reduce_mask"));
    OP_REQUIRES_OK(ctx, EmitActiveIndices(ctx, active, total, attrs_.count));
  }

 private:
  ReduceMaskAttrs attrs_;
};

REGISTER_KERNEL_BUILDER(
    Name("ZooSbnetReduceMask").Device(DEVICE_GPU).HostMemory("active_block_indices").HostMemory("bin_count"),
    ReduceMaskGpuOp);

template <typename T>
class SparseGatherGpuOp : public OpKernel {
 public:
  explicit SparseGatherGpuOp(OpKernelConstruction* ctx) : OpKernel(ctx) {
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
    Tensor device_indices;
    OP_REQUIRES_OK(ctx, IndicesToDevice(ctx, indices, &device_indices));
    OP_REQUIRES_OK(ctx, CudaStatus(GatherBlocksGpu(CudaData<T>(x), shape, geometry_,
                                                   device_indices.flat<int32_t>().data(), num_blocks,
                                                   CudaData<T>(blocks), transpose_, Stream(ctx)),
                                   "sparse_gather"));
  }

 private:
  BlockGeometry geometry_{};
  bool transpose_ = false;
};

template <typename T>
class SparseScatterGpuOp : public OpKernel {
 public:
  explicit SparseScatterGpuOp(OpKernelConstruction* ctx) : OpKernel(ctx) {
    OP_REQUIRES_OK(ctx, GeometryAttrs(ctx, nullptr, &geometry_));  // the block size comes from `blocks`
    OP_REQUIRES_OK(ctx, ctx->GetAttr("add", &add_));
    OP_REQUIRES_OK(ctx, ctx->GetAttr("transpose", &transpose_));
  }

  void Compute(OpKernelContext* ctx) override {
    const Tensor& blocks = ctx->input(0);
    const Tensor& indices = ctx->input(1);
    const Tensor& base = ctx->input(2);
    ScatterPlan plan;
    Tensor* y = nullptr;
    bool copy_base = false;
    OP_REQUIRES_OK(ctx, PrepareScatter(ctx, geometry_, add_, transpose_, &plan, &y, &copy_base));
    if (copy_base) {
      OP_REQUIRES_OK(ctx, CudaStatus(cudaMemcpyAsync(y->flat<T>().data(), base.flat<T>().data(),
                                                     base.TotalBytes(), cudaMemcpyDeviceToDevice, Stream(ctx)),
                                     "copying base"));
    }
    Tensor device_indices;
    OP_REQUIRES_OK(ctx, IndicesToDevice(ctx, indices, &device_indices));
    const ScatterMode mode = !add_ ? ScatterMode::kWrite : plan.collide ? ScatterMode::kAtomicAdd : ScatterMode::kAdd;
    OP_REQUIRES_OK(ctx, CudaStatus(ScatterBlocksGpu(CudaData<T>(blocks), plan.shape, plan.geometry,
                                                    device_indices.flat<int32_t>().data(), indices.dim_size(0),
                                                    CudaData<T>(y), mode, transpose_, Stream(ctx)),
                                   "sparse_scatter"));
  }

 private:
  BlockGeometry geometry_{};
  bool add_ = false, transpose_ = false;
};

template <typename T>
class SparseScatterZerosGpuOp : public OpKernel {
 public:
  explicit SparseScatterZerosGpuOp(OpKernelConstruction* ctx) : OpKernel(ctx) {
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
    OP_REQUIRES_OK(ctx, CudaStatus(cudaMemsetAsync(y->flat<T>().data(), 0, y->TotalBytes(), Stream(ctx)),
                                   "zeroing the output"));
    Tensor device_indices;
    OP_REQUIRES_OK(ctx, IndicesToDevice(ctx, indices, &device_indices));
    OP_REQUIRES_OK(ctx, CudaStatus(ScatterBlocksGpu(CudaData<T>(blocks), plan.shape, plan.geometry,
                                                    device_indices.flat<int32_t>().data(), indices.dim_size(0),
                                                    CudaData<T>(y), ScatterMode::kWrite, transpose_, Stream(ctx)),
                                   "sparse_scatter_zeros"));
  }

 private:
  BlockGeometry geometry_{};
  bool transpose_ = false;
};

#define ZOO_SBNET_REGISTER_GPU(T)                                                                           \
  REGISTER_KERNEL_BUILDER(                                                                                  \
      Name("ZooSbnetSparseGather").Device(DEVICE_GPU).TypeConstraint<T>("T").HostMemory("indices"),         \
      SparseGatherGpuOp<T>);                                                                                \
  REGISTER_KERNEL_BUILDER(                                                                                  \
      Name("ZooSbnetSparseScatter").Device(DEVICE_GPU).TypeConstraint<T>("T").HostMemory("indices"),        \
      SparseScatterGpuOp<T>);                                                                               \
  REGISTER_KERNEL_BUILDER(Name("ZooSbnetSparseScatterZeros")                                                \
                              .Device(DEVICE_GPU)                                                           \
                              .TypeConstraint<T>("T")                                                       \
                              .HostMemory("indices")                                                        \
                              .HostMemory("output_size"),                                                   \
                          SparseScatterZerosGpuOp<T>);

ZOO_SBNET_REGISTER_GPU(Eigen::half)
ZOO_SBNET_REGISTER_GPU(float)
ZOO_SBNET_REGISTER_GPU(double)
#undef ZOO_SBNET_REGISTER_GPU

}  // namespace zoo_sbnet

#endif  // GOOGLE_CUDA
