// multipart/form-data (RFC 7578) as OpenAI's upload endpoints take it: a
// small, bounded parser over a body already held in memory. Throws ApiError
// (400) naming what is wrong; parts point into the body (no copies).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace prism::server {

struct FormPart {
  std::string name;
  std::string filename;      // empty for plain fields
  std::string content_type;  // empty when the part names none
  std::string_view data;
};

struct MultipartLimits {
  std::size_t max_parts = 32;
  std::size_t max_part_header_bytes = 8192;
};

// The boundary from a Content-Type header value; throws ApiError when the
// type is not multipart/form-data or the boundary is missing or invalid.
std::string multipart_boundary(std::string_view content_type);

std::vector<FormPart> parse_multipart(std::string_view body, std::string_view boundary, MultipartLimits limits = {});

}  // namespace prism::server
