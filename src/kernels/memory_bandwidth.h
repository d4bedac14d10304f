// The machine's memory read bandwidth, measured where the engine runs (same
// threads, same moment), so a decoding speed can be set against its floor:
// tokens/s cannot pass bandwidth / bytes of weights read per token.
#pragma once

#include <cstddef>

#include "kernels/thread_pool.h"

namespace prism::kernels {

// Best of `reps` parallel sums over a buffer of `bytes` (far larger than the
// caches), in GB/s (1e9 bytes). The buffer is allocated, touched, and freed.
double measure_read_bandwidth_gbs(ThreadPool& pool, std::size_t bytes = std::size_t{512} << 20, int reps = 3);

}  // namespace prism::kernels
