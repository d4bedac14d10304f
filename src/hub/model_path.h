// What `--model` of run/serve/inspect and `[[models]] path` accept: a
// checkpoint folder (or file) that exists, or a Hugging Face repo id
// (`org/name[@revision]`) found in the Hub cache, with no network.
#pragma once

#include <filesystem>
#include <string>

#include "hub/hub_settings.h"

namespace prism::hub {

// An existing path comes back as it is; a repo id comes back as its
// snapshots/{commit} folder. A repo id that is not in the cache is a
// prism::Error naming the `prism pull` command to run. Anything else comes
// back unchanged, for the loader to say what is wrong with it.
std::filesystem::path resolve_model_path(const std::string& value, const EnvLookup& env = process_env());

}  // namespace prism::hub
