// What keying the image feature cache costs: SHA-256 of one processed tile
// (3 x S x S floats), median of many runs, next to the tile's bytes.
//
//   build/bench/runtime/tile_hash_bench [reps]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

#include "runtime/image_feature_cache.h"

int main(int argc, char** argv) {
  const int reps = argc > 1 ? std::max(1, std::atoi(argv[1])) : 50;
  std::printf("| tile | MB | ms per tile (median of %d) | GB/s |\n|---|---|---|---|\n", reps);
  for (int size : {384, 512}) {
    std::vector<float> tile(3 * static_cast<std::size_t>(size) * size);
    std::mt19937 rng(1);
    std::uniform_real_distribution<float> u(-1, 1);
    for (auto& x : tile) x = u(rng);
    std::vector<double> ms;
    unsigned sink = 0;
    for (int r = 0; r < reps; ++r) {
      const auto t0 = std::chrono::steady_clock::now();
      sink += prism::runtime::hash_tile(tile.data(), 3, size, size).bytes[0];
      ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    }
    std::nth_element(ms.begin(), ms.begin() + reps / 2, ms.end());
    const double mb = tile.size() * sizeof(float) / 1e6, med = ms[reps / 2];
    std::printf("| 3x%dx%d | %.2f | %.3f | %.2f |\n", size, size, mb, med, mb / med);
    if (sink == 0xffffffff) std::puts("");  // keeps the hashes from being optimised away
  }
}
