// Standalone check of SBNet's CUDA kernels (sbnet_kernels_gpu.cu.cc) against the CPU kernels (sbnet_kernels_cpu.h),
// without TensorFlow; reduce_mask's BlockIsActive (sbnet_block.h) is one function that both devices run. The CPU's
// row kernels (GatherBlocksCpu, ScatterBlocksCpu, MaxPoolFlagsCpu: what the TensorFlow op runs) are checked against
// the same one-block-at-a-time references (GatherBlock, ScatterBlock, BlockIsActive) as the GPU kernels. Random
// cases cover batch, image and block sizes, overlapping strides, negative offsets, mask densities from 0 to 100 %,
// both layouts, write/add/atomic add, and float, double and half. Prints one PASS/FAIL line per case, a summary
// and (for information) the timing of a 1x400x704x24 image at 10 % density; exits non-zero on any failure. Built
// and run by run.sh; arguments: [cases] [seed].
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "sbnet_kernels_cpu.h"
#include "sbnet_kernels_gpu.h"

using namespace zoo_sbnet;

namespace {

void Check(cudaError_t error, const char* what) {
  if (error == cudaSuccess) return;
  std::fprintf(stderr, "CUDA error in %s: %s\n", what, cudaGetErrorString(error));
  std::exit(2);
}

template <typename T>
class DeviceBuffer {
 public:
  explicit DeviceBuffer(const std::vector<T>& host) : size_(host.size()) {
    Check(cudaMalloc(&data_, std::max<size_t>(size_, 1) * sizeof(T)), "cudaMalloc");
    Check(cudaMemcpy(data_, host.data(), size_ * sizeof(T), cudaMemcpyHostToDevice), "upload");
  }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  ~DeviceBuffer() { cudaFree(data_); }
  T* get() const { return data_; }
  std::vector<T> Download() const {
    std::vector<T> host(size_);
    Check(cudaMemcpy(host.data(), data_, size_ * sizeof(T), cudaMemcpyDeviceToHost), "download");
    return host;
  }

 private:
  T* data_ = nullptr;
  size_t size_;
};

struct Case {
  ImageShape shape;
  BlockGeometry g;
  int count_h, count_w;
  double density;
  float tol;
  bool avgpool;
};

// The CPU kernels' `parallel` argument, run serially.
struct Serial {
  template <typename Work>
  void operator()(int64_t total, int64_t, Work&& work) const {
    work(0, total);
  }
};

int Uniform(std::mt19937& rng, int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); }

// Candidate blocks cover the image (every one overlaps it), plus sometimes a row or column entirely outside.
Case RandomCase(std::mt19937& rng) {
  Case c{};
  c.shape = {Uniform(rng, 1, 3), Uniform(rng, 1, 48), Uniform(rng, 1, 48), Uniform(rng, 1, 40)};
  c.g.size_h = Uniform(rng, 1, 9);
  c.g.size_w = Uniform(rng, 1, 9);
  c.g.stride_h = Uniform(rng, 1, c.g.size_h + 2);
  c.g.stride_w = Uniform(rng, 1, c.g.size_w + 2);
  c.g.offset_h = Uniform(rng, 0, 2) == 0 ? 0 : -Uniform(rng, 0, c.g.size_h - 1);
  c.g.offset_w = Uniform(rng, 0, 2) == 0 ? 0 : -Uniform(rng, 0, c.g.size_w - 1);
  c.count_h = static_cast<int>((c.shape.h - c.g.offset_h + c.g.stride_h - 1) / c.g.stride_h) + Uniform(rng, 0, 1);
  c.count_w = static_cast<int>((c.shape.w - c.g.offset_w + c.g.stride_w - 1) / c.g.stride_w) + Uniform(rng, 0, 1);
  const double densities[] = {0.0, 0.01, 0.1, 0.5, 1.0, std::uniform_real_distribution<double>(0, 1)(rng)};
  c.density = densities[Uniform(rng, 0, 5)];
  c.tol = Uniform(rng, 0, 1) ? 0.0f : std::uniform_real_distribution<float>(0, 0.5f)(rng);
  c.avgpool = Uniform(rng, 0, 1);
  return c;
}

std::vector<float> RandomMask(const Case& c, std::mt19937& rng) {
  std::vector<float> mask(c.shape.n * c.shape.h * c.shape.w);
  std::bernoulli_distribution on(c.density);
  std::uniform_real_distribution<float> value(0.0f, 1.0f);
  for (float& m : mask) m = on(rng) ? 1.0f - value(rng) : 0.0f;  // (0, 1]
  return mask;
}

// Row-major (n, block row, block column) of the flagged blocks, as the TensorFlow ops compact them.
std::vector<int32_t> Compact(const std::vector<uint8_t>& flags, const Case& c) {
  std::vector<int32_t> indices;
  for (int64_t b = 0; b < static_cast<int64_t>(flags.size()); ++b) {
    if (!flags[b]) continue;
    const BlockIndex block = CandidateBlock(b, c.count_h, c.count_w);
    indices.insert(indices.end(), {static_cast<int32_t>(block.n), static_cast<int32_t>(block.bi),
                                   static_cast<int32_t>(block.bj)});
  }
  return indices;
}

std::vector<int32_t> ReduceMaskCpu(const std::vector<float>& mask, const Case& c) {
  std::vector<uint8_t> flags(c.shape.n * c.count_h * c.count_w);
  for (size_t b = 0; b < flags.size(); ++b) {
    flags[b] = BlockIsActive(mask.data(), c.shape, c.g, CandidateBlock(b, c.count_h, c.count_w), c.tol, c.avgpool);
  }
  return Compact(flags, c);
}

std::vector<int32_t> ReduceMaskRowKernelCpu(const std::vector<float>& mask, const Case& c) {
  std::vector<uint8_t> flags(c.shape.n * c.count_h * c.count_w);
  MaxPoolFlagsCpu(mask.data(), c.shape, c.g, c.count_h, c.count_w, c.tol, flags.data(), Serial());
  return Compact(flags, c);
}

std::vector<int32_t> ReduceMaskGpu(const std::vector<float>& mask, const Case& c) {
  std::vector<uint8_t> host_flags(c.shape.n * c.count_h * c.count_w);
  DeviceBuffer<float> d_mask(mask);
  DeviceBuffer<uint8_t> d_flags(host_flags);
  Check(ActiveBlockFlagsGpu(d_mask.get(), c.shape, c.g, c.count_h, c.count_w, c.tol, c.avgpool, d_flags.get(),
                            host_flags.data(), nullptr),
        "ActiveBlockFlagsGpu");
  return Compact(host_flags, c);
}

template <typename T>
T FromFloat(float v) {
  return static_cast<T>(v);
}
template <>
__half FromFloat(float v) {
  return __float2half(v);
}

double ToDouble(float v) { return v; }
double ToDouble(double v) { return v; }
double ToDouble(__half v) { return __half2float(v); }

// Uniform values in [-1, 1]; with `exact_sums`, multiples of 1/8 instead, whose sums (up to 256 in magnitude)
// every type holds exactly, so that atomic adds in any order give the CPU's result.
template <typename T>
std::vector<T> RandomValues(size_t size, std::mt19937& rng, bool exact_sums) {
  std::vector<T> values(size);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  for (T& v : values) v = FromFloat<T>(exact_sums ? Uniform(rng, -8, 8) / 8.0f : uniform(rng));
  return values;
}

template <typename T>
bool BitwiseEqual(const std::vector<T>& a, const std::vector<T>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0;
}

template <typename T>
bool Close(const std::vector<T>& got, const std::vector<T>& want, double rel) {
  for (size_t i = 0; i < want.size(); ++i) {
    const double g = ToDouble(got[i]), w = ToDouble(want[i]);
    if (!(std::fabs(g - w) <= rel * std::max(1.0, std::fabs(w)))) return false;
  }
  return true;
}

// Gathers and scatters `indices` in type T and both layouts; appends what differs from the CPU to `failures`.
template <typename T>
void CheckBlocks(const Case& c, const std::vector<int32_t>& indices, const std::vector<int32_t>& repeated,
                 const char* type, std::mt19937& rng, std::string* failures) {
  const int64_t image_size = c.shape.n * c.shape.h * c.shape.w * c.shape.c;
  const int64_t block_size = int64_t{c.g.size_h} * c.g.size_w * c.shape.c;
  const bool disjoint = c.g.stride_h >= c.g.size_h && c.g.stride_w >= c.g.size_w;
  // half sums are only exact (order-independent) with exact_sums data; float and double get a tolerance.
  const bool exact_sums = sizeof(T) == 2;
  const double rel = exact_sums ? 0.0 : 1e-5;
  auto fail = [&](const char* what, bool transpose) {
    *failures += std::string(" ") + what + "<" + type + (transpose ? ",T>" : ">");
  };
  for (bool transpose : {false, true}) {
    const int64_t k = indices.size() / 3;
    const std::vector<T> x = RandomValues<T>(image_size, rng, false);
    std::vector<T> want(k * block_size);
    for (int64_t i = 0; i < k; ++i) {
      GatherBlock(x.data(), c.shape, c.g, IndexRow(indices.data(), i), &want[i * block_size], transpose);
    }
    std::vector<T> cpu(want.size());
    GatherBlocksCpu(x.data(), c.shape, c.g, indices.data(), k, cpu.data(), transpose, Serial());
    if (!BitwiseEqual(cpu, want)) fail("cpu_gather", transpose);
    DeviceBuffer<T> d_x(x), d_blocks(std::vector<T>(want.size()));
    DeviceBuffer<int32_t> d_indices(indices);
    Check(GatherBlocksGpu(d_x.get(), c.shape, c.g, d_indices.get(), k, d_blocks.get(), transpose, nullptr),
          "GatherBlocksGpu");
    if (!BitwiseEqual(d_blocks.Download(), want)) fail("gather", transpose);

    // Scatter `list` (indices or repeated) in `mode` onto a random base and compare within `tolerance`.
    auto scatter = [&](const std::vector<int32_t>& list, ScatterMode mode, bool data_exact, double tolerance,
                       const char* what) {
      const int64_t num = list.size() / 3;
      const std::vector<T> blocks = RandomValues<T>(num * block_size, rng, data_exact);
      std::vector<T> y = RandomValues<T>(image_size, rng, data_exact);
      const std::vector<T> base = y;
      DeviceBuffer<T> d_src(blocks), d_y(y);
      DeviceBuffer<int32_t> d_list(list);
      const bool add = mode != ScatterMode::kWrite, collide = mode == ScatterMode::kAtomicAdd;
      for (int64_t i = 0; i < num; ++i) {
        ScatterBlock(&blocks[i * block_size], c.shape, c.g, IndexRow(list.data(), i), y.data(), add, transpose);
      }
      // The CPU kernel in place and onto a copy of the base (its order of additions is fixed, so exact data give
      // the reference bit for bit; random floats within the tolerance).
      for (ScatterBase how : {ScatterBase::kInPlace, ScatterBase::kCopy}) {
        std::vector<T> cpu = how == ScatterBase::kInPlace ? base : std::vector<T>(image_size);
        ScatterBlocksCpu(blocks.data(), c.shape, c.g, list.data(), num, how, base.data(), add, collide, transpose,
                         cpu.data(), Serial());
        if (tolerance == 0.0 ? !BitwiseEqual(cpu, y) : !Close(cpu, y, tolerance)) fail("cpu_scatter", transpose);
      }
      if (!add) {  // onto zeros
        std::vector<T> zeros(image_size), cpu(image_size, FromFloat<T>(1.0f));
        for (int64_t i = 0; i < num; ++i) {
          ScatterBlock(&blocks[i * block_size], c.shape, c.g, IndexRow(list.data(), i), zeros.data(), false, transpose);
        }
        ScatterBlocksCpu(blocks.data(), c.shape, c.g, list.data(), num, ScatterBase::kZeros, base.data(), false, false,
                         transpose, cpu.data(), Serial());
        if (!BitwiseEqual(cpu, zeros)) fail("cpu_scatter_zeros", transpose);
      }
      Check(ScatterBlocksGpu(d_src.get(), c.shape, c.g, d_list.get(), num, d_y.get(), mode, transpose, nullptr),
            "ScatterBlocksGpu");
      const std::vector<T> got = d_y.Download();
      if (tolerance == 0.0 ? !BitwiseEqual(got, y) : !Close(got, y, tolerance)) fail(what, transpose);
    };
    if (disjoint) {
      scatter(indices, ScatterMode::kWrite, false, 0.0, "scatter");
      scatter(indices, ScatterMode::kAdd, false, 0.0, "scatter_add");
    }
    scatter(repeated, ScatterMode::kAtomicAdd, exact_sums, rel, "scatter_atomic_add");
  }
}

bool RunCase(int number, std::mt19937& rng) {
  const Case c = RandomCase(rng);
  const std::vector<float> mask = RandomMask(c, rng);
  const std::vector<int32_t> indices = ReduceMaskCpu(mask, c);
  std::string failures;
  if (ReduceMaskGpu(mask, c) != indices) failures += " reduce_mask";
  if (!c.avgpool && ReduceMaskRowKernelCpu(mask, c) != indices) failures += " cpu_reduce_mask";
  // Every active block plus a random half of them again, so that atomic adds also meet repeated blocks.
  std::vector<int32_t> repeated = indices;
  for (size_t i = 0; i < indices.size(); i += 3) {
    if (Uniform(rng, 0, 1)) repeated.insert(repeated.end(), &indices[i], &indices[i] + 3);
  }
  CheckBlocks<float>(c, indices, repeated, "float", rng, &failures);
  CheckBlocks<double>(c, indices, repeated, "double", rng, &failures);
  CheckBlocks<__half>(c, indices, repeated, "half", rng, &failures);
  std::printf("%s case %d: n=%lld h=%lld w=%lld c=%lld block=%dx%d stride=%dx%d offset=%d,%d count=%dx%d "
              "density=%.2f tol=%.2f %s active=%zu%s\n",
              failures.empty() ? "PASS" : "FAIL", number, static_cast<long long>(c.shape.n),
              static_cast<long long>(c.shape.h), static_cast<long long>(c.shape.w),
              static_cast<long long>(c.shape.c), c.g.size_h, c.g.size_w, c.g.stride_h, c.g.stride_w, c.g.offset_h,
              c.g.offset_w, c.count_h, c.count_w, c.density, c.tol, c.avgpool ? "avg" : "max", indices.size() / 3,
              failures.c_str());
  return failures.empty();
}

// Milliseconds per call of `launch`, averaged over repeated calls after a warm-up.
template <typename Launch>
float TimeMs(Launch launch) {
  constexpr int kRepeats = 100;
  cudaEvent_t start, stop;
  Check(cudaEventCreate(&start), "cudaEventCreate");
  Check(cudaEventCreate(&stop), "cudaEventCreate");
  Check(launch(), "warm-up");
  Check(cudaEventRecord(start), "cudaEventRecord");
  for (int i = 0; i < kRepeats; ++i) Check(launch(), "timed launch");
  Check(cudaEventRecord(stop), "cudaEventRecord");
  Check(cudaEventSynchronize(stop), "cudaEventSynchronize");
  float ms = 0.0f;
  Check(cudaEventElapsedTime(&ms, start, stop), "cudaEventElapsedTime");
  cudaEventDestroy(start);
  cudaEventDestroy(stop);
  return ms / kRepeats;
}

// SBNet's usual pattern: gather 18x18 blocks at stride 16 (offset -1), run a VALID 3x3 convolution (not here),
// scatter the 16x16 results at stride 16.
void PrintTiming(std::mt19937& rng) {
  const ImageShape shape{1, 400, 704, 24};
  const BlockGeometry gather{18, 18, 16, 16, -1, -1}, scatter{16, 16, 16, 16, 0, 0};
  const int count_h = 25, count_w = 44;  // ceil(400 / 16), ceil(704 / 16)
  std::vector<int32_t> indices;
  std::bernoulli_distribution active(0.1);
  for (int32_t bi = 0; bi < count_h; ++bi)
    for (int32_t bj = 0; bj < count_w; ++bj)
      if (active(rng)) indices.insert(indices.end(), {0, bi, bj});
  const int64_t k = indices.size() / 3;
  DeviceBuffer<float> x(std::vector<float>(shape.h * shape.w * shape.c, 1.0f));
  DeviceBuffer<float> blocks(std::vector<float>(k * 18 * 18 * shape.c, 1.0f));
  DeviceBuffer<int32_t> d_indices(indices);
  DeviceBuffer<float> mask(std::vector<float>(shape.h * shape.w, 0.0f));
  DeviceBuffer<uint8_t> flags(std::vector<uint8_t>(count_h * count_w));
  std::vector<uint8_t> host_flags(count_h * count_w);
  // Each block value is read once and written once.
  auto report = [&](const char* what, int block_hw, float ms) {
    const double bytes = 2.0 * k * block_hw * block_hw * shape.c * sizeof(float);
    std::printf("timing %-28s %8.4f ms  (%6.1f GB/s)\n", what, ms, bytes / ms * 1e-6);
  };
  std::printf("timing: %lldx%lldx%lldx%lld float image, %lld of %d blocks active (10%%)\n",
              static_cast<long long>(shape.n), static_cast<long long>(shape.h), static_cast<long long>(shape.w),
              static_cast<long long>(shape.c), static_cast<long long>(k), count_h * count_w);
  report("gather 18x18/16", 18, TimeMs([&] {
           return GatherBlocksGpu(x.get(), shape, gather, d_indices.get(), k, blocks.get(), false, nullptr);
         }));
  report("gather 18x18/16 transposed", 18, TimeMs([&] {
           return GatherBlocksGpu(x.get(), shape, gather, d_indices.get(), k, blocks.get(), true, nullptr);
         }));
  report("scatter 16x16/16 write", 16, TimeMs([&] {
           return ScatterBlocksGpu(blocks.get(), shape, scatter, d_indices.get(), k, x.get(), ScatterMode::kWrite,
                                   false, nullptr);
         }));
  report("scatter 18x18/16 atomic add", 18, TimeMs([&] {
           return ScatterBlocksGpu(blocks.get(), shape, gather, d_indices.get(), k, x.get(),
                                   ScatterMode::kAtomicAdd, false, nullptr);
         }));
  std::printf("timing %-28s %8.4f ms  (with the copy to the host and a sync)\n", "reduce_mask 18x18/16",
              TimeMs([&] {
                return ActiveBlockFlagsGpu(mask.get(), shape, gather, count_h, count_w, 0.0f, false, flags.get(),
                                           host_flags.data(), nullptr);
              }));
}

}  // namespace

int main(int argc, char** argv) {
  const int cases = argc > 1 ? std::atoi(argv[1]) : 300;
  const unsigned seed = argc > 2 ? static_cast<unsigned>(std::atoi(argv[2])) : 1234u;
  cudaDeviceProp prop;
  Check(cudaGetDeviceProperties(&prop, 0), "cudaGetDeviceProperties");
  std::printf("device: %s (sm_%d%d), %d cases, seed %u\n", prop.name, prop.major, prop.minor, cases, seed);
  std::mt19937 rng(seed);
  int failed = 0;
  for (int i = 0; i < cases; ++i) failed += !RunCase(i, rng);
  std::printf("SUMMARY: %d of %d cases passed%s\n", cases - failed, cases, failed ? " -- FAILURES" : "");
  PrintTiming(rng);
  return failed ? 1 : 0;
}
