#include "server/router_reply_provider.h"

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include "core/log.h"

namespace prism::server {
namespace {

// Shared by the handle and the running chat: cancel() only flips the flag,
// the sink sees it at the next chunk and tells the backend to stop.
struct ReplyState {
  std::atomic<bool> cancelled{false};
  voice::ReplyCallbacks callbacks;
};

class RouterReplyHandle : public voice::ReplyHandle {
 public:
  explicit RouterReplyHandle(std::shared_ptr<ReplyState> state) : state_(std::move(state)) {}
  void cancel() override { state_->cancelled = true; }

 private:
  std::shared_ptr<ReplyState> state_;
};

// The text a streamed chat chunk carries ("" for role-only / finish chunks).
std::string delta_text(const nlohmann::json& chunk) {
  auto choices = chunk.find("choices");
  if (choices == chunk.end() || !choices->is_array() || choices->empty()) return {};
  const auto& choice = (*choices)[0];
  auto delta = choice.find("delta");
  if (delta == choice.end() || !delta->is_object()) return {};
  auto content = delta->find("content");
  return content != delta->end() && content->is_string() ? content->get<std::string>() : std::string();
}

net::awaitable<void> run_reply(Gateway& gateway, nlohmann::json body, RequestContext ctx,
                               std::shared_ptr<ReplyState> state) {
  router::Decision decision;
  try {
    decision = gateway.prepare_chat(body, ctx);
  } catch (const ApiError& e) {
    if (!state->cancelled) state->callbacks.on_error(e.message);
    co_return;
  }
  auto sink = [state](const router::ModelEntry&, nlohmann::json& chunk) -> net::awaitable<bool> {
    if (state->cancelled) co_return false;
    std::string text = delta_text(chunk);
    if (!text.empty()) state->callbacks.on_text_delta(std::move(text));
    co_return !state->cancelled.load();
  };
  // Same call shape as chat_completions (no try around the co_await: GCC 12
  // mishandles temporaries of a co_await inside a try block).
  Gateway::ChatRun run = co_await gateway.run_chat(std::move(body), std::move(decision), ctx, sink);
  if (state->cancelled) co_return;
  if (run.ok) {
    voice::ReplyUsage usage;
    usage.input_tokens = run.outcome.prompt_tokens;
    usage.output_tokens = run.outcome.completion_tokens;
    state->callbacks.on_done(usage);
  } else {
    state->callbacks.on_error(run.error ? run.error->message : "the model stopped answering");
  }
}

}  // namespace

RouterReplyProvider::RouterReplyProvider(Gateway& gateway, net::any_io_executor executor, const ApiKey* api_key,
                                         std::map<std::string, std::string> headers)
    : gateway_(gateway), executor_(std::move(executor)), api_key_(api_key), headers_(std::move(headers)) {}

nlohmann::json RouterReplyProvider::chat_body(const nlohmann::json& chat_messages,
                                              const voice::SessionSettings& settings) const {
  // The session's model is the realtime model the client asked for
  // (?model=gpt-realtime...); it names the brain only when the catalog knows
  // it or it is a routed name, otherwise the router chooses.
  std::string model = settings.model;
  if (model.empty() || (!router::is_routed_model_name(model) && !gateway_.router().catalog().find(model)))
    model = "router";
  nlohmann::json body = {{"model", model},
                         {"messages", chat_messages},
                         {"stream", true},
                         {"stream_options", {{"include_usage", true}}}};
  if (settings.max_output_tokens) body["max_tokens"] = *settings.max_output_tokens;
  if (settings.temperature) body["temperature"] = *settings.temperature;
  return body;
}

std::unique_ptr<voice::ReplyHandle> RouterReplyProvider::start(const nlohmann::json& chat_messages,
                                                               const voice::SessionSettings& settings,
                                                               voice::ReplyCallbacks callbacks) {
  auto state = std::make_shared<ReplyState>();
  state->callbacks = std::move(callbacks);
  RequestContext ctx;
  ctx.id = router::new_id("req_");
  ctx.start = std::chrono::steady_clock::now();
  ctx.api_key = api_key_;
  ctx.headers = headers_;
  ctx.path = "/v1/realtime";
  net::co_spawn(executor_, run_reply(gateway_, chat_body(chat_messages, settings), std::move(ctx), state),
                net::detached);
  return std::make_unique<RouterReplyHandle>(std::move(state));
}

}  // namespace prism::server
