#include "runtime/media_source.h"

#include <algorithm>

#include "core/error.h"

namespace prism::runtime {

namespace fs = std::filesystem;

std::optional<std::vector<std::uint8_t>> base64_decode(std::string_view text) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+' || c == '-') return 62;  // '-' / '_': the URL-safe alphabet, which some clients send
    if (c == '/' || c == '_') return 63;
    return -1;
  };
  std::vector<std::uint8_t> out;
  out.reserve(text.size() / 4 * 3);
  std::uint32_t acc = 0;
  int bits = 0;
  std::size_t padding = 0;
  for (char c : text) {
    if (c == ' ' || c == '\n' || c == '\r' || c == '\t') continue;
    if (c == '=') {
      ++padding;
      continue;
    }
    if (padding > 0) return std::nullopt;  // data after padding
    const int v = value(c);
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<std::uint8_t>((acc >> bits) & 0xff));
    }
  }
  if (padding > 2 || bits >= 6) return std::nullopt;
  return out;
}

namespace {

std::string percent_decode(const std::string& s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

bool starts_with(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

}  // namespace

MediaSource resolve_media_url(const std::string& url, const MediaPolicy& policy) {
  MediaSource src;
  if (starts_with(url, "data:")) {
    const auto comma = url.find(',');
    if (comma == std::string::npos) throw InvalidInput("malformed data URL: no ',' separates the header from the data");
    const std::string header = url.substr(5, comma - 5);
    if (header.size() < 7 || header.compare(header.size() - 7, 7, ";base64") != 0)
      throw InvalidInput("data URL must be base64-encoded (\"data:<mime>;base64,...\")");
    const std::string mime = header.substr(0, header.size() - 7);
    src.description = "data URL (" + (mime.empty() ? std::string("no type") : mime) + ")";
    // Check the size before decoding: base64 carries 3 bytes per 4 characters.
    if ((url.size() - comma - 1) / 4 * 3 > policy.max_media_bytes + 3)
      throw InvalidInput(src.description + " is larger than the " + std::to_string(policy.max_media_bytes) +
                         "-byte limit");
    auto bytes = base64_decode(std::string_view(url).substr(comma + 1));
    if (!bytes) throw InvalidInput(src.description + ": invalid base64 data");
    if (bytes->empty()) throw InvalidInput(src.description + " is empty");
    src.bytes = std::move(*bytes);
    return src;
  }
  if (starts_with(url, "http://") || starts_with(url, "https://"))
    throw InvalidInput("remote media URLs are not fetched (" + url.substr(0, 64) +
                       "); send the image as a data URL");
  std::string path_text = url;
  if (starts_with(url, "file://")) {
    path_text = percent_decode(url.substr(7));
    if (starts_with(path_text, "localhost/")) path_text = path_text.substr(9);
  } else if (url.find("://") != std::string::npos) {
    throw InvalidInput("unsupported media URL scheme in '" + url.substr(0, 64) + "'");
  }
  if (path_text.empty()) throw InvalidInput("empty media URL");
  if (!policy.allowed_dir) throw InvalidInput("local media paths are not allowed here ('" + path_text + "')");

  std::error_code ec;
  fs::path root = fs::weakly_canonical(*policy.allowed_dir, ec);
  if (!root.has_filename() && root != root.root_path()) root = root.parent_path();  // "dir/" -> "dir"
  fs::path p = fs::path(path_text);
  if (p.is_relative()) p = *policy.allowed_dir / p;
  const fs::path resolved = fs::weakly_canonical(p, ec);
  if (ec) throw InvalidInput("cannot resolve media path '" + path_text + "'");
  // Inside the allowed directory after symlinks are resolved.
  auto [root_end, _] = std::mismatch(root.begin(), root.end(), resolved.begin(), resolved.end());
  if (root_end != root.end())
    throw InvalidInput("media path '" + path_text + "' is outside the allowed directory " + root.string());
  if (!fs::is_regular_file(resolved, ec)) throw InvalidInput("media file '" + path_text + "' does not exist");
  const auto size = fs::file_size(resolved, ec);
  if (!ec && size > policy.max_media_bytes)
    throw InvalidInput("media file '" + path_text + "' is larger than the " + std::to_string(policy.max_media_bytes) +
                       "-byte limit");
  src.path = resolved;
  src.description = resolved.string();
  return src;
}

}  // namespace prism::runtime
