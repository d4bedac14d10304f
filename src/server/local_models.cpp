#include "server/local_models.h"

#include <algorithm>
#include <fstream>

#include "backends/local_backend.h"
#include "core/error.h"
#include "core/log.h"
#include "hub/model_path.h"
#include "models/weight_quantization.h"

namespace prism::server {
namespace {

// The context window a checkpoint declares, if it declares one.
std::optional<std::int64_t> declared_context(const std::filesystem::path& dir) {
  std::ifstream in(dir / "config.json");
  auto config = nlohmann::json::parse(in, nullptr, false);
  if (!config.is_object()) return std::nullopt;
  const auto& text = config.value("text_config", nlohmann::json::object());
  if (text.is_object() && text.contains("max_position_embeddings") && text["max_position_embeddings"].is_number_integer())
    return text["max_position_embeddings"].get<std::int64_t>();
  return std::nullopt;
}

}  // namespace

std::vector<router::ModelEntry> discover_local_models(const LocalSettings& settings, const router::Catalog& configured) {
  std::vector<router::ModelEntry> out;
  if (settings.models_dir.empty()) return out;
  const std::filesystem::path root(settings.models_dir);
  std::error_code ec;
  if (!std::filesystem::is_directory(root, ec)) {
    log::warn("local models_dir is not a directory; no local models", {{"models_dir", settings.models_dir}});
    return out;
  }
  std::vector<std::filesystem::path> folders;
  for (const auto& entry : std::filesystem::directory_iterator(root, ec)) {
    if (entry.is_directory() && std::filesystem::exists(entry.path() / "config.json")) folders.push_back(entry.path());
  }
  std::sort(folders.begin(), folders.end());
  for (const auto& dir : folders) {
    router::ModelEntry m;
    m.id = dir.filename().string();
    if (configured.find(m.id)) continue;
    m.backend = "local";
    m.local_path = dir.string();
    m.capabilities = {"text", "vision", "video"};
    m.context_window = std::min(settings.context_window, declared_context(dir).value_or(settings.context_window));
    m.quality = settings.quality;
    m.first_token_timeout_ms = 600000;
    m.total_timeout_ms = 600000;
    out.push_back(std::move(m));
  }
  return out;
}

std::unique_ptr<backends::Backend> make_local_backend(const router::ModelEntry& entry, const LocalSettings& settings,
                                                      std::int64_t default_kv_bytes) {
  if (entry.local_path.empty()) throw Error("local model '" + entry.id + "' needs path = \"<checkpoint folder>\"");
  runtime::MediaPolicy policy;
  if (!settings.allowed_media_dir.empty()) policy.allowed_dir = std::filesystem::path(settings.allowed_media_dir);
  policy.max_image_pixels = settings.max_image_pixels;
  // path = "org/name" names a model in the Hugging Face cache (prism pull).
  const auto weights = models::parse_weight_format(entry.local_weights.empty() ? settings.weights : entry.local_weights);
  const auto mmproj = entry.local_mmproj.empty() ? std::nullopt : std::optional<std::filesystem::path>(entry.local_mmproj);
  runtime::ServingSettings serving;
  serving.batch.kv_cache_is_default = settings.kv_cache_mib == 0;
  serving.batch.kv_cache_bytes = serving.batch.kv_cache_is_default ? default_kv_bytes : settings.kv_cache_mib << 20;
  serving.batch.max_running = settings.max_batch_sequences;
  serving.batch.max_waiting = settings.max_waiting;
  serving.batch.prefill_chunk = settings.prefill_chunk_tokens;
  serving.image_cache_bytes = static_cast<std::size_t>(settings.image_cache_mib) << 20;
  auto engine = runtime::VlmEngine::load(hub::resolve_model_path(entry.local_path), settings.threads, weights, mmproj,
                                         serving);
  return std::make_unique<backends::LocalBackend>(entry.id, std::move(engine), policy, entry.total_timeout_ms,
                                                  std::chrono::milliseconds(settings.queue_timeout_ms),
                                                  static_cast<std::size_t>(settings.max_waiting + settings.max_batch_sequences));
}

}  // namespace prism::server
