#include "hub/model_path.h"

#include "core/error.h"
#include "hub/cache_layout.h"
#include "hub/repo_id.h"

namespace prism::hub {
namespace fs = std::filesystem;

fs::path resolve_model_path(const std::string& value, const EnvLookup& env) {
  std::error_code ec;
  if (fs::exists(value, ec)) return fs::path(value);  // a folder wins over a repo id of the same spelling
  auto ref = parse_repo_ref(value);
  if (!ref) return fs::path(value);
  const fs::path cache_dir = hub_cache_dir(env);
  const RepoCache cache(cache_dir, ref->id);
  if (auto commit = cache.resolve_commit(ref->revision)) return cache.snapshot_dir(*commit);
  std::string pull = "prism pull " + ref->id;
  if (!ref->quant.empty()) pull += ":" + ref->quant;
  if (ref->revision_given) pull += " --revision " + ref->revision;
  if (!fs::is_directory(cache.root(), ec))
    throw Error("'" + value + "' is neither a folder nor a model in the Hugging Face cache (" + cache_dir.string() +
                "); to download it, run: " + pull);
  throw Error("revision '" + ref->revision + "' of " + ref->id + " is not in the Hugging Face cache (" +
              cache.root().string() + " has no refs/" + ref->revision + " or its snapshot); run: " + pull);
}

}  // namespace prism::hub
