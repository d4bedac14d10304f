// Which frames of a video SmolVLM looks at (smolvlm_sample_indices_fn,
// transformers v4.51.3).
#pragma once

#include <vector>

#include "vision/image_processor_config.h"

namespace prism::vision {

// desired = min(round(target_fps * duration), max_frames), at least 1 (Python
// round: half to even). When duration - 2*skip_secs > max_frames * target_fps,
// the first and last skip_secs are skipped. Indices are
// np.unique(np.linspace(start, end, desired, dtype=int)).
// Throws prism::InvalidInput when total_frames <= 0 or duration_s <= 0.
std::vector<int> sample_frame_indices(int total_frames, double native_fps, double duration_s,
                                      const VideoSamplingConfig& sampling);

// np.unique(np.linspace(start, stop, num, dtype=int)) for num >= 1.
std::vector<int> unique_linspace_int(int start, int stop, int num);

}  // namespace prism::vision
