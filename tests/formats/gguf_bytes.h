// Hand-built GGUF bytes for the reader's validation tests: every field is
// written explicitly, so a test can make any one of them lie.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace prism::formats::testing {

struct GgufBytes {
  std::vector<char> b;

  template <typename T>
  GgufBytes& put(T v) {
    char tmp[sizeof(T)];
    std::memcpy(tmp, &v, sizeof(T));
    b.insert(b.end(), tmp, tmp + sizeof(T));
    return *this;
  }
  GgufBytes& str(const std::string& s) {
    put<std::uint64_t>(s.size());
    b.insert(b.end(), s.begin(), s.end());
    return *this;
  }
  GgufBytes& header(std::uint64_t n_tensors, std::uint64_t n_kv, std::uint32_t version = 3) {
    b.insert(b.end(), {'G', 'G', 'U', 'F'});
    return put(version).put(n_tensors).put(n_kv);
  }
  GgufBytes& kv_u32(const std::string& key, std::uint32_t v) { return str(key).put<std::uint32_t>(4).put(v); }
  GgufBytes& kv_string(const std::string& key, const std::string& v) { return str(key).put<std::uint32_t>(8).str(v); }
  // A tensor info with ggml's ne (innermost first).
  GgufBytes& tensor(const std::string& name, std::vector<std::uint64_t> ne, std::uint32_t type, std::uint64_t offset) {
    str(name).put<std::uint32_t>(static_cast<std::uint32_t>(ne.size()));
    for (auto d : ne) put(d);
    return put(type).put(offset);
  }
  GgufBytes& align(std::size_t a = 32) {
    b.resize((b.size() + a - 1) / a * a, 0);
    return *this;
  }
  GgufBytes& zeros(std::size_t n) {
    b.resize(b.size() + n, 0);
    return *this;
  }
};

}  // namespace prism::formats::testing
