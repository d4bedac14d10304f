// A Jinja template engine covering what Hugging Face chat templates use,
// with the environment transformers renders them in (trim_blocks,
// lstrip_blocks, loop controls, raise_exception, strftime_now, and tojson
// as json.dumps(ensure_ascii=False)).
#pragma once

#include <memory>
#include <string>

#include <nlohmann/json_fwd.hpp>

namespace prism::tokenizer::jinja {

struct Stmt;

class Template {
 public:
  // Throws prism::Error naming `name`, the line and the column of the fault.
  static Template parse(const std::string& source, const std::string& name = "template");

  // `context` must be a JSON object; its keys become template variables.
  // Errors (including raise_exception) are prism::Error with a location.
  std::string render(const nlohmann::json& context) const;
  // Same, keeping the key order of every object (as Python dicts would).
  std::string render(const nlohmann::ordered_json& context) const;

  struct Parsed;  // the syntax tree (implementation detail)

 private:
  std::shared_ptr<const Parsed> parsed_;
};

}  // namespace prism::tokenizer::jinja
