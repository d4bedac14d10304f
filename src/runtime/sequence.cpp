#include "runtime/sequence.h"

#include "core/error.h"

namespace prism::runtime {

Priority priority_from_string(const std::string& s) {
  if (s == "realtime") return Priority::realtime;
  if (s == "interactive") return Priority::interactive;
  if (s == "batch") return Priority::batch;
  throw InvalidInput("priority must be realtime, interactive or batch, not '" + s + "'");
}

}  // namespace prism::runtime
