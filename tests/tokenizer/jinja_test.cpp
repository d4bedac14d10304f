// Jinja engine behaviour. Every expected string follows from Jinja2's
// documented semantics under Hugging Face's settings (trim_blocks,
// lstrip_blocks, one trailing newline dropped).
#include <gtest/gtest.h>

#include <random>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "tokenizer/jinja.h"

namespace prism::tokenizer::jinja {
namespace {

std::string render(const std::string& source, const nlohmann::json& context = nlohmann::json::object()) {
  return Template::parse(source, "test").render(context);
}

// The error message of rendering `source` (fails the test if none).
std::string error_of(const std::string& source, const nlohmann::json& context = nlohmann::json::object()) {
  try {
    render(source, context);
  } catch (const prism::Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected an error for: " << source;
  return {};
}

TEST(JinjaWhitespace, MinusMarkersStripAllWhitespace) {
  EXPECT_EQ(render("a  {{- 'b' -}}  c"), "abc");
  EXPECT_EQ(render("{%- if true -%}  x  {%- endif %}"), "x");
  EXPECT_EQ(render("a\n\n  {#- comment -#}\n\n  b"), "ab");
  EXPECT_EQ(render("x {%- if true %} y{% endif -%}\n\n z"), "x yz");
}

TEST(JinjaWhitespace, TrimBlocksDropsOneNewlineAfterBlockTags) {
  EXPECT_EQ(render("{% if true %}\nyes\n{% endif %}\nafter"), "yes\nafter");
  EXPECT_EQ(render("{% if true %}\n\nyes{% endif %}"), "\nyes");
  EXPECT_EQ(render("a{# comment #}\nb"), "ab");
  // Print tags keep the newline that follows them.
  EXPECT_EQ(render("{{ 'v' }}\nw"), "v\nw");
}

TEST(JinjaWhitespace, LstripBlocksRemovesIndentationBeforeBlockTags) {
  EXPECT_EQ(render("  {% if true %}\n  x\n  {% endif %}\n"), "  x\n");
  EXPECT_EQ(render("  {%+ if true %}x{% endif %}"), "  x");
  EXPECT_EQ(render("  {{ 'v' }}"), "  v");
  // Only whitespace between the line start and the tag is removed.
  EXPECT_EQ(render("a {% if true %}b{% endif %}"), "a b");
}

TEST(JinjaWhitespace, OneTrailingNewlineIsDropped) {
  EXPECT_EQ(render("x\n"), "x");
  EXPECT_EQ(render("x\n\n"), "x\n");
  EXPECT_EQ(render("a\r\nb"), "a\nb");
}

TEST(JinjaWhitespace, LoopBodiesOnTheirOwnLines) {
  const nlohmann::json context = {{"messages", {"a", "b"}}};
  EXPECT_EQ(render("{% for m in messages %}\n{{ m }}\n{% endfor %}\n", context), "a\nb\n");
  EXPECT_EQ(render("{% raw %}{{ not parsed }}{% endraw %}"), "{{ not parsed }}");
}

TEST(JinjaLoops, LoopVariables) {
  EXPECT_EQ(render("{% for x in [1,2,3] %}{{ loop.index }}{{ loop.index0 }}{{ loop.first }}{{ loop.last }}{{ loop.length }};{% endfor %}"),
            "10TrueFalse3;21FalseFalse3;32FalseTrue3;");
  EXPECT_EQ(render("{% for x in 'abc' %}{{ loop.cycle('o', 'e') }}{{ loop.revindex }}{% endfor %}"), "o3e2o1");
  EXPECT_EQ(render("{% for x in [1, 2] %}{{ loop.previtem is defined }}{{ loop.nextitem | default('-') }}{% endfor %}"),
            "False2True-");
}

TEST(JinjaLoops, FilterElseBreakContinueUnpacking) {
  EXPECT_EQ(render("{% for x in range(6) if x is odd %}{{ x }}{{ ',' if not loop.last }}{% endfor %}"), "1,3,5");
  EXPECT_EQ(render("{% for x in [] %}a{% else %}empty{% endfor %}"), "empty");
  EXPECT_EQ(render("{% for k, v in {'a': 1, 'b': 2}.items() %}{{ k }}={{ v }} {% endfor %}"), "a=1 b=2 ");
  EXPECT_EQ(render("{% for k, v in {'a': 1} | items %}{{ k }}{{ v }}{% endfor %}"), "a1");
  EXPECT_EQ(render("{% for x in range(10) %}{% if x == 2 %}{% continue %}{% endif %}{% if x == 4 %}{% break %}{% endif %}{{ x }}{% endfor %}"),
            "013");
  EXPECT_EQ(render("{% for x in undefined_thing %}x{% endfor %}"), "");
}

TEST(JinjaScopes, SetInLoopDoesNotLeakButNamespaceDoes) {
  EXPECT_EQ(render("{% set x = 1 %}{% for i in [1] %}{% set x = 2 %}{{ x }}{% endfor %}{{ x }}"), "21");
  EXPECT_EQ(render("{% set ns = namespace(found=false, n=0) %}{% for i in [1,2,3] %}{% set ns.n = ns.n + i %}"
                   "{% if i == 2 %}{% set ns.found = true %}{% endif %}{% endfor %}{{ ns.found }} {{ ns.n }}"),
            "True 6");
  EXPECT_EQ(render("{% if true %}{% set y = 'set in if' %}{% endif %}{{ y }}"), "set in if");
  EXPECT_EQ(render("{% set a, b = [1, 2] %}{{ b }}{{ a }}"), "21");
  EXPECT_EQ(render("{% set x %}a{{ 1 }}b{% endset %}[{{ x }}]"), "[a1b]");
}

TEST(JinjaMacros, DefaultsAndKeywords) {
  EXPECT_EQ(render("{% macro greet(name, punct='!') %}Hi {{ name }}{{ punct }}{% endmacro %}{{ greet('A') }} {{ greet('B', punct='?') }}"),
            "Hi A! Hi B?");
  EXPECT_NE(error_of("{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}").find("recursion is too deep"), std::string::npos);
}

TEST(JinjaFilters, StringFilters) {
  EXPECT_EQ(render("{{ 'hello WORLD' | capitalize }}|{{ 'aB' | upper }}|{{ 'aB' | lower }}|{{ '  x \n' | trim }}"),
            "Hello world|AB|ab|x");
  EXPECT_EQ(render("{{ 'héllo' | length }} {{ [1, 2] | length }} {{ {'a': 1} | count }}"), "5 2 1");
  EXPECT_EQ(render("{{ 'a-b-c' | replace('-', '+') }} {{ 'hello world' | title }}"), "a+b+c Hello World");
  EXPECT_EQ(render("{{ 3 | string ~ 'x' }} {{ '<b>' | safe }}"), "3x <b>");
}

TEST(JinjaFilters, DefaultFirstLastJoin) {
  EXPECT_EQ(render("{{ missing | default('d') }} {{ none_value | default('d') }} {{ '' | default('d', true) }}",
                   {{"none_value", nullptr}}),
            "d None d");
  EXPECT_EQ(render("{{ [1, 2, 3] | first }}{{ [1, 2, 3] | last }}{{ 'xyz' | first }}"), "13x");
  EXPECT_EQ(render("{{ [1, 2, 3] | join('-') }} {{ ['a', 'b'] | join }}"), "1-2-3 ab");
  EXPECT_EQ(render("{{ [3, 1, 2] | sort | list }} {{ [1, 2, 1] | unique | list }} {{ [1, 2] | reverse | list }}"),
            "[1, 2, 3] [1, 2] [2, 1]");
}

TEST(JinjaFilters, ToJsonMatchesPythonJsonDumps) {
  EXPECT_EQ(render("{{ {'a': [1, 2.5, none, true, 'x\"y\\n'], 'b': {}} | tojson }}"),
            R"({"a": [1, 2.5, null, true, "x\"y\n"], "b": {}})");
  EXPECT_EQ(render("{{ {'a': [1]} | tojson(indent=2) }}"), "{\n  \"a\": [\n    1\n  ]\n}");
  EXPECT_EQ(render("{{ 'é' | tojson }}"), "\"é\"");
  EXPECT_EQ(render("{{ {'b': 1, 'a': 2} | tojson(sort_keys=true) }}"), R"({"a": 2, "b": 1})");
  // Objects print in their key order: ordered_json keeps insertion order as
  // a Python dict would; nlohmann::json has already sorted its keys.
  const auto tool = nlohmann::ordered_json::parse(R"({"tool": {"name": "f", "args": [1, 2]}})");
  EXPECT_EQ(Template::parse("{{ tool | tojson }}").render(tool), R"({"name": "f", "args": [1, 2]})");
  EXPECT_EQ(render("{{ tool | tojson }}", nlohmann::json::parse(tool.dump())), R"({"args": [1, 2], "name": "f"})");
}

TEST(JinjaFilters, SelectAndMap) {
  const nlohmann::json context = {{"msgs",
                                   {{{"role", "system"}, {"content", "s"}},
                                    {{"role", "user"}, {"content", "u1"}},
                                    {{"role", "user"}, {"content", "u2"}}}}};
  EXPECT_EQ(render("{{ msgs | selectattr('role', 'equalto', 'user') | map(attribute='content') | join(',') }}", context), "u1,u2");
  EXPECT_EQ(render("{{ msgs | rejectattr('role', 'equalto', 'user') | map(attribute='content') | join(',') }}", context), "s");
  EXPECT_EQ(render("{{ msgs | selectattr('content') | list | length }}", context), "3");
  EXPECT_EQ(render("{{ ['a', 'B'] | map('upper') | join }} {{ [1, 2, 3, 4] | select('even') | list }}"), "AB [2, 4]");
}

TEST(JinjaTests, TypeAndValueTests) {
  const nlohmann::json context = {{"s", "x"}, {"d", {{"k", 1}}}, {"n", nullptr}, {"l", {1}}};
  EXPECT_EQ(render("{{ s is string }}{{ d is mapping }}{{ n is none }}{{ l is iterable }}{{ missing is defined }}"
                   "{{ missing is not defined }}{{ s is equalto 'x' }}{{ 3 is divisibleby 3 }}{{ d.k is number }}",
                   context),
            "TrueTrueTrueTrueFalseTrueTrueTrueTrue");
  EXPECT_EQ(render("{{ 'a' in 'cat' }}{{ 'k' in d }}{{ 2 not in [1] }}{{ 1 < 2 < 3 }}{{ 1 < 2 > 3 }}", context),
            "TrueTrueTrueTrueFalse");
}

TEST(JinjaExpressions, ArithmeticAndPythonPrinting) {
  EXPECT_EQ(render("{{ [1, 'a', none, true, 1.0] }}"), "[1, 'a', None, True, 1.0]");
  EXPECT_EQ(render("{{ 1 / 2 }} {{ 4 / 2 }} {{ 7 // 2 }} {{ -7 // 2 }} {{ 7 % 3 }} {{ -7 % 3 }} {{ 2 ** 10 }}"),
            "0.5 2.0 3 -4 1 2 1024");
  EXPECT_EQ(render("{{ 1 + 2 * 3 }} {{ (1 + 2) * 3 }} {{ -2 + 5 }} {{ 'ab' * 2 }} {{ [1] + [2] }}"), "7 9 3 abab [1, 2]");
  EXPECT_EQ(render("{{ 0.1 + 0.2 }} {{ 1e-5 }} {{ 1e16 }} {{ 123.0 }}"), "0.30000000000000004 1e-05 1e+16 123.0");
  EXPECT_EQ(render("{{ none or 'x' }} {{ 'a' and 'b' }} {{ not '' }} {{ 'a' ~ 1 ~ none }}"), "x b True a1None");
  EXPECT_EQ(render("[{{ 'y' if false }}] {{ 'y' if false else 'n' }}"), "[] n");
  EXPECT_EQ(render("{{ {'a': {'b': [10, 20]}}.a.b[1] }} {{ {'a': 1}['a'] }} {{ {'a': 1}.get('z', 'no') }}"), "20 1 no");
}

TEST(JinjaExpressions, StringMethodsAndSlices) {
  EXPECT_EQ(render("[{{ '  a b  '.strip() }}] [{{ 'xxaxx'.strip('x') }}] [{{ '  a'.lstrip() }}] [{{ 'a  '.rstrip() }}]"),
            "[a b] [a] [a] [a]");
  EXPECT_EQ(render("{{ 'hello'.startswith('he') }}{{ 'hello'.endswith('lo') }}{{ 'hello'.startswith(('x', 'h')) }}"),
            "TrueTrueTrue");
  EXPECT_EQ(render("{{ 'a,b,,c'.split(',') }} {{ ' a  b '.split() }} {{ 'a b c'.split(' ', 1) }}"),
            "['a', 'b', '', 'c'] ['a', 'b'] ['a', 'b c']");
  EXPECT_EQ(render("{{ 'hello world'.title() }} {{ 'Ab'.lower() }}{{ 'Ab'.upper() }} {{ \"it's\".title() }}"),
            "Hello World abAB It'S");
  EXPECT_EQ(render("{{ [1, 2, 3, 4][::-1] }} {{ 'abcdef'[1:4] }} {{ 'abcdef'[-2:] }} {{ [1, 2, 3, 4, 5][::2] }} {{ 'héllo'[::-1] }}"),
            "[4, 3, 2, 1] bcd ef [1, 3, 5] olléh");
  EXPECT_EQ(render("{{ messages[-1]['content'] }}{{ messages[0].content }}",
                   {{"messages", {{{"content", "first"}}, {{"content", "last"}}}}}),
            "lastfirst");
}

TEST(JinjaErrors, MessagesNameTheLineAndColumn) {
  std::string message = error_of("line one\n  {{ raise_exception('Roles must alternate') }}");
  EXPECT_NE(message.find("line 2"), std::string::npos) << message;
  EXPECT_NE(message.find("Roles must alternate"), std::string::npos) << message;

  message = error_of("{{ x | nosuchfilter }}");
  EXPECT_NE(message.find("line 1, column 6"), std::string::npos) << message;
  EXPECT_NE(message.find("no filter named 'nosuchfilter'"), std::string::npos) << message;

  message = error_of("a\nb\n{% if %}");
  EXPECT_NE(message.find("line 3"), std::string::npos) << message;

  EXPECT_NE(error_of("{{ x ").find("unclosed tag"), std::string::npos);
  EXPECT_NE(error_of("{% endfor %}").find("without a matching opening tag"), std::string::npos);
  EXPECT_NE(error_of("{% for x in y %}").find("expected 'else' or 'endfor'"), std::string::npos);
  EXPECT_NE(error_of("{{ a.b.c }}").find("'a' is undefined"), std::string::npos);
  EXPECT_NE(error_of("{% set x = 1 %}{% set x.y = 2 %}").find("not a namespace"), std::string::npos);
  EXPECT_NE(error_of("{{ 'a' + 1 }}").find("unsupported operand"), std::string::npos);
  EXPECT_NE(error_of("{% include 'x' %}").find("unsupported tag 'include'"), std::string::npos);
  EXPECT_NE(error_of("{{ 'unterminated }}").find("unterminated string"), std::string::npos);
  EXPECT_NE(error_of("{% break %}").find("outside of a loop"), std::string::npos);
}

TEST(JinjaErrors, HostileTemplatesFailCleanly) {
  EXPECT_NE(error_of("{{ " + std::string(5000, '(') + "1" + std::string(5000, ')') + " }}").find("nesting is too deep"),
            std::string::npos);
  std::string nested;
  for (int i = 0; i < 2000; ++i) nested += "{% if true %}";
  EXPECT_NE(error_of(nested).find("nesting is too deep"), std::string::npos);
  EXPECT_NE(error_of("{% for a in range(3000) %}{% for b in range(1000) %}{% endfor %}{% endfor %}").find("too many loop iterations"),
            std::string::npos);
  EXPECT_NE(error_of("{{ range(10000000000) }}").find("too large"), std::string::npos);
}

// ChatML with a default system prompt (the template Qwen2 checkpoints ship).
TEST(RealTemplates, ChatMlWithDefaultSystemMessage) {
  const std::string source =
      "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}"
      "{{ '<|im_start|>system\\nYou are a helpful assistant.<|im_end|>\\n' }}{% endif %}"
      "{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}"
      "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";
  EXPECT_EQ(render(source, {{"messages", {{{"role", "user"}, {"content", "Hi"}}}}, {"add_generation_prompt", true}}),
            "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n"
            "<|im_start|>assistant\n");
  EXPECT_EQ(render(source, {{"messages", {{{"role", "system"}, {"content", "S"}}, {{"role", "user"}, {"content", "Q"}}}},
                            {"add_generation_prompt", false}}),
            "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nQ<|im_end|>\n");
}

// Llama-3 style: indented multi-line source relying on "-" markers,
// re-assigning `messages` at top level and trimming contents.
TEST(RealTemplates, Llama3StyleSystemExtraction) {
  const std::string source = R"({{- bos_token }}
{%- if messages[0]['role'] == 'system' %}
    {%- set system_message = messages[0]['content']|trim %}
    {%- set messages = messages[1:] %}
{%- else %}
    {%- set system_message = "" %}
{%- endif %}
{{- "<|start_header_id|>system<|end_header_id|>\n\n" }}
{{- system_message }}
{{- "<|eot_id|>" }}
{%- for message in messages %}
    {{- '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n'+ message['content'] | trim + '<|eot_id|>' }}
{%- endfor %}
{%- if add_generation_prompt %}
    {{- '<|start_header_id|>assistant<|end_header_id|>\n\n' }}
{%- endif %}
)";
  const nlohmann::json context = {
      {"bos_token", "<|begin_of_text|>"},
      {"messages", {{{"role", "system"}, {"content", "  Be brief. "}}, {{"role", "user"}, {"content", "Hi "}}}},
      {"add_generation_prompt", true}};
  EXPECT_EQ(render(source, context),
            "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|>"
            "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n");
}

// Mistral style: role alternation enforced with raise_exception.
TEST(RealTemplates, MistralStyleAlternation) {
  const std::string source = R"({{- bos_token }}
{%- for message in messages %}
    {%- if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}
        {{- raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}
    {%- endif %}
    {%- if message['role'] == 'user' %}
        {{- '[INST] ' + message['content'] + ' [/INST]' }}
    {%- elif message['role'] == 'assistant' %}
        {{- ' ' + message['content'] + eos_token }}
    {%- endif %}
{%- endfor %}
)";
  nlohmann::json context = {{"bos_token", "<s>"},
                            {"eos_token", "</s>"},
                            {"messages",
                             {{{"role", "user"}, {"content", "a"}},
                              {{"role", "assistant"}, {"content", "b"}},
                              {{"role", "user"}, {"content", "c"}}}}};
  EXPECT_EQ(render(source, context), "<s>[INST] a [/INST] b</s>[INST] c [/INST]");
  context["messages"] = {{{"role", "assistant"}, {"content", "b"}}};
  const std::string message = error_of(source, context);
  EXPECT_NE(message.find("Conversation roles must alternate"), std::string::npos) << message;
  EXPECT_NE(message.find("line 4"), std::string::npos) << message;
}

// Random token soup: parsing and rendering either succeed or throw
// prism::Error; nothing crashes or hangs.
TEST(JinjaFuzz, RandomTemplatesNeverCrash) {
  static const char* pieces[] = {"{{", "}}", "{%", "%}", "{#", "#}", "-", "+", " ", "\n", "if", "for", "in", "endif",
                                 "endfor", "else", "set", "x", "=", "messages", "loop", ".", "[", "]", "(", ")", "'s'",
                                 "\"q", "|", "length", "is", "not", "defined", ",", ":", "1", "2.5", "~", "*", "/",
                                 "namespace", "macro", "endmacro", "raise_exception", "{", "}", "::-1", "%", "**"};
  std::mt19937 rng(7);
  const nlohmann::json context = {{"messages", {{{"role", "user"}, {"content", "hi"}}}}, {"x", 3}};
  int rendered = 0;
  for (int i = 0; i < 3000; ++i) {
    std::string source;
    const int n = std::uniform_int_distribution<int>(1, 25)(rng);
    for (int j = 0; j < n; ++j) source += pieces[std::uniform_int_distribution<int>(0, std::size(pieces) - 1)(rng)];
    try {
      render(source, context);
      ++rendered;
    } catch (const prism::Error&) {
    }
  }
  EXPECT_GT(rendered, 0);
}

}  // namespace
}  // namespace prism::tokenizer::jinja
