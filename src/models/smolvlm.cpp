#include "models/smolvlm.h"

#include <cstring>

#include "core/error.h"
#include "core/log.h"
#include "models/connector.h"
#include "models/gguf_source.h"
#include "models/weight_quantization.h"

namespace prism::models {

using tensor::Tensor;

SmolVlmModel::SmolVlmModel(formats::SmolVlmConfig config, SmolVlmWeights weights, int threads)
    : config_(std::move(config)),
      weights_(std::move(weights)),
      pool_(std::make_unique<kernels::ThreadPool>(std::max(1, threads))),
      vision_(config_.vision, weights_.vision),
      text_(config_.text, weights_.text) {}

std::unique_ptr<SmolVlmModel> SmolVlmModel::load(const std::filesystem::path& dir, int threads,
                                                 std::optional<formats::DType> text_weights) {
  auto config = formats::load_smolvlm_config(dir / "config.json");
  auto weights = bind_weights(formats::SafetensorsCheckpoint::open(dir), config);
  return finish(std::move(config), std::move(weights), threads, text_weights);
}

std::unique_ptr<SmolVlmModel> SmolVlmModel::load_gguf(const std::filesystem::path& text_gguf,
                                                      const std::optional<std::filesystem::path>& mmproj_gguf,
                                                      int threads, std::optional<formats::DType> text_weights) {
  auto m = load_gguf_model({text_gguf, mmproj_gguf});
  return finish(std::move(m.config), std::move(m.weights), threads, text_weights);
}

std::unique_ptr<SmolVlmModel> SmolVlmModel::finish(formats::SmolVlmConfig config, SmolVlmWeights weights, int threads,
                                                   std::optional<formats::DType> text_weights) {
  if (text_weights) {
    const auto r = quantize_text_weights(weights, *text_weights);
    // Matrices whose rows are not whole blocks stay in the checkpoint's dtype: say so.
    log::info("text decoder re-stored", {{"format", std::string(formats::dtype_name(*text_weights))},
                                         {"matrices", r.matrices_converted}, {"kept", r.matrices_kept},
                                         {"mb_before", static_cast<double>(r.bytes_before) / 1e6},
                                         {"mb_after", static_cast<double>(r.bytes_after) / 1e6}});
  }
  return std::unique_ptr<SmolVlmModel>(new SmolVlmModel(std::move(config), std::move(weights), threads));
}

Tensor SmolVlmModel::encode_images(const float* pixel_values, std::int64_t tiles, std::int64_t height,
                                   std::int64_t width) const {
  if (!has_vision()) throw InvalidInput("this model has no vision tower loaded (a text GGUF without its mmproj)");
  const std::int64_t need = std::int64_t{config_.vision.patches_per_side()} * config_.vision.patch_size;
  if (height < need || width < need)
    throw InvalidInput("image tiles are " + std::to_string(height) + "x" + std::to_string(width) +
                       " pixels but the vision encoder needs at least " + std::to_string(need));
  const std::int64_t patches = config_.vision.num_patches(), hidden = config_.vision.hidden_size;
  Tensor out({tiles, patches, hidden});
  for (std::int64_t t = 0; t < tiles; ++t) {
    Tensor h = vision_.embed(*pool_, pixel_values + t * 3 * height * width, height, width);
    vision_.encode(*pool_, h);
    std::memcpy(out.data() + t * patches * hidden, h.data(), h.size() * sizeof(float));
  }
  return out;
}

Tensor SmolVlmModel::connect(const Tensor& vision_hidden) const {
  const std::int64_t tiles = vision_hidden.dim(0), patches = vision_hidden.dim(1), vh = vision_hidden.dim(2);
  const std::int64_t seq = config_.image_seq_len(), th = config_.text.hidden_size;
  Tensor out({tiles, seq, th});
  Tensor tile({patches, vh});
  for (std::int64_t t = 0; t < tiles; ++t) {
    std::memcpy(tile.data(), vision_hidden.data() + t * patches * vh, tile.size() * sizeof(float));
    Tensor c = connect_tile(*pool_, tile, config_.scale_factor, weights_.connector_proj);
    std::memcpy(out.data() + t * seq * th, c.data(), c.size() * sizeof(float));
  }
  return out;
}

Tensor SmolVlmModel::embed_prompt(const std::vector<std::int32_t>& ids, const Tensor* image_features) const {
  Tensor embeds = text_.embed(ids.data(), static_cast<std::int64_t>(ids.size()));
  std::int64_t image_tokens = 0;
  for (auto id : ids) image_tokens += id == config_.image_token_id;
  const std::int64_t feature_rows = image_features ? image_features->dim(0) * image_features->dim(1) : 0;
  if (image_tokens != feature_rows)
    throw InvalidInput("the prompt has " + std::to_string(image_tokens) + " <image> tokens but the images give " +
                       std::to_string(feature_rows) + " feature rows");
  const std::int64_t hidden = config_.text.hidden_size;
  std::int64_t next = 0;
  for (std::size_t i = 0; i < ids.size(); ++i)
    if (ids[i] == config_.image_token_id) {
      std::memcpy(embeds.row(static_cast<std::int64_t>(i)), image_features->data() + next * hidden,
                  static_cast<std::size_t>(hidden) * sizeof(float));
      ++next;
    }
  return embeds;
}

ParameterCounts count_parameters(const formats::SmolVlmConfig& c) {
  ParameterCounts p;
  const std::int64_t vh = c.vision.hidden_size, vi = c.vision.intermediate_size, ps = c.vision.patch_size;
  p.vision = vh * 3 * ps * ps + vh + std::int64_t{c.vision.num_patches()} * vh + 2 * vh +
             c.vision.num_hidden_layers * (4 * (vh * vh + vh) + 2 * vi * vh + vi + vh + 4 * vh);
  p.connector = std::int64_t{c.text.hidden_size} * vh * c.scale_factor * c.scale_factor;
  const std::int64_t th = c.text.hidden_size, ti = c.text.intermediate_size, hd = c.text.head_dim;
  const std::int64_t qd = std::int64_t{c.text.num_attention_heads} * hd, kvd = std::int64_t{c.text.num_key_value_heads} * hd;
  p.text = std::int64_t{c.text.vocab_size} * th + th +
           c.text.num_hidden_layers * (2 * th + 2 * qd * th + 2 * kvd * th + 3 * ti * th);
  p.lm_head = c.text.tie_word_embeddings ? 0 : std::int64_t{c.text.vocab_size} * th;
  return p;
}

}  // namespace prism::models
