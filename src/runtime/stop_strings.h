// Stop strings over streamed text: text that might be the start of a stop
// string is held back until it is decided, so a caller never sees any part
// of the stop string itself.
#pragma once

#include <string>
#include <vector>

namespace prism::runtime {

class StopStringMatcher {
 public:
  explicit StopStringMatcher(std::vector<std::string> stops);

  struct Result {
    std::string emit;      // text safe to show now
    bool stopped = false;  // a stop string was found; emit ends just before it
  };
  Result feed(const std::string& delta);
  // End of generation: whatever is still held back.
  std::string flush();

 private:
  std::vector<std::string> stops_;
  std::string pending_;
};

}  // namespace prism::runtime
