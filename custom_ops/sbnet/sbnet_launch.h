// How each device runs the work of the SBNet ops. The op kernels (sbnet_ops.cc) are one template over the
// device: they validate every input (sbnet_op_common.h), allocate the outputs and call Launcher<Device>, whose
// specialisations differ only in how the work runs: the row kernels of sbnet_kernels_cpu.h over TensorFlow's
// intra-op thread pool, or CUDA kernels on the op's stream (sbnet_kernels_gpu.h, built when GOOGLE_CUDA).
//
// Every specialisation provides, for inputs the op has already validated and outputs it has allocated:
//   ActiveBlockFlags(ctx, mask, shape, attrs, total, host_flags): host_flags[b] = BlockIsActive(...) of each of the
//       `total` candidate blocks (CandidateBlock(b, bcount)), in host memory when it returns.
//   Gather<T>(ctx, x, indices, shape, g, transpose, blocks): GatherBlock of each row of the host tensor `indices`.
//   Scatter<T>(ctx, blocks, indices, plan, base, base_tensor, add, transpose, y): ScatterBlock of each block into y,
//       whose other values become zeros (base kZeros), a copy of *base_tensor (kCopy) or stay (kInPlace); blocks
//       that collide (plan.collide, only with add) are added without races.
// Include this header first: it selects the Eigen devices before TensorFlow includes Eigen.
#ifndef ZOO_SBNET_LAUNCH_H_
#define ZOO_SBNET_LAUNCH_H_

#ifndef EIGEN_USE_THREADS
#define EIGEN_USE_THREADS
#endif
#if GOOGLE_CUDA && !defined(EIGEN_USE_GPU)
#define EIGEN_USE_GPU
#endif

#include <algorithm>
#include <functional>
#include <new>
#include <vector>

#include "sbnet_kernels_cpu.h"
#include "sbnet_op_common.h"
#include "tensorflow/core/util/work_sharder.h"
#include "unsupported/Eigen/CXX11/Tensor"
#if GOOGLE_CUDA
#include "sbnet_kernels_gpu.h"
#endif

namespace zoo_sbnet {

using CPUDevice = Eigen::ThreadPoolDevice;

template <typename Device>
struct Launcher;

// TensorFlow's intra-op thread pool as the `parallel` argument of the CPU kernels.
class ThreadPoolFor {
 public:
  explicit ThreadPoolFor(OpKernelContext* ctx) : workers_(*ctx->device()->tensorflow_cpu_worker_threads()) {}

  void operator()(int64_t total, int64_t cost_per_item, const std::function<void(int64_t, int64_t)>& work) const {
    ::tensorflow::Shard(workers_.num_threads, workers_.workers, total, std::max<int64_t>(cost_per_item, 1), work);
  }

 private:
  const ::tensorflow::DeviceBase::CpuWorkerThreads& workers_;
};

template <>
struct Launcher<CPUDevice> {
  static Status ActiveBlockFlags(OpKernelContext* ctx, const Tensor& mask, const ImageShape& shape,
                                 const ReduceMaskAttrs& attrs, int64_t total, uint8_t* host_flags) {
    const float* data = mask.flat<float>().data();
    const BlockGeometry& g = attrs.geometry;
    if (!attrs.avgpool) {
      MaxPoolFlagsCpu(data, shape, g, attrs.count[0], attrs.count[1], attrs.tol, host_flags, ThreadPoolFor(ctx));
      return Status();
    }
    // Average pooling sums each window on its own, in the order the GPU kernel sums it (double rounding depends on
    // the order, and both devices must flag the same blocks). A block reads at most its window clipped to the image.
    const int64_t cost = std::min<int64_t>(g.size_h, shape.h) * std::min<int64_t>(g.size_w, shape.w);
    const ThreadPoolFor parallel(ctx);
    parallel(total, cost, [&](int64_t begin, int64_t end) {
      for (int64_t b = begin; b < end; ++b) {
        host_flags[b] = BlockIsActive(data, shape, g, CandidateBlock(b, attrs.count[0], attrs.count[1]), attrs.tol,
                                      true);
      }
    });
    return Status();
  }

  template <typename T>
  static Status Gather(OpKernelContext* ctx, const Tensor& x, const Tensor& indices, const ImageShape& shape,
                       const BlockGeometry& g, bool transpose, Tensor* blocks) {
    GatherBlocksCpu(x.flat<T>().data(), shape, g, indices.flat<int32_t>().data(), indices.dim_size(0),
                    blocks->flat<T>().data(), transpose, ThreadPoolFor(ctx));
    return Status();
  }

  template <typename T>
  static Status Scatter(OpKernelContext* ctx, const Tensor& blocks, const Tensor& indices, const ScatterPlan& plan,
                        ScatterBase base, const Tensor* base_tensor, bool add, bool transpose, Tensor* y) {
    try {
      ScatterBlocksCpu(blocks.flat<T>().data(), plan.shape, plan.geometry, indices.flat<int32_t>().data(),
                       indices.dim_size(0), base, base == ScatterBase::kCopy ? base_tensor->flat<T>().data() : nullptr,
                       add, plan.collide, transpose, y->flat<T>().data(), ThreadPoolFor(ctx));
    } catch (const std::bad_alloc&) {  // the sorted block list
      return ::tensorflow::errors::ResourceExhausted("no memory to sort ", indices.dim_size(0), " block indices");
    }
    return Status();
  }
};

#if GOOGLE_CUDA
using GPUDevice = Eigen::GpuDevice;

// The CUDA type with the layout of each TensorFlow element type.
template <typename T>
struct CudaType {
  using type = T;
};
template <>
struct CudaType<Eigen::half> {
  using type = __half;
};

// Block indices stay in host memory on the GPU too (HostMemory in the registrations): the op checks them on the
// host, and reduce_mask's output feeds gather and scatter without a device round trip. The launcher copies them
// to the device for the kernels.
template <>
struct Launcher<GPUDevice> {
  static Status ActiveBlockFlags(OpKernelContext* ctx, const Tensor& mask, const ImageShape& shape,
                                 const ReduceMaskAttrs& attrs, int64_t total, uint8_t* host_flags) {
    Tensor flags;
    TF_RETURN_IF_ERROR(ctx->allocate_temp(::tensorflow::DT_UINT8, TensorShape({total}), &flags));
    return CudaStatus(ActiveBlockFlagsGpu(mask.flat<float>().data(), shape, attrs.geometry, attrs.count[0],
                                          attrs.count[1], attrs.tol, attrs.avgpool, flags.flat<uint8_t>().data(),
                                          host_flags, Stream(ctx)),
                      "reduce_mask");
  }

  template <typename T>
  static Status Gather(OpKernelContext* ctx, const Tensor& x, const Tensor& indices, const ImageShape& shape,
                       const BlockGeometry& g, bool transpose, Tensor* blocks) {
    Tensor device_indices;
    TF_RETURN_IF_ERROR(IndicesToDevice(ctx, indices, &device_indices));
    return CudaStatus(GatherBlocksGpu(Data<T>(x), shape, g, device_indices.flat<int32_t>().data(),
                                      indices.dim_size(0), Data<T>(blocks), transpose, Stream(ctx)),
                      "sparse_gather");
  }

  template <typename T>
  static Status Scatter(OpKernelContext* ctx, const Tensor& blocks, const Tensor& indices, const ScatterPlan& plan,
                        ScatterBase base, const Tensor* base_tensor, bool add, bool transpose, Tensor* y) {
    if (base == ScatterBase::kZeros) {
      TF_RETURN_IF_ERROR(CudaStatus(cudaMemsetAsync(y->flat<T>().data(), 0, y->TotalBytes(), Stream(ctx)),
                                    "zeroing the output"));
    } else if (base == ScatterBase::kCopy) {
      TF_RETURN_IF_ERROR(CudaStatus(cudaMemcpyAsync(y->flat<T>().data(), base_tensor->flat<T>().data(),
                                                    base_tensor->TotalBytes(), cudaMemcpyDeviceToDevice, Stream(ctx)),
                                    "copying base"));
    }
    Tensor device_indices;
    TF_RETURN_IF_ERROR(IndicesToDevice(ctx, indices, &device_indices));
    const ScatterMode mode = !add ? ScatterMode::kWrite : plan.collide ? ScatterMode::kAtomicAdd : ScatterMode::kAdd;
    return CudaStatus(ScatterBlocksGpu(Data<T>(blocks), plan.shape, plan.geometry,
                                       device_indices.flat<int32_t>().data(), indices.dim_size(0), Data<T>(y), mode,
                                       transpose, Stream(ctx)),
                      "sparse_scatter");
  }

 private:
  static cudaStream_t Stream(OpKernelContext* ctx) { return ctx->eigen_device<GPUDevice>().stream(); }

  static Status CudaStatus(cudaError_t error, const char* what) {
    if (error == cudaSuccess) return Status();
    return ::tensorflow::errors::Internal(what, " failed: ", cudaGetErrorString(error));
  }

  template <typename T>
  static const typename CudaType<T>::type* Data(const Tensor& t) {
    return reinterpret_cast<const typename CudaType<T>::type*>(t.flat<T>().data());
  }

  template <typename T>
  static typename CudaType<T>::type* Data(Tensor* t) {
    return reinterpret_cast<typename CudaType<T>::type*>(t->flat<T>().data());
  }

  // Copies the host tensor `indices` into a device temporary. It goes through a pageable buffer because
  // cudaMemcpyAsync has consumed pageable memory when it returns, whereas a pinned `indices` could be freed
  // and reused before the asynchronous copy reads it.
  static Status IndicesToDevice(OpKernelContext* ctx, const Tensor& indices, Tensor* on_device) {
    TF_RETURN_IF_ERROR(ctx->allocate_temp(::tensorflow::DT_INT32, indices.shape(), on_device));
    const auto flat = indices.flat<int32_t>();
    if (flat.size() == 0) return Status();
    const std::vector<int32_t> pageable(flat.data(), flat.data() + flat.size());
    return CudaStatus(cudaMemcpyAsync(on_device->flat<int32_t>().data(), pageable.data(),
                                      pageable.size() * sizeof(int32_t), cudaMemcpyHostToDevice, Stream(ctx)),
                      "copying the block indices to the GPU");
  }
};
#endif  // GOOGLE_CUDA

}  // namespace zoo_sbnet

#endif  // ZOO_SBNET_LAUNCH_H_
