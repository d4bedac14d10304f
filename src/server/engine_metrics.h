// The batching engine's figures per local model in /metrics: sequences
// running and waiting, KV blocks by state, prefix- and image-cache reuse,
// steps, batch sizes and tokens.
#pragma once

#include <string>

#include "core/metrics.h"
#include "runtime/vlm_engine.h"

namespace prism::server {

void declare_engine_metrics(MetricsRegistry& metrics);
void record_engine_metrics(MetricsRegistry& metrics, const std::string& model, const runtime::ServingStats& stats);

}  // namespace prism::server
