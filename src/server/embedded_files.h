// The playground page's files (web/static), compiled into the binary. The
// table is generated at build time by cmake/EmbedFiles.cmake (see
// web/CMakeLists.txt).
#pragma once

#include <span>
#include <string_view>

namespace prism::server {

struct EmbeddedFile {
  std::string_view path;    // URL path: "/index.html", "/js/chat_view.js"
  std::string_view data;    // the file's bytes
  std::string_view sha256;  // hex digest of `data`, for the ETag
};

// Sorted by path.
std::span<const EmbeddedFile> playground_files();

}  // namespace prism::server
