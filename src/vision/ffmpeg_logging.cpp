#include "vision/ffmpeg_logging.h"

extern "C" {
#include <libavutil/log.h>
}

namespace prism::vision {

void silence_ffmpeg_logs() { av_log_set_level(AV_LOG_QUIET); }

}  // namespace prism::vision
