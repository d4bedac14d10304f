#include "backends/sse_parser.h"

namespace prism::backends {

void SseParser::take_line(std::vector<std::string>& out) {
  if (line_.empty()) {  // blank line: dispatch
    if (has_data_) out.push_back(std::move(data_));
    data_.clear();
    has_data_ = false;
    return;
  }
  if (line_[0] != ':') {  // not a comment
    std::string_view field = line_, value;
    if (auto colon = field.find(':'); colon != std::string_view::npos) {
      value = field.substr(colon + 1);
      field = field.substr(0, colon);
      if (!value.empty() && value[0] == ' ') value.remove_prefix(1);
    }
    if (field == "data") {
      if (has_data_) data_ += '\n';
      data_ += value;
      has_data_ = true;
    }
  }
  line_.clear();
}

std::vector<std::string> SseParser::feed(std::string_view bytes) {
  std::vector<std::string> out;
  for (char c : bytes) {
    if (c == '\n' && last_was_cr_) {  // the \n of a \r\n
      last_was_cr_ = false;
      continue;
    }
    last_was_cr_ = c == '\r';
    if (c == '\n' || c == '\r') {
      take_line(out);
    } else {
      line_ += c;
    }
  }
  return out;
}

}  // namespace prism::backends
