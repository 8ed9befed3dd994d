// Read bandwidth of this machine's RAM: every thread sums its share of a buffer far larger than the caches,
// best of several passes. Generation of a dense model reads every weight once per token, so this bounds it.
// Usage: memoryBandwidth MiB THREADS PASSES -> prints {"gbPerSecond": ...}
#include <omp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
  size_t mib = argc > 1 ? strtoul(argv[1], 0, 10) : 1024;
  int threads = argc > 2 ? atoi(argv[2]) : 1;
  int passes = argc > 3 ? atoi(argv[3]) : 5;
  size_t n = mib * 1024 * 1024 / sizeof(uint64_t);
  uint64_t *a = malloc(n * sizeof(uint64_t));
  if (!a) return 1;
  omp_set_num_threads(threads);
#pragma omp parallel for schedule(static)
  for (size_t i = 0; i < n; i++) a[i] = i;
  double best = 0;
  uint64_t total = 0;
  for (int p = 0; p < passes; p++) {
    double t0 = omp_get_wtime();
    uint64_t sum = 0;
#pragma omp parallel for schedule(static) reduction(+ : sum)
    for (size_t i = 0; i < n; i++) sum += a[i];
    double s = omp_get_wtime() - t0;
    total += sum;
    double gbps = (double)(n * sizeof(uint64_t)) / s / 1e9;
    if (gbps > best) best = gbps;
  }
  printf("{\"gbPerSecond\": %.3f, \"checksum\": %llu}\n", best, (unsigned long long)(total & 0xffff));
  free(a);
  return 0;
}
