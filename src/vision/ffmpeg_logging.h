// FFmpeg prints decoder warnings on stderr by default; a server keeps its
// stderr for its own JSON log lines.
#pragma once

namespace prism::vision {

// Sets FFmpeg's process-wide log level to quiet. Call once at start-up.
void silence_ffmpeg_logs();

}  // namespace prism::vision
