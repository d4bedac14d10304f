#include "server/multipart_form.h"

#include <algorithm>
#include <cctype>

#include "server/openai_error.h"

namespace prism::server {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// The value of `param` in a header like `form-data; name="file"; filename="a.wav"`.
std::string header_param(std::string_view header, std::string_view param) {
  std::size_t pos = 0;
  while ((pos = header.find(';', pos)) != std::string_view::npos) {
    std::string_view rest = trim(header.substr(pos + 1));
    const auto eq = rest.find('=');
    if (eq != std::string_view::npos && lower(trim(rest.substr(0, eq))) == param) {
      std::string_view value = trim(rest.substr(eq + 1));
      if (!value.empty() && value.front() == '"') {
        std::string out;
        for (std::size_t i = 1; i < value.size() && value[i] != '"'; ++i) {
          if (value[i] == '\\' && i + 1 < value.size()) ++i;
          out += value[i];
        }
        return out;
      }
      return std::string(value.substr(0, value.find(';')));
    }
    ++pos;
  }
  return {};
}

ApiError malformed(const std::string& what) {
  return bad_request("malformed multipart/form-data body: " + what, std::nullopt, "invalid_multipart");
}

}  // namespace

std::string multipart_boundary(std::string_view content_type) {
  const std::string type = lower(trim(content_type.substr(0, content_type.find(';'))));
  if (type != "multipart/form-data")
    throw bad_request("expected Content-Type multipart/form-data, got '" + std::string(content_type) + "'",
                      std::nullopt, "invalid_content_type");
  std::string boundary = header_param(content_type, "boundary");
  if (boundary.empty() || boundary.size() > 70)
    throw bad_request("the multipart/form-data Content-Type needs a boundary of 1..70 characters", std::nullopt,
                      "invalid_content_type");
  return boundary;
}

std::vector<FormPart> parse_multipart(std::string_view body, std::string_view boundary, MultipartLimits limits) {
  const std::string delimiter = "--" + std::string(boundary);
  const std::string separator = "\r\n" + delimiter;
  // The preamble (ignored) ends at the first delimiter.
  std::size_t pos;
  if (body.substr(0, delimiter.size()) == delimiter) {
    pos = delimiter.size();
  } else {
    pos = body.find(separator);
    if (pos == std::string_view::npos) throw malformed("the boundary never occurs");
    pos += separator.size();
  }
  std::vector<FormPart> parts;
  for (;;) {
    if (body.substr(pos, 2) == "--") return parts;  // the closing delimiter
    // Transport padding, then CRLF.
    while (pos < body.size() && (body[pos] == ' ' || body[pos] == '\t')) ++pos;
    if (body.substr(pos, 2) != "\r\n") throw malformed("a boundary line does not end with CRLF");
    pos += 2;
    if (parts.size() >= limits.max_parts)
      throw malformed("more than " + std::to_string(limits.max_parts) + " parts");
    const auto headers_end = body.find("\r\n\r\n", pos);
    if (headers_end == std::string_view::npos || headers_end - pos > limits.max_part_header_bytes)
      throw malformed("part " + std::to_string(parts.size() + 1) + " has no end of headers within " +
                      std::to_string(limits.max_part_header_bytes) + " bytes");
    FormPart part;
    std::string_view headers = body.substr(pos, headers_end - pos);
    bool disposition = false;
    while (!headers.empty()) {
      const auto eol = headers.find("\r\n");
      std::string_view line = headers.substr(0, eol);
      const auto colon = line.find(':');
      if (colon != std::string_view::npos) {
        const std::string name = lower(trim(line.substr(0, colon)));
        std::string_view value = trim(line.substr(colon + 1));
        if (name == "content-disposition") {
          if (lower(trim(value.substr(0, value.find(';')))) != "form-data")
            throw malformed("part " + std::to_string(parts.size() + 1) + " is not form-data");
          disposition = true;
          part.name = header_param(value, "name");
          part.filename = header_param(value, "filename");
        } else if (name == "content-type") {
          part.content_type = std::string(value);
        }
      }
      if (eol == std::string_view::npos) break;
      headers.remove_prefix(eol + 2);
    }
    if (!disposition || part.name.empty())
      throw malformed("part " + std::to_string(parts.size() + 1) + " has no Content-Disposition with a name");
    const std::size_t data_start = headers_end + 4;
    const auto data_end = body.find(separator, data_start);
    if (data_end == std::string_view::npos)
      throw malformed("part '" + part.name + "' is not closed by the boundary (truncated body?)");
    part.data = body.substr(data_start, data_end - data_start);
    parts.push_back(std::move(part));
    pos = data_end + separator.size();
  }
}

}  // namespace prism::server
