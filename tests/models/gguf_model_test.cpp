// GGUF files made from the fixtures (models/gguf_export.h, the converter's
// names, q/k permutation and metadata) load into the same model as the
// safetensors checkpoint: F32 reproduces it (and the golden continuation),
// F16 / Q8_0 / Q4_0 stay within a stated drift; broken files fail with a
// prism::Error naming the file and what is wrong.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <random>

#include "core/error.h"
#include "fixture_case.h"
#include "formats/gguf.h"
#include "formats/gguf_writer.h"
#include "models/gguf_export.h"
#include "models/random_checkpoint.h"
#include "models/smolvlm.h"

namespace prism::models {
namespace {

namespace fs = std::filesystem;
using formats::GgmlType;

struct GgufPair {
  fs::path text, mmproj;
};

fs::path temp_dir() {
  static const fs::path dir = [] {
    auto d = fs::temp_directory_path() / ("prism_gguf_test_" + std::to_string(std::random_device{}()));
    fs::create_directories(d);
    return d;
  }();
  return dir;
}

// One export per (checkpoint, type), shared by the tests.
const GgufPair& exported(const std::string& ckpt, GgmlType type) {
  static std::map<std::pair<std::string, GgmlType>, GgufPair> cache;
  auto [it, fresh] = cache.try_emplace({ckpt, type});
  if (fresh) {
    const std::string stem = ckpt + "-" + std::string(formats::ggml_type_name(type));
    it->second = {temp_dir() / (stem + ".gguf"), temp_dir() / ("mmproj-" + stem + ".gguf")};
    GgufExportOptions o;
    o.type = type;
    export_smolvlm_gguf(prism::testing::smolvlm_fixtures() / ckpt, it->second.text, it->second.mmproj, o);
  }
  return it->second;
}

struct CaseRun {
  std::vector<float> logits;  // [seq, vocab] of the prompt
  std::vector<std::int32_t> greedy;
};

CaseRun run_case(const SmolVlmModel& model, const prism::testing::FixtureCase& c, std::size_t steps) {
  const auto ids = c.input_ids();
  tensor::Tensor features;
  const bool has_images = c.has_array("pixel_values");
  if (has_images) {
    const auto shape = c.shape("pixel_values");
    features = model.connect(model.encode_images(c.array("pixel_values").data(), shape[1], shape[3], shape[4]));
  }
  KvCache cache = model.make_cache();
  tensor::Tensor hidden = model.text().forward(model.pool(), model.embed_prompt(ids, has_images ? &features : nullptr), cache);
  const std::int64_t seq = hidden.dim(0), vocab = model.config().text.vocab_size;
  CaseRun r;
  r.logits.resize(static_cast<std::size_t>(seq * vocab));
  model.text().logits(model.pool(), hidden.data(), seq, r.logits.data());
  std::vector<float> step(r.logits.end() - vocab, r.logits.end());
  for (std::size_t s = 0; s < steps; ++s) {
    const auto next = static_cast<std::int32_t>(std::max_element(step.begin(), step.end()) - step.begin());
    r.greedy.push_back(next);
    // From the table even when it is <image> (a Q4_0 model may pick it), as generation does.
    tensor::Tensor h = model.text().forward(model.pool(), model.text().embed(&next, 1), cache);
    model.text().logits(model.pool(), h.data(), 1, step.data());
  }
  return r;
}

double max_abs_diff(const std::vector<float>& a, const std::vector<float>& b) {
  double d = 0;
  for (std::size_t i = 0; i < a.size(); ++i) d = std::max(d, std::abs(static_cast<double>(a[i]) - b[i]));
  return std::isnan(d) ? 1e30 : d;
}

double spread(const std::vector<float>& v) {
  const auto [lo, hi] = std::minmax_element(v.begin(), v.end());
  return *hi - *lo;
}

std::string load_error(const fs::path& text, const std::optional<fs::path>& mmproj) {
  try {
    SmolVlmModel::load_gguf(text, mmproj, 1);
  } catch (const prism::Error& e) {
    return e.what();
  }
  return "";
}

// Rewrites `src` through `edit` (metadata and tensors copied, then edited).
void rewrite(const fs::path& src, const fs::path& dst,
             const std::function<bool(const formats::GgufTensorInfo&)>& keep_tensor,
             const std::function<void(formats::GgufWriter&)>& edit_metadata) {
  const formats::GgufFile f(src);
  formats::GgufWriter w;
  for (const auto& [key, value] : f.metadata()) w.set(key, value);
  edit_metadata(w);
  for (const auto& t : f.tensors())
    if (keep_tensor(t)) w.add_tensor(t.name, t.type, t.shape, std::span<const std::byte>(t.data, t.nbytes));
  w.write(dst);
}

// Drift allowed from the safetensors model, as a fraction of the reference
// logits' spread: F32 is the same arithmetic on the same floats; Q8_0 and
// Q4_0 quantize the vision tower too (measured: f16 <= 0.05%, q8_0 <= 1.3%,
// q4_0 <= 20% on these random-weight fixtures; Q4_0 is only checked to load
// through the dequantizing path, not for quality).
struct TypeCase {
  GgmlType type;
  double max_drift;
};

class GgufModelMatches : public ::testing::TestWithParam<TypeCase> {};

TEST_P(GgufModelMatches, EveryGoldenCase) {
  const auto [type, max_drift] = GetParam();
  std::map<std::string, std::unique_ptr<SmolVlmModel>> st, gg;
  for (const auto& [ckpt, name] : prism::testing::model_cases()) {
    const auto c = prism::testing::load_case(ckpt, name);
    if (!st.count(ckpt)) {
      st[ckpt] = SmolVlmModel::load(c.checkpoint_dir(), 2);
      const auto& files = exported(ckpt, type);
      gg[ckpt] = SmolVlmModel::load_gguf(files.text, files.mmproj, 2);
      const auto &a = st[ckpt]->config(), &b = gg[ckpt]->config();
      EXPECT_EQ(a.text.hidden_size, b.text.hidden_size);
      EXPECT_EQ(a.text.num_key_value_heads, b.text.num_key_value_heads);
      EXPECT_EQ(a.text.head_dim, b.text.head_dim);
      EXPECT_EQ(a.text.vocab_size, b.text.vocab_size);
      EXPECT_EQ(a.text.tie_word_embeddings, b.text.tie_word_embeddings);
      EXPECT_FLOAT_EQ(static_cast<float>(a.text.rope_theta), static_cast<float>(b.text.rope_theta));
      EXPECT_EQ(a.vision.num_patches(), b.vision.num_patches());
      EXPECT_EQ(a.scale_factor, b.scale_factor);
      EXPECT_EQ(a.image_token_id, b.image_token_id);
    }
    const auto want_ids = c.json["generate"]["new_token_ids"].get<std::vector<std::int32_t>>();
    const auto ref = run_case(*st[ckpt], c, want_ids.size());
    const auto got = run_case(*gg[ckpt], c, want_ids.size());
    const double drift = max_abs_diff(got.logits, ref.logits), sp = spread(ref.logits);
    std::printf("%s %s/%s: max |Δlogit| %.2e (spread %.2f)\n", std::string(formats::ggml_type_name(type)).c_str(),
                ckpt.c_str(), name.c_str(), drift, sp);
    if (type == GgmlType::F32) {
      // The same values; a bf16 checkpoint's prompt products may run on AMX
      // (x in three bf16 planes), the F32 file's on the float32 panels, so
      // only their rounding differs.
      EXPECT_LE(drift, 1e-4) << ckpt << "/" << name;
      EXPECT_EQ(got.greedy, want_ids) << ckpt << "/" << name;
    } else {
      EXPECT_LE(drift, max_drift * sp) << ckpt << "/" << name;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Types, GgufModelMatches,
                         ::testing::Values(TypeCase{GgmlType::F32, 0}, TypeCase{GgmlType::F16, 0.002},
                                           TypeCase{GgmlType::Q8_0, 0.02}, TypeCase{GgmlType::Q4_0, 0.3}),
                         [](const auto& info) { return std::string(formats::ggml_type_name(info.param.type)); });

TEST(GgufModel, Q8_0MatricesStayQ8_0) {
  const auto& files = exported("tiny-a", GgmlType::Q8_0);
  auto model = SmolVlmModel::load_gguf(files.text, files.mmproj, 1);
  for (const auto& layer : model->weights().text.layers)
    for (const Matrix* m : layer.matrices()) EXPECT_EQ(m->dtype, formats::DType::Q8_0);
  EXPECT_EQ(model->weights().vision.position_embedding.dtype, formats::DType::F32);  // the converter keeps embeddings F32
}

TEST(GgufModel, Q4_0MatricesStayQ4_0) {
  const auto& files = exported("tiny-a", GgmlType::Q4_0);
  auto model = SmolVlmModel::load_gguf(files.text, files.mmproj, 1);
  for (const auto& layer : model->weights().text.layers)
    for (const Matrix* m : layer.matrices())
      EXPECT_EQ(m->dtype, m->cols % 32 == 0 ? formats::DType::Q4_0 : formats::DType::F16);
}

// A random-weight checkpoint whose matrices are rows of whole 256-value
// super-blocks (the fixtures are narrower) and a tiny vision tower.
const fs::path& wide_checkpoint() {
  static const fs::path dir = [] {
    auto shape = checkpoint_shape("256M");
    auto& t = shape.config.text;
    t.hidden_size = 256;
    t.intermediate_size = 512;
    t.num_hidden_layers = 2;
    t.num_attention_heads = 4;
    t.num_key_value_heads = 2;
    t.head_dim = 64;
    shape.config.vision = {32, 64, 1, 2, 3, 64, 16, 1e-6f, "gelu_pytorch_tanh"};  // 4 patches a side: scale 4
    shape.longest_edge = shape.max_image_size = 64;
    const fs::path d = temp_dir() / "wide-256";
    write_random_checkpoint(shape, d, {});
    return d;
  }();
  return dir;
}

// Its text model in `type`, with output.weight left out: llama.cpp then ties
// the output head to token_embd (the generator cannot write a tied checkpoint).
fs::path export_wide_tied(GgmlType type) {
  const std::string stem = "wide-256-" + std::string(formats::ggml_type_name(type));
  const fs::path untied = temp_dir() / (stem + "-untied.gguf"), out = temp_dir() / (stem + ".gguf");
  GgufExportOptions o;
  o.type = type;
  o.write_mmproj = false;
  export_smolvlm_gguf(wide_checkpoint(), untied, temp_dir() / "unused-mmproj.gguf", o);
  rewrite(untied, out, [](const auto& t) { return t.name != "output.weight"; }, [](auto&) {});
  return out;
}

// Logits of a prompt of 12 tokens (the prompt path) and of 3 tokens decoded
// after it, each fed the reference's own choice (the decode path).
std::vector<float> prompt_and_decode_logits(const SmolVlmModel& model) {
  const std::vector<std::int32_t> ids = {1, 50, 900, 4000, 17, 33000, 2, 48000, 77, 12345, 5, 49000};
  const std::int64_t vocab = model.config().text.vocab_size, seq = static_cast<std::int64_t>(ids.size());
  KvCache cache = model.make_cache();
  tensor::Tensor hidden = model.text().forward(model.pool(), model.embed_prompt(ids, nullptr), cache);
  std::vector<float> logits(static_cast<std::size_t>((seq + 3) * vocab));
  model.text().logits(model.pool(), hidden.data(), seq, logits.data());
  for (std::int32_t step = 0; step < 3; ++step) {
    const std::int32_t next = 100 + 7000 * step;
    tensor::Tensor h = model.text().forward(model.pool(), model.text().embed(&next, 1), cache);
    model.text().logits(model.pool(), h.data(), 1, logits.data() + (seq + step) * vocab);
  }
  return logits;
}

// Q5_0, Q4_K and Q6_K matrices (the embedding, tied lm_head too) keep their
// blocks after load, and the model they make stays near the F32 file's:
// drift as a fraction of the logits' spread (measured 3%, 5%, 10%).
TEST(GgufModel, KQuantMatricesStayInTheirBlocks) {
  auto ref = SmolVlmModel::load_gguf(export_wide_tied(GgmlType::F32), std::nullopt, 2);
  const auto want = prompt_and_decode_logits(*ref);
  for (auto [type, dtype, max_drift] : {std::tuple{GgmlType::Q5_0, formats::DType::Q5_0, 0.1},
                                        std::tuple{GgmlType::Q4_K, formats::DType::Q4_K, 0.2},
                                        std::tuple{GgmlType::Q6_K, formats::DType::Q6_K, 0.05}}) {
    auto model = SmolVlmModel::load_gguf(export_wide_tied(type), std::nullopt, 2);
    const auto& w = model->weights().text;
    for (const auto& layer : w.layers)
      for (const Matrix* m : layer.matrices()) EXPECT_EQ(m->dtype, dtype) << formats::dtype_name(dtype);
    EXPECT_EQ(w.embed_tokens.dtype, dtype);
    EXPECT_TRUE(model->config().text.tie_word_embeddings);
    EXPECT_EQ(w.lm_head.dtype, dtype);
    const auto got = prompt_and_decode_logits(*model);
    const double drift = max_abs_diff(got, want), sp = spread(want);
    std::printf("%s wide-256: max |Δlogit| %.3g (spread %.3g)\n", std::string(formats::dtype_name(dtype)).c_str(),
                drift, sp);
    EXPECT_LE(drift, max_drift * sp) << formats::dtype_name(dtype);
  }
}

TEST(GgufModel, TextOnlyLoadsAndRefusesImages) {
  const auto& files = exported("tiny-a", GgmlType::F32);
  auto model = SmolVlmModel::load_gguf(files.text, std::nullopt, 1);
  EXPECT_FALSE(model->has_vision());
  std::vector<float> pixels(3 * 64 * 64);
  EXPECT_THROW(model->encode_images(pixels.data(), 1, 64, 64), InvalidInput);
  const auto c = prism::testing::load_case("tiny-a", "text");
  auto ref = SmolVlmModel::load(c.checkpoint_dir(), 1);
  EXPECT_LE(max_abs_diff(run_case(*model, c, 0).logits, run_case(*ref, c, 0).logits), 1e-5);
}

TEST(GgufModel, TruncatedFileIsAnError) {
  const auto& files = exported("tiny-a", GgmlType::F32);
  const auto bad = temp_dir() / "truncated.gguf";
  fs::copy_file(files.text, bad, fs::copy_options::overwrite_existing);
  fs::resize_file(bad, fs::file_size(files.text) / 2);
  const auto err = load_error(bad, files.mmproj);
  EXPECT_NE(err.find("truncated.gguf"), std::string::npos) << err;
}

TEST(GgufModel, MissingTensorIsAnError) {
  const auto& files = exported("tiny-a", GgmlType::F32);
  const auto bad = temp_dir() / "missing.gguf";
  rewrite(files.text, bad, [](const auto& t) { return t.name != "blk.1.ffn_up.weight"; }, [](auto&) {});
  const auto err = load_error(bad, files.mmproj);
  EXPECT_NE(err.find("missing.gguf"), std::string::npos) << err;
  EXPECT_NE(err.find("blk.1.ffn_up.weight"), std::string::npos) << err;

  const auto bad_mm = temp_dir() / "mmproj-missing.gguf";
  rewrite(files.mmproj, bad_mm, [](const auto& t) { return t.name != "mm.model.fc.weight"; }, [](auto&) {});
  const auto err_mm = load_error(files.text, bad_mm);
  EXPECT_NE(err_mm.find("mm.model.fc.weight"), std::string::npos) << err_mm;
}

TEST(GgufModel, ShapeThatDisagreesWithTheMetadataIsAnError) {
  const auto& files = exported("tiny-a", GgmlType::F32);
  const auto bad = temp_dir() / "shape.gguf";
  rewrite(files.text, bad, [](const auto&) { return true; },
          [](auto& w) { w.set_u32("llama.feed_forward_length", 96); });
  const auto err = load_error(bad, files.mmproj);
  EXPECT_NE(err.find("has shape"), std::string::npos) << err;
  EXPECT_NE(err.find("shape.gguf"), std::string::npos) << err;
}

TEST(GgufModel, HostileMetadataIsAnError) {
  const auto& files = exported("tiny-a", GgmlType::F32);
  const auto bad = temp_dir() / "hostile.gguf";
  for (const auto& [key, value] : std::vector<std::pair<std::string, std::uint32_t>>{
           {"llama.attention.head_count", 0}, {"llama.attention.head_count_kv", 3}, {"llama.block_count", 1u << 30}}) {
    rewrite(files.text, bad, [](const auto&) { return true; }, [&](auto& w) { w.set_u32(key, value); });
    EXPECT_NE(load_error(bad, files.mmproj), "") << key;
  }
  rewrite(files.text, bad, [](const auto&) { return true; }, [](auto& w) { w.set_u32("llama.rope.dimension_count", 8); });
  EXPECT_NE(load_error(bad, files.mmproj).find("partial rope"), std::string::npos);
  rewrite(files.text, bad, [](const auto&) { return true; }, [](auto& w) { w.set_string("general.architecture", "qwen2"); });
  EXPECT_NE(load_error(bad, files.mmproj).find("qwen2"), std::string::npos);
  // The two files swapped.
  EXPECT_NE(load_error(files.mmproj, files.text), "");
}

// Bytes of the header (metadata and tensor table) overwritten at random: the
// load either succeeds or is a prism::Error, never a crash.
TEST(GgufModel, CorruptedHeadersNeverCrash) {
  const auto& files = exported("tiny-a", GgmlType::Q8_0);
  const auto text_header = formats::GgufFile(files.text).data_offset();
  const auto mmproj_header = formats::GgufFile(files.mmproj).data_offset();
  std::mt19937 rng(7);
  int loaded = 0, refused = 0;
  for (int i = 0; i < 300; ++i) {
    const bool on_text = i % 2 == 0;
    const auto& src = on_text ? files.text : files.mmproj;
    const auto bad = temp_dir() / (on_text ? "fuzz.gguf" : "mmproj-fuzz.gguf");
    fs::copy_file(src, bad, fs::copy_options::overwrite_existing);
    {
      std::fstream f(bad, std::ios::in | std::ios::out | std::ios::binary);
      const auto header = on_text ? text_header : mmproj_header;
      for (int k = 0; k < 1 + static_cast<int>(rng() % 4); ++k) {
        f.seekp(static_cast<std::streamoff>(rng() % header));
        f.put(static_cast<char>(rng()));
      }
    }
    try {
      SmolVlmModel::load_gguf(on_text ? bad : files.text, on_text ? files.mmproj : bad, 1);
      ++loaded;
    } catch (const prism::Error&) {
      ++refused;
    }
  }
  EXPECT_EQ(loaded + refused, 300);
  std::printf("corrupted headers: %d loaded, %d refused\n", loaded, refused);
}

}  // namespace
}  // namespace prism::models
