// The text SmolVLMProcessor (transformers v4.51.3) puts around a video's
// frames when it rewrites a {"type": "video"} content block: an intro, one
// label before each frame's image, and an outro. The rewritten message
// content is: intro text, then per frame (label text, image), then outro
// text, then the message's remaining content.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace prism::vision {

struct VideoPromptText {
  std::string intro;                      // "You are provided the following series of four frames from a 0:00:06 [H:MM:SS] video.\n"
  std::vector<std::string> frame_labels;  // "\nFrame from 00:05:"
  std::string outro;                      // "\n\n"
};

// duration_s is truncated to whole seconds; each frame's time is index / fps.
VideoPromptText video_prompt_text(const std::vector<int>& frame_indices, double fps, double duration_s);

// intro + (label + image_placeholder) per frame + outro: what the chat template
// renders for the video block when each frame is an image placeholder.
std::string join_video_prompt(const VideoPromptText& text, std::string_view image_placeholder);

// Python's str(datetime.timedelta(seconds=s)) for whole seconds >= 0:
// "H:MM:SS", or "N day(s), H:MM:SS".
std::string format_timedelta(long long seconds);

// "mm:ss" of a frame time (minutes not wrapped at 60), as f"{mm:02d}:{ss:02d}"
// with mm = int(t // 60), ss = int(t % 60).
std::string format_frame_time(double seconds);

}  // namespace prism::vision
