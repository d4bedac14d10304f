#include "vision/video_prompt.h"

#include <cmath>
#include <cstdio>

#include "vision/num2words.h"

namespace prism::vision {

std::string format_timedelta(long long seconds) {
  if (seconds < 0) seconds = 0;
  const long long days = seconds / 86400;
  const long long rest = seconds % 86400;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%lld:%02lld:%02lld", rest / 3600, (rest % 3600) / 60, rest % 60);
  if (days == 0) return buf;
  return std::to_string(days) + (days == 1 ? " day, " : " days, ") + buf;
}

std::string format_frame_time(double seconds) {
  // CPython's float_divmod, so that t // 60 and t % 60 round exactly as there.
  const double divisor = 60.0;
  double secs = std::fmod(seconds, divisor);
  double div = (seconds - secs) / divisor;
  if (secs != 0.0 && ((divisor < 0) != (secs < 0))) {
    secs += divisor;
    div -= 1.0;
  }
  double minutes = std::floor(div);
  if (div - minutes > 0.5) minutes += 1.0;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%02lld:%02lld", static_cast<long long>(minutes), static_cast<long long>(std::trunc(secs)));
  return buf;
}

VideoPromptText video_prompt_text(const std::vector<int>& frame_indices, double fps, double duration_s) {
  VideoPromptText text;
  text.intro = "You are provided the following series of " +
               num2words_en(static_cast<std::int64_t>(frame_indices.size())) + " frames from a " +
               format_timedelta(static_cast<long long>(std::trunc(duration_s))) + " [H:MM:SS] video.\n";
  for (int index : frame_indices) text.frame_labels.push_back("\nFrame from " + format_frame_time(index / fps) + ":");
  text.outro = "\n\n";
  return text;
}

std::string join_video_prompt(const VideoPromptText& text, std::string_view image_placeholder) {
  std::string out = text.intro;
  for (const std::string& label : text.frame_labels) {
    out += label;
    out += image_placeholder;
  }
  out += text.outro;
  return out;
}

}  // namespace prism::vision
