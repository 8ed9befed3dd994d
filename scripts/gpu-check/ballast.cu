// GPU memory ballast: allocates device memory until the GPU's free memory is down to TARGET_MiB,
// prints one "ready ..." line, and holds the memory until it is killed (SIGTERM/SIGINT).
// With it, an 80 GB H100 looks like an 8/12/24 GB card to llama.cpp (cudaMemGetInfo's free).
//
//   nvcc -O2 -o ballast ballast.cu && ./ballast 8192 [device]
#include <cuda_runtime.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <vector>

static volatile sig_atomic_t stop = 0;
static void on_signal(int) { stop = 1; }

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s TARGET_FREE_MiB [device]\n", argv[0]);
    return 2;
  }
  const size_t MiB = 1024ull * 1024ull;
  const size_t target = (size_t)strtoull(argv[1], nullptr, 10) * MiB;
  const int device = argc > 2 ? atoi(argv[2]) : 0;
  cudaError_t err = cudaSetDevice(device);
  if (err != cudaSuccess) {
    fprintf(stderr, "ballast: cudaSetDevice(%d): %s\n", device, cudaGetErrorString(err));
    return 1;
  }
  cudaFree(0);  // create the context first: its own memory counts as used
  std::vector<void *> blocks;
  size_t held = 0, free_b = 0, total_b = 0;
  // Big blocks first, then smaller ones, until free is within 2 MiB of the target.
  const size_t chunks[] = {4096 * MiB, 1024 * MiB, 256 * MiB, 64 * MiB, 16 * MiB, 2 * MiB};
  for (size_t chunk : chunks) {
    for (;;) {
      if (cudaMemGetInfo(&free_b, &total_b) != cudaSuccess) {
        fprintf(stderr, "ballast: cudaMemGetInfo failed\n");
        return 1;
      }
      if (free_b < target + chunk) break;
      void *p = nullptr;
      if (cudaMalloc(&p, chunk) != cudaSuccess) {
        cudaGetLastError();
        break;
      }
      blocks.push_back(p);
      held += chunk;
    }
  }
  cudaMemGetInfo(&free_b, &total_b);
  signal(SIGTERM, on_signal);
  signal(SIGINT, on_signal);
  printf("ready target_free_mib=%zu free_mib=%zu total_mib=%zu held_mib=%zu blocks=%zu\n", target / MiB, free_b / MiB,
         total_b / MiB, held / MiB, blocks.size());
  fflush(stdout);
  if (free_b > target + 64 * MiB) fprintf(stderr, "ballast: could not hold enough memory (free %zu MiB)\n", free_b / MiB);
  while (!stop) pause();
  for (void *p : blocks) cudaFree(p);
  return 0;
}
