// What a checkpoint folder's side files (tokenizer.json, the chat template,
// the processor configs, generation_config.json) would say, read instead from
// a GGUF pair's metadata, for GGUF models that come without them: llama.cpp's
// converter writes tokenizer.ggml.* and tokenizer.chat_template into the text
// file and clip.vision.* into the mmproj. Errors name the file and the key.
#pragma once

#include <nlohmann/json.hpp>

#include "formats/gguf.h"
#include "formats/hf_config.h"
#include "tokenizer/chat_template.h"
#include "tokenizer/tokenizer.h"
#include "vision/image_processor_config.h"

namespace prism::runtime {

// tokenizer.ggml.* (model "gpt2", i.e. byte-level BPE; pre-tokenizer "smollm"
// or "gpt2") as the tokenizer.json document it stands for: normal tokens in
// the vocabulary, control and user-defined ones also as added tokens, unused
// padding entries left out.
nlohmann::json gguf_tokenizer_json(const formats::GgufFile& text);
tokenizer::Tokenizer gguf_tokenizer(const formats::GgufFile& text);

// tokenizer.chat_template, given the bos/eos/unk/pad tokens the ids in
// tokenizer.ggml.*_token_id name (what transformers passes from tokenizer_config.json).
tokenizer::ChatTemplate gguf_chat_template(const formats::GgufFile& text);

// tokenizer.ggml.eos_token_id (plus eot_token_id when it differs) as the
// end-of-turn ids, bos and padding ids; no sampling defaults.
formats::GenerationConfig gguf_generation_config(const formats::GgufFile& text);

// The SmolVLM image processor from the mmproj: tiles of clip.vision.image_size,
// a first resize to clip.vision.preproc_image_size, clip.vision.image_mean/std,
// image_seq_len from the model; video frames sampled as prism.video.* says
// (prism quantize writes the checkpoint's settings there), else as SmolVLM2
// does (1 fps, at most 64 frames, one tile each).
vision::ImageProcessorConfig gguf_image_processor_config(const formats::GgufFile& mmproj, int image_seq_len);

}  // namespace prism::runtime
