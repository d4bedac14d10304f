// Local checkpoints as catalog models: every folder under [local].models_dir
// holding a config.json becomes a model named after the folder, with
// capabilities text, vision and video, price 0; [[models]] entries with
// backend = "local" name a folder explicitly.
#pragma once

#include <memory>
#include <vector>

#include "backends/backend.h"
#include "router/catalog.h"
#include "server/config.h"

namespace prism::server {

// Discovered entries not already in `configured` (an explicit entry wins).
// A folder that is not a checkpoint is skipped with a warning.
std::vector<router::ModelEntry> discover_local_models(const LocalSettings& settings, const router::Catalog& configured);

// Loads the checkpoint (memory-mapped) and wraps it in a backend. Without
// [local] kv_cache_mib its KV pool is default_kv_bytes (its share of the
// default), cut to what the model can use. Throws prism::Error naming the
// folder and the problem.
std::unique_ptr<backends::Backend> make_local_backend(const router::ModelEntry& entry, const LocalSettings& settings,
                                                      std::int64_t default_kv_bytes);

}  // namespace prism::server
