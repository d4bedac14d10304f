// Where an image or video of a chat message comes from: a data URL (bytes in
// the request), or a local file (file:// URL or plain path), allowed only
// under the configured directory. Remote URLs are refused.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace prism::runtime {

struct MediaPolicy {
  // Local file paths are allowed only under this directory; none = no local files.
  std::optional<std::filesystem::path> allowed_dir;
  std::int64_t max_image_pixels = 64LL * 1024 * 1024;
  std::size_t max_media_bytes = 64u << 20;
};

struct MediaSource {
  std::optional<std::filesystem::path> path;  // a local file (already checked against the policy)
  std::vector<std::uint8_t> bytes;            // decoded data URL payload
  std::string description;                    // for error messages: the path, or "data URL (image/png)"
};

// Throws prism::InvalidInput for malformed data URLs, remote URLs, missing
// files, files outside allowed_dir (symlinks resolved), or payloads over
// max_media_bytes.
MediaSource resolve_media_url(const std::string& url, const MediaPolicy& policy);

// Standard base64 (RFC 4648, padding optional, whitespace ignored); nullopt when invalid.
std::optional<std::vector<std::uint8_t>> base64_decode(std::string_view text);

}  // namespace prism::runtime
