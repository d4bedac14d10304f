// Backend for any OpenAI-compatible HTTP(S) endpoint (OpenAI, Azure OpenAI,
// vLLM, llama.cpp's server, another prism). Streams are relayed chunk by
// chunk as they arrive; nothing buffers the whole answer.
#pragma once

#include <boost/asio/ssl/context.hpp>

#include "backends/backend.h"
#include "backends/url.h"
#include "router/catalog.h"

namespace prism::backends {

class UpstreamBackend : public Backend {
 public:
  // `tls` is used for https:// base URLs; it must outlive the backend.
  UpstreamBackend(const router::ModelEntry& model, net::ssl::context& tls);
  net::awaitable<ChatOutcome> chat(ChatCall call, ChunkHandler on_chunk) override;

 private:
  template <class Stream>
  net::awaitable<ChatOutcome> exchange(Stream& stream, ChatCall& call, ChunkHandler& on_chunk,
                                       std::chrono::steady_clock::time_point start);

  router::ModelEntry model_;
  Url url_;
  std::string api_key_;
  net::ssl::context& tls_;
};

}  // namespace prism::backends
