#include "runtime/vlm_engine.h"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <future>
#include <fstream>

#include "core/error.h"
#include "runtime/generation.h"
#include "runtime/gguf_side_files.h"
#include "runtime/image_work.h"
#include "runtime/model_files.h"
#include "runtime/stop_strings.h"

namespace prism::runtime {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// The image marker strings the processor uses, from tokenizer_config.json
// when it names them (SmolVLM2 does), else transformers' defaults.
vision::ImagePromptTokens image_prompt_tokens(const fs::path& dir) {
  vision::ImagePromptTokens tokens;
  const auto path = dir / "tokenizer_config.json";
  std::ifstream in(path);
  if (!in) return tokens;
  json j;
  try {
    j = json::parse(in);
  } catch (const json::exception& e) {
    throw Error(path.string() + ": not valid JSON: " + e.what());
  }
  auto pick = [&](const char* key, std::string& out) {
    if (j.contains(key) && j[key].is_string()) out = j[key].get<std::string>();
  };
  pick("image_token", tokens.image_token);
  pick("fake_image_token", tokens.fake_token_around_image);
  pick("global_image_token", tokens.global_image_token);
  return tokens;
}

std::optional<std::int32_t> tokenizer_config_eos(const fs::path& dir, const tokenizer::Tokenizer& tok) {
  std::ifstream in(dir / "tokenizer_config.json");
  if (!in) return std::nullopt;
  const json j = json::parse(in, nullptr, false);
  if (j.is_discarded() || !j.contains("eos_token")) return std::nullopt;
  const json& e = j["eos_token"];
  const std::string s = e.is_string() ? e.get<std::string>() : e.value("content", "");
  return tok.token_to_id(s);
}

}  // namespace

VlmEngine::VlmEngine(fs::path dir, std::unique_ptr<models::SmolVlmModel> model, tokenizer::Tokenizer tokenizer,
                     tokenizer::ChatTemplate chat_template, vision::ImageProcessorConfig processor,
                     vision::ImagePromptTokens image_tokens, formats::GenerationConfig generation_config)
    : dir_(std::move(dir)),
      model_(std::move(model)),
      tokenizer_(std::move(tokenizer)),
      chat_template_(std::move(chat_template)),
      processor_(std::move(processor)),
      generation_config_(std::move(generation_config)),
      prompt_builder_(tokenizer_, chat_template_, processor_, std::move(image_tokens)) {}

namespace {

// A GGUF model's tokenizer, chat template and processor settings: from the
// checkpoint's own files when they sit beside it (they say the most),
// otherwise from the GGUF metadata, each on its own.
struct SideFiles {
  tokenizer::Tokenizer tokenizer;
  tokenizer::ChatTemplate chat_template;
  vision::ImageProcessorConfig processor;
  formats::GenerationConfig generation;
};

SideFiles gguf_side_files(const models::GgufModelFiles& gguf, const fs::path& dir, const models::SmolVlmModel& model) {
  std::error_code ec;
  const formats::GgufFile text(gguf.text);
  const bool has_tokenizer = fs::exists(dir / "tokenizer.json", ec);
  auto tok = has_tokenizer ? tokenizer::Tokenizer::load(dir / "tokenizer.json") : gguf_tokenizer(text);
  auto tmpl = tokenizer::ChatTemplate::checkpoint_has_template(dir) ? tokenizer::ChatTemplate::load_from_checkpoint(dir)
                                                                     : gguf_chat_template(text);
  vision::ImageProcessorConfig processor;  // a text-only model without the files takes no images
  if (fs::exists(dir / "processor_config.json", ec))
    processor = vision::load_image_processor_config(dir);
  else if (gguf.mmproj)
    processor = gguf_image_processor_config(formats::GgufFile(*gguf.mmproj), model.config().image_seq_len());
  auto gen = fs::exists(dir / "generation_config.json", ec) ? formats::load_generation_config(dir / "generation_config.json")
                                                             : gguf_generation_config(text);
  return {std::move(tok), std::move(tmpl), std::move(processor), std::move(gen)};
}

}  // namespace

std::unique_ptr<VlmEngine> VlmEngine::load(const fs::path& checkpoint_dir, int threads,
                                           std::optional<formats::DType> text_weights,
                                           const std::optional<fs::path>& mmproj, const ServingSettings& serving) {
  std::error_code ec;
  const auto gguf = find_gguf_files(checkpoint_dir, mmproj);
  if (!gguf && mmproj) throw Error(checkpoint_dir.string() + ": --mmproj goes with a GGUF model, not a checkpoint folder");
  std::unique_ptr<models::SmolVlmModel> model;
  fs::path dir = checkpoint_dir;  // where the tokenizer and processor files are
  if (gguf) {
    dir = gguf->text.parent_path().empty() ? fs::path(".") : gguf->text.parent_path();
    model = models::SmolVlmModel::load_gguf(gguf->text, gguf->mmproj, threads, text_weights);
  } else {
    if (!fs::is_directory(checkpoint_dir, ec)) throw Error(checkpoint_dir.string() + ": not a checkpoint folder");
    model = models::SmolVlmModel::load(checkpoint_dir, threads, text_weights);
  }
  auto [tok, tmpl, processor, gen] =
      gguf ? gguf_side_files(*gguf, dir, *model)
           : SideFiles{tokenizer::Tokenizer::load(dir / "tokenizer.json"), tokenizer::ChatTemplate::load_from_checkpoint(dir),
                       vision::load_image_processor_config(dir),
                       formats::load_generation_config(dir / "generation_config.json")};
  auto image_tokens = image_prompt_tokens(dir);

  // The files must agree with each other.
  const auto& cfg = model->config();
  const std::string config_file = gguf ? (gguf->mmproj ? *gguf->mmproj : gguf->text).string() : (dir / "config.json").string();
  const std::string config_name = gguf ? "the GGUF metadata" : "config.json";
  const auto image_id = tok.token_to_id(image_tokens.image_token);
  if (model->has_vision() && (!image_id || *image_id != cfg.image_token_id))
    throw Error((gguf ? gguf->text.string() : config_file) + ": image_token_id " + std::to_string(cfg.image_token_id) +
                " is not the tokenizer's id of " + image_tokens.image_token);
  if (model->has_vision() && processor.image_seq_len != cfg.image_seq_len())
    throw Error((dir / "processor_config.json").string() + ": image_seq_len " +
                std::to_string(processor.image_seq_len) + " disagrees with " + config_name + " (" +
                std::to_string(cfg.vision.num_patches()) + " patches / scale_factor² = " +
                std::to_string(cfg.image_seq_len()) + ")");
  if (processor.max_image_size < cfg.vision.patches_per_side() * cfg.vision.patch_size)
    throw Error((dir / "preprocessor_config.json").string() + ": max_image_size " +
                std::to_string(processor.max_image_size) + " is smaller than the vision encoder's image_size " +
                std::to_string(cfg.vision.image_size));
  if (tok.vocab_size() > static_cast<std::size_t>(cfg.text.vocab_size))
    throw Error((dir / "tokenizer.json").string() + ": " + std::to_string(tok.vocab_size()) +
                " tokens, more than the model's vocab_size " + std::to_string(cfg.text.vocab_size));

  auto engine = std::unique_ptr<VlmEngine>(new VlmEngine(checkpoint_dir, std::move(model), std::move(tok),
                                                         std::move(tmpl), std::move(processor),
                                                         std::move(image_tokens), std::move(gen)));
  engine->eos_ids_ = engine->generation_config_.eos_token_ids;
  if (engine->eos_ids_.empty())
    if (auto eos = tokenizer_config_eos(dir, engine->tokenizer_)) engine->eos_ids_.push_back(*eos);
  engine->image_cache_ = std::make_unique<ImageFeatureCache>(serving.image_cache_bytes);
  engine->batch_ = std::make_unique<BatchEngine>(*engine->model_, serving.batch);
  return engine;
}

VlmEngine::~VlmEngine() { batch_.reset(); }

int VlmEngine::context_window() const { return model_->config().text.max_position_embeddings; }

std::string VlmEngine::name() const {
  auto p = dir_;
  if (!p.has_filename()) p = p.parent_path();
  std::error_code ec;
  if (fs::is_regular_file(p, ec)) return p.stem().string();  // a GGUF file
  return fs::absolute(p).lexically_normal().filename().string();
}

std::size_t VlmEngine::estimate_prompt_tokens(const json& messages) const {
  return prompt_builder_.estimate_tokens(messages);
}

namespace {

// What a request's text stream carries across its tokens, on the engine's
// thread: detokenized pieces, stop strings, and what the caller was given.
struct TextStream {
  TextStream(const tokenizer::Tokenizer& tok, const GenerationParams& params,
             std::function<bool(std::string_view)> on_delta)
      : decoder(tok, params.skip_special_tokens), stops(params.stop), on_delta(std::move(on_delta)) {}
  tokenizer::StreamingDecoder decoder;
  StopStringMatcher stops;
  std::function<bool(std::string_view)> on_delta;
  std::string text;
  bool stopped_by_string = false, cancelled = false;

  void deliver(const std::string& piece) {
    if (piece.empty() || cancelled) return;
    text += piece;
    if (on_delta && !on_delta(piece)) cancelled = true;
  }
  // The text held back (a partial character or stop string) once the sequence ends.
  void flush() {
    if (stopped_by_string || cancelled) return;
    auto r = stops.feed(decoder.flush());
    deliver(r.emit);
    if (r.stopped) {
      stopped_by_string = true;
    } else {
      deliver(stops.flush());
    }
  }
};

}  // namespace

std::shared_ptr<SequenceHandle> VlmEngine::submit(const json& messages, const GenerationParams& params,
                                                  const MediaPolicy& policy, const SubmitOptions& options,
                                                  std::function<bool(std::string_view)> on_delta,
                                                  std::function<void(GenerationResult)> on_done) {
  PreparedPrompt prepared = prompt_builder_.build(messages, policy, params.do_image_splitting);
  if (prepared.input_ids.size() >= static_cast<std::size_t>(context_window()))
    throw InvalidInput("the prompt is " + std::to_string(prepared.input_ids.size()) +
                       " tokens long but the model's context window is " + std::to_string(context_window()));

  SequenceRequest request;
  request.prompt_ids = prepared.input_ids;
  request.params.sampling = {params.temperature, params.top_k, params.top_p, params.min_p, params.repetition_penalty};
  request.params.seed = params.seed;
  request.params.max_tokens = params.max_tokens;
  request.params.eos_token_ids = eos_ids_;
  request.priority = options.priority;
  request.queue_timeout = options.queue_timeout;
  request.keep_prompt_logits = options.keep_prompt_logits;
  if (prepared.num_tiles > 0) {
    if (!model_->has_vision()) throw InvalidInput(name() + " has no vision encoder (no mmproj file): it takes no images");
    auto images = std::make_unique<CachedImages>(*model_, image_cache_.get(), std::move(prepared.pixel_values),
                                                 prepared.num_tiles, prepared.tile_size);
    // <image> positions are keyed by their tile's content, so the prefix
    // cache matches a conversation's image, not any image.
    const std::int64_t rows_per_tile = model_->config().image_seq_len();
    std::int64_t image_row = 0;
    request.content.reserve(request.prompt_ids.size());
    for (auto id : request.prompt_ids) {
      if (id != model_->config().image_token_id) {
        request.content.push_back(static_cast<ContentKey>(id));
        continue;
      }
      const auto tile = static_cast<std::size_t>(image_row / rows_per_tile);
      if (tile >= images->keys().size())
        throw InvalidInput("the prompt has more <image> tokens than its images give rows");
      std::uint64_t tile_hash;
      std::memcpy(&tile_hash, images->keys()[tile].bytes.data(), sizeof tile_hash);
      request.content.push_back(image_content_key(tile_hash, image_row % rows_per_tile));
      ++image_row;
    }
    request.images = std::move(images);
  }

  auto stream = std::make_shared<TextStream>(tokenizer_, params, std::move(on_delta));
  const auto& eos = eos_ids_;
  request.on_token = [stream, &eos](std::int32_t id) {
    if (std::find(eos.begin(), eos.end(), id) != eos.end()) return TokenVerdict::Continue;  // the engine ends on EOS; its text is not shown
    auto r = stream->stops.feed(stream->decoder.push(id));
    stream->deliver(r.emit);
    if (r.stopped) {
      stream->stopped_by_string = true;
      return TokenVerdict::Stop;
    }
    return stream->cancelled ? TokenVerdict::Cancel : TokenVerdict::Continue;
  };
  auto result = std::make_shared<GenerationResult>();
  result->prompt = std::move(prepared.prompt);
  result->input_ids = prepared.input_ids;
  return batch_->submit(std::move(request), [stream, result, on_done = std::move(on_done)](SequenceOutcome o) {
    GenerationResult& r = *result;
    try {
      if (!o.error) stream->flush();
    } catch (const std::exception& e) {  // on_done must still come
      o.error = std::string("local engine failed: ") + e.what();
    }
    r.text = std::move(stream->text);
    r.output_ids = std::move(o.output_ids);
    r.reused_prompt_tokens = o.cached_tokens;
    r.finish_reason = stream->cancelled ? "cancelled" : stream->stopped_by_string ? "stop" : o.finish_reason;
    r.prompt_last_logits = std::move(o.prompt_last_logits);
    r.error = std::move(o.error);
    r.invalid_input = o.invalid_input;
    r.overloaded = o.overloaded;
    r.retry_after = o.retry_after;
    r.queue_ms = o.queue_ms;
    on_done(std::move(r));
  });
}

GenerationResult VlmEngine::generate(const json& messages, const GenerationParams& params, const MediaPolicy& policy,
                                     const std::function<bool(std::string_view)>& on_delta,
                                     const SubmitOptions& options) {
  std::promise<GenerationResult> done;
  auto future = done.get_future();
  submit(messages, params, policy, options, on_delta, [&done](GenerationResult r) { done.set_value(std::move(r)); });
  GenerationResult r = future.get();
  if (r.error) {
    if (r.overloaded) throw Overloaded(*r.error, static_cast<int>(r.retry_after.count()));
    if (r.invalid_input) throw InvalidInput(*r.error);
    throw Error(*r.error);
  }
  return r;
}

ServingStats VlmEngine::serving_stats() const { return {batch_->stats(), image_cache_->stats()}; }

}  // namespace prism::runtime
