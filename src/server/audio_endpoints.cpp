// POST /v1/audio/transcriptions (multipart upload -> {"text"}) and
// POST /v1/audio/speech (JSON -> WAV or raw PCM), as OpenAI's. The speech
// engines are CPU-bound: they run on the gateway's speech pool, and the
// handler awaits them, so the io threads keep serving.
#include <boost/asio/async_result.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <exception>
#include <functional>
#include <boost/asio/use_awaitable.hpp>

#include "core/error.h"
#include "server/gateway.h"
#include "server/multipart_form.h"
#include "voice/rest_audio.h"

namespace prism::server {
namespace {

// Runs `work` on `pool` and resumes the awaiting coroutine on its own
// executor with the result, or rethrows the exception. Not a coroutine
// itself (GCC 12 mishandles lambdas moved through coroutine frames).
template <class Result>
net::awaitable<Result> off_io(net::thread_pool& pool, std::function<Result()> work) {
  return net::async_initiate<decltype(net::use_awaitable), void(std::exception_ptr, Result)>(
      [&pool](auto handler, std::function<Result()> job) {
        net::post(pool, [handler = std::move(handler), job = std::move(job)]() mutable {
          std::exception_ptr error;
          Result result{};
          try {
            result = job();
          } catch (...) {
            error = std::current_exception();
          }
          auto executor = net::get_associated_executor(handler);
          net::dispatch(executor, [handler = std::move(handler), error, result = std::move(result)]() mutable {
            handler(error, std::move(result));
          });
        });
      },
      net::use_awaitable, std::move(work));
}

std::string string_field(const nlohmann::json& body, const char* name, bool required) {
  auto it = body.find(name);
  if (it == body.end() || it->is_null()) {
    if (required) throw bad_request(std::string("missing required parameter: '") + name + "'", name, "missing_required_parameter");
    return {};
  }
  if (!it->is_string()) throw bad_request(std::string("'") + name + "' must be a string", name, "invalid_type");
  return it->get<std::string>();
}

}  // namespace

net::awaitable<void> Gateway::audio_transcriptions(Request& request, HttpConnection& connection, RequestContext& ctx) {
  std::optional<ApiError> failure;
  try {
    if (request.method() != http::verb::post) throw ApiError(http::status::method_not_allowed, "use POST for " + ctx.path);
    ctx.api_key = authenticate(ctx, "");
    const std::string boundary = multipart_boundary(ctx.headers["content-type"]);
    const std::vector<FormPart> parts = parse_multipart(request.body(), boundary);
    const FormPart* file = nullptr;
    std::string model;
    std::string format = std::string("json");
    for (const auto& p : parts) {
      if (p.name == "file") file = &p;
      else if (p.name == "model") model = std::string(p.data);
      else if (p.name == "response_format") format = std::string(p.data);
    }
    if (!file) throw bad_request("missing required parameter: 'file'", "file", "missing_required_parameter");
    if (file->data.empty()) throw bad_request("the uploaded file is empty", "file", "invalid_value");
    if (model.empty()) throw bad_request("missing required parameter: 'model'", "model", "missing_required_parameter");
    if (format != "json" && format != "text")
      throw bad_request("response_format '" + format + "' is not supported; use json or text", "response_format",
                        "invalid_value");
    std::string filename = file->filename;
    if (filename.empty()) filename = std::string("file");
    std::span<const uint8_t> bytes(reinterpret_cast<const uint8_t*>(file->data.data()), file->data.size());
    std::string text;
    try {
      // Named locals, not temporaries, in the co_await (GCC 12 destroys a
      // lambda temporary of a co_await expression twice).
      const std::function<std::string()> job = [bytes, filename] { return voice::transcribe(bytes, filename); };
      net::awaitable<std::string> pending = off_io<std::string>(speech_pool_, job);
      text = co_await std::move(pending);
    } catch (const InvalidInput& e) {
      throw bad_request(e.what(), "file", "invalid_audio");
    } catch (const Error& e) {
      throw ApiError(http::status::internal_server_error, e.what(), "server_error");
    }
    if (format == "text") {
      Response res{http::status::ok, ctx.version};
      res.set(http::field::content_type, "text/plain; charset=utf-8");
      res.set("x-request-id", ctx.id);
      res.body() = text + "\n";
      co_await connection.send(std::move(res));
    } else {
      nlohmann::json body = nlohmann::json::object();
      body["text"] = text;
      Response res = make_json_response(http::status::ok, body, ctx.version, ctx.id);
      co_await connection.send(std::move(res));
    }
    co_return;
  } catch (const ApiError& e) {
    failure = e;
  }
  co_await connection.send(make_error_response(*failure, ctx.version, ctx.id));
}

net::awaitable<void> Gateway::audio_speech(Request& request, HttpConnection& connection, RequestContext& ctx) {
  std::optional<ApiError> failure;
  try {
    if (request.method() != http::verb::post) throw ApiError(http::status::method_not_allowed, "use POST for " + ctx.path);
    ctx.api_key = authenticate(ctx, "");
    nlohmann::json body = nlohmann::json::parse(request.body(), nullptr, false);
    if (body.is_discarded() || !body.is_object())
      throw bad_request("the request body is not a JSON object", std::nullopt, "invalid_json");
    string_field(body, "model", true);
    const std::string input = string_field(body, "input", true);
    const std::string voice = string_field(body, "voice", true);
    std::string format = string_field(body, "response_format", false);
    if (format.empty()) format = "wav";  // OpenAI's default (mp3) has no encoder here
    if (format != "wav" && format != "pcm")
      throw bad_request("response_format '" + format + "' is not supported; use wav or pcm", "response_format",
                        "invalid_value");
    if (auto speed = body.find("speed"); speed != body.end() && !speed->is_null() &&
                                         (!speed->is_number() || speed->get<double>() != 1.0))
      throw bad_request("only speed 1.0 is supported", "speed", "invalid_value");
    std::vector<uint8_t> audio;
    try {
      const std::function<std::vector<uint8_t>()> job = [input, voice, format] {
        return voice::synthesize(input, voice, format);
      };
      net::awaitable<std::vector<uint8_t>> pending = off_io<std::vector<uint8_t>>(speech_pool_, job);
      audio = co_await std::move(pending);
    } catch (const InvalidInput& e) {
      throw bad_request(e.what(), "input", "invalid_value");
    } catch (const Error& e) {
      throw ApiError(http::status::internal_server_error, e.what(), "server_error");
    }
    Response res{http::status::ok, ctx.version};
    res.set(http::field::content_type, format == "wav" ? "audio/wav" : "audio/pcm");
    res.set("x-request-id", ctx.id);
    res.body().assign(reinterpret_cast<const char*>(audio.data()), audio.size());
    co_await connection.send(std::move(res));
    co_return;
  } catch (const ApiError& e) {
    failure = e;
  }
  co_await connection.send(make_error_response(*failure, ctx.version, ctx.id));
}

}  // namespace prism::server
