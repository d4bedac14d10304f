#include "tokenizer/tokenizer.h"
#include "tokenizer/utf8.h"

namespace prism::tokenizer {

StreamingDecoder::StreamingDecoder(const Tokenizer& tokenizer, bool skip_special_tokens)
    : tokenizer_(tokenizer), skip_special_tokens_(skip_special_tokens) {}

std::string StreamingDecoder::push(int32_t id) {
  pending_ += tokenizer_.token_bytes(id, skip_special_tokens_);
  const std::size_t held = utf8::incomplete_tail(pending_);
  std::string out = utf8::lossy(std::string_view(pending_).substr(0, pending_.size() - held));
  pending_.erase(0, pending_.size() - held);
  return out;
}

std::string StreamingDecoder::flush() {
  std::string out = utf8::lossy(pending_);
  pending_.clear();
  return out;
}

}  // namespace prism::tokenizer
