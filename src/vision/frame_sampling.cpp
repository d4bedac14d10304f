#include "vision/frame_sampling.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "core/error.h"

namespace prism::vision {

std::vector<int> unique_linspace_int(int start, int stop, int num) {
  std::vector<int> out;
  if (num < 1) return out;
  // numpy: step = (stop - start) / (num - 1); y = arange(num) * step + start;
  // y[-1] = stop; floor; cast.
  const double first = start;
  const double delta = static_cast<double>(stop) - first;
  out.reserve(static_cast<std::size_t>(num));
  if (num == 1) {
    out.push_back(start);
    return out;
  }
  const double step = delta / (num - 1);
  for (int i = 0; i < num; ++i) {
    double y = (step == 0.0) ? (static_cast<double>(i) / (num - 1)) * delta : static_cast<double>(i) * step;
    y += first;
    if (i == num - 1) y = stop;
    out.push_back(static_cast<int>(std::floor(y)));
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::vector<int> sample_frame_indices(int total_frames, double native_fps, double duration_s,
                                      const VideoSamplingConfig& sampling) {
  if (total_frames <= 0) throw InvalidInput("video has no frames (total_num_frames=" + std::to_string(total_frames) + ")");
  if (!(duration_s > 0)) throw InvalidInput("video has zero duration");
  const double estimated = std::nearbyint(sampling.fps * duration_s);  // Python round(): half to even
  int desired = static_cast<int>(std::min(estimated, static_cast<double>(sampling.max_frames)));
  if (desired < 1) desired = 1;

  int start = 0;
  int end = total_frames - 1;
  if (sampling.skip_secs > 0 && (duration_s - 2 * sampling.skip_secs) > (sampling.max_frames * sampling.fps)) {
    start = static_cast<int>(sampling.skip_secs * native_fps);
    end = static_cast<int>(total_frames - sampling.skip_secs * native_fps);
  }
  start = std::max(0, start);
  end = std::min(end, total_frames - 1);
  if (start >= end) {
    start = 0;
    end = total_frames - 1;
  }
  return unique_linspace_int(start, end, desired);
}

}  // namespace prism::vision
