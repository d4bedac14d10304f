// prism pull ORG/NAME[:QUANT][@REVISION]: a model from the Hugging Face Hub
// into the Hub's own cache (where huggingface-cli and transformers keep
// theirs), so that `--model ORG/NAME` finds it with no network.
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <iostream>
#include <sstream>

#include "cli/commands.h"
#include "core/error.h"
#include "hub/hub_client.h"
#include "hub/progress.h"
#include "hub/pull.h"

namespace prism::cli {
namespace {

// Set by SIGINT/SIGTERM; downloads poll it and stop, keeping partial files.
std::atomic<bool> g_stop{false};
static_assert(std::atomic<bool>::is_always_lock_free);

extern "C" void on_stop_signal(int) { g_stop.store(true); }

struct PullCliOptions {
  std::string repo;
  std::string revision;
  std::vector<std::string> include;
  std::vector<std::string> exclude;
  int max_workers = 8;
  bool quiet = false;
};

int run_pull(const PullCliOptions& opt) {
  hub::PullOptions options;
  options.ref = hub::parse_repo_ref_or_throw(opt.repo);
  if (!opt.revision.empty()) {
    if (options.ref.revision_given && options.ref.revision != opt.revision)
      throw InvalidInput("two revisions given: '@" + options.ref.revision + "' and --revision " + opt.revision);
    std::string why;
    if (!hub::parse_repo_ref(options.ref.id + "@" + opt.revision, &why)) throw InvalidInput("--revision: " + why);
    options.ref.revision = opt.revision;
    options.ref.revision_given = true;
  }
  options.include = opt.include;
  options.exclude = opt.exclude;
  options.max_workers = opt.max_workers;
  const hub::HubSettings settings = hub::hub_settings();

  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  // Past a file size limit, a write fails (EFBIG) like on a full disk, and
  // the partial file is kept, instead of the process being killed.
  std::signal(SIGXFSZ, SIG_IGN);

  std::ostringstream discard;
  hub::Progress progress(opt.quiet ? static_cast<std::ostream&>(discard) : std::cerr, !opt.quiet && isatty(2) == 1,
                         std::chrono::milliseconds(1000));
  hub::PullResult result;
  try {
    result = hub::pull(options, settings, progress, g_stop);
  } catch (const hub::Cancelled&) {
    progress.close();
    std::cerr << "prism: pull of " << options.ref.display()
              << " interrupted; the partial downloads are kept in " << settings.cache_dir.string()
              << ": run the same command to resume\n";
    return 130;
  } catch (...) {
    progress.close();
    throw;
  }
  progress.close();
  if (result.offline) {
    std::cout << options.ref.display() << ": HF_HUB_OFFLINE is set; using the cached snapshot "
              << result.snapshot.string() << "\n";
    return 0;
  }
  std::cout << "pulled " << options.ref.id << " (" << options.ref.revision << " = " << result.commit << "): "
            << result.files.size() << " files, " << hub::human_bytes(static_cast<double>(result.bytes_downloaded))
            << " downloaded, " << result.files_cached << " already cached\n"
            << "  " << result.snapshot.string() << "\n"
            << "use it: prism run --model " << options.ref.id
            << (options.ref.revision_given ? "@" + options.ref.revision : std::string()) << " \"Describe this image.\" --image=photo.jpg\n";
  return 0;
}

}  // namespace

void register_pull_command(CLI::App& app) {
  auto opt = std::make_shared<PullCliOptions>();
  auto* cmd = app.add_subcommand(
      "pull",
      "Download a model from the Hugging Face Hub into its cache ($HF_HUB_CACHE, else $HF_HOME/hub, else "
      "~/.cache/huggingface/hub)");
  cmd->footer(
      "Examples:\n"
      "  prism pull HuggingFaceTB/SmolVLM2-256M-Video-Instruct\n"
      "  prism pull ggml-org/SmolVLM2-256M-Video-Instruct-GGUF:Q8_0   (that GGUF type and its mmproj)\n"
      "  prism pull org/name --revision v1.0 --include '*.json' --include '*.safetensors'\n"
      "Environment: HF_ENDPOINT (default https://huggingface.co), HF_TOKEN (else the token file in $HF_HOME/token),\n"
      "HF_HUB_CACHE / HF_HOME, HF_HUB_OFFLINE=1 (use the cache only). An interrupted pull resumes when run again.");
  cmd->add_option("repo", opt->repo, "Repo id: ORG/NAME, optionally :QUANT (GGUF type) and @REVISION")->required();
  cmd->add_option("--revision", opt->revision, "Branch, tag or commit hash (default main)");
  // One pattern per flag, so that a repo id after them is not taken for a pattern.
  cmd->add_option("--include", opt->include, "Only files matching this glob (e.g. '*.json'); repeatable")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  cmd->add_option("--exclude", opt->exclude, "Skip files matching this glob; repeatable")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  cmd->add_option("--max-workers", opt->max_workers, "Files downloaded at once")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  cmd->add_flag("--quiet", opt->quiet, "No progress display");
  cmd->callback([opt] { set_exit_code(run_pull(*opt)); });
}

}  // namespace prism::cli
