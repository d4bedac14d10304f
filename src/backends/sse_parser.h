// Incremental parser for Server-Sent Events (the WHATWG "text/event-stream"
// format): bytes in, complete events' data out. Handles \n, \r\n and \r line
// ends, multi-line data, comments and fields split across reads.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace prism::backends {

class SseParser {
 public:
  // Returns the data of each event completed by `bytes`.
  std::vector<std::string> feed(std::string_view bytes);
  // Bytes held for an unfinished event.
  std::size_t pending_bytes() const { return line_.size() + data_.size(); }

 private:
  void take_line(std::vector<std::string>& out);

  std::string line_;
  std::string data_;
  bool has_data_ = false;
  bool last_was_cr_ = false;
};

}  // namespace prism::backends
