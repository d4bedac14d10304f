#!/usr/bin/env python3
"""Writes jinja_conformance.json: templates and contexts rendered by the real
Jinja2 in the environment transformers uses for chat templates
(ImmutableSandboxedEnvironment, trim_blocks, lstrip_blocks, loopcontrols,
tojson = json.dumps(ensure_ascii=False), raise_exception). The C++ engine
must produce the same strings (or fail where Jinja2 fails).

Run: python3 make_jinja_conformance.py > ../jinja_conformance.json
(generated with Jinja2 3.1.6, Python 3.11)."""
import json
import random
import sys

import jinja2
from jinja2.exceptions import TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment


def make_env():
    def raise_exception(message):
        raise TemplateError(message)

    def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
        return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)

    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=["jinja2.ext.loopcontrols"])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    return env


ENV = make_env()

CONVERSATION = [
    {"role": "system", "content": "  You are terse.  "},
    {"role": "user", "content": "Hi there! What's 2+2?"},
    {"role": "assistant", "content": "4."},
    {"role": "user", "content": "And héllo in 東京 🙂?"},
]
NO_SYSTEM = CONVERSATION[1:]
TOOLS = [{"type": "function", "function": {"name": "get_weather", "description": "Weather for a city",
                                           "parameters": {"type": "object", "properties": {"city": {"type": "string"}},
                                                          "required": ["city"]}}}]
TOOL_CONVERSATION = [
    {"role": "user", "content": "Weather in Paris?"},
    {"role": "assistant", "content": None,
     "tool_calls": [{"type": "function", "function": {"name": "get_weather", "arguments": {"city": "Paris"}}}]},
    {"role": "tool", "content": "{\"temp\": 21.5}"},
    {"role": "assistant", "content": "It is 21.5 degrees."},
]
MULTIMODAL = [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": "What is this?"}]},
              {"role": "assistant", "content": [{"type": "text", "text": "A cat."}]},
              {"role": "user", "content": [{"type": "text", "text": "Sure?"}, {"type": "image"}, {"type": "image"}]}]

# Chat templates written after the ones real checkpoints ship.
TEMPLATES = {
    "smolvlm2": "<|im_start|>{% for message in messages %}{{message['role'] | capitalize}}{% if message['content'][0]['type'] == 'image' %}{{':'}}{% else %}{{': '}}{% endif %}{% for line in message['content'] %}{% if line['type'] == 'text' %}{{line['text']}}{% elif line['type'] == 'image' %}{{ '<image>' }}{% endif %}{% endfor %}<end_of_utterance>\n{% endfor %}{% if add_generation_prompt %}{{ 'Assistant:' }}{% endif %}",
    "smollm2": "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n' }}{% endif %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}",
    "zephyr": "{% for message in messages %}\n{% if message['role'] == 'user' %}\n{{ '<|user|>\n' + message['content'] + eos_token }}\n{% elif message['role'] == 'system' %}\n{{ '<|system|>\n' + message['content'] + eos_token }}\n{% elif message['role'] == 'assistant' %}\n{{ '<|assistant|>\n'  + message['content'] + eos_token }}\n{% endif %}\n{% if loop.last and add_generation_prompt %}\n{{ '<|assistant|>' }}\n{% endif %}\n{% endfor %}",
    "gemma": "{{ bos_token }}{% if messages[0]['role'] == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% if (message['role'] == 'assistant') %}{% set role = 'model' %}{% else %}{% set role = message['role'] %}{% endif %}{{ '<start_of_turn>' + role + '\n' + message['content'] | trim + '<end_of_turn>\n' }}{% endfor %}{% if add_generation_prompt %}{{'<start_of_turn>model\n'}}{% endif %}",
    "llama2": "{% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}{% set system_message = messages[0]['content'] %}{% else %}{% set loop_messages = messages %}{% set system_message = false %}{% endif %}{% for message in loop_messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% if loop.index0 == 0 and system_message != false %}{% set content = '<<SYS>>\\n' + system_message + '\\n<</SYS>>\\n\\n' + message['content'] %}{% else %}{% set content = message['content'] %}{% endif %}{% if message['role'] == 'user' %}{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}{% elif message['role'] == 'assistant' %}{{ ' '  + content.strip() + ' ' + eos_token }}{% endif %}{% endfor %}",
    "phi3": "{% for message in messages %}{% if message['role'] == 'system' %}{{'<|system|>\n' + message['content'] + '<|end|>\n'}}{% elif message['role'] == 'user' %}{{'<|user|>\n' + message['content'] + '<|end|>\n'}}{% elif message['role'] == 'assistant' %}{{'<|assistant|>\n' + message['content'] + '<|end|>\n'}}{% endif %}{% endfor %}{% if add_generation_prompt %}{{ '<|assistant|>\n' }}{% else %}{{ eos_token }}{% endif %}",
    "llama3": """{{- bos_token }}
{%- if messages[0]['role'] == 'system' %}
    {%- set system_message = messages[0]['content']|trim %}
    {%- set messages = messages[1:] %}
{%- else %}
    {%- set system_message = "" %}
{%- endif %}

{#- System message #}
{{- "<|start_header_id|>system<|end_header_id|>\\n\\n" }}
{%- if tools is not none %}
    {{- "Environment: ipython\\n" }}
{%- endif %}
{{- "Cutting Knowledge Date: December 2023\\n\\n" }}
{%- if tools is not none %}
    {{- "You have access to the following functions.\\n\\n" }}
    {%- for t in tools %}
        {{- t | tojson(indent=4) }}
        {{- "\\n\\n" }}
    {%- endfor %}
{%- endif %}
{{- system_message }}
{{- "<|eot_id|>" }}

{%- for message in messages %}
    {%- if not (message.role == 'ipython' or message.role == 'tool' or 'tool_calls' in message) %}
        {{- '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'+ message['content'] | trim + '<|eot_id|>' }}
    {%- elif 'tool_calls' in message %}
        {%- if not message.tool_calls|length == 1 %}
            {{- raise_exception("This model only supports single tool-calls at once!") }}
        {%- endif %}
        {%- set tool_call = message.tool_calls[0].function %}
        {{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' -}}
        {{- '{"name": "' + tool_call.name + '", ' }}
        {{- '"parameters": ' }}
        {{- tool_call.arguments | tojson }}
        {{- "}" }}
        {{- "<|eot_id|>" }}
    {%- elif message.role == "tool" or message.role == "ipython" %}
        {{- "<|start_header_id|>ipython<|end_header_id|>\\n\\n" }}
        {%- if message.content is mapping or message.content is iterable %}
            {{- message.content | tojson }}
        {%- else %}
            {{- message.content }}
        {%- endif %}
        {{- "<|eot_id|>" }}
    {%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}
    {{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}
{%- endif %}
""",
    "qwen25": """{%- if tools %}
    {{- '<|im_start|>system\\n' }}
    {%- if messages[0]['role'] == 'system' %}
        {{- messages[0]['content'] }}
    {%- else %}
        {{- 'You are Qwen, created by Alibaba Cloud. You are a helpful assistant.' }}
    {%- endif %}
    {{- "\\n\\n# Tools\\n\\nYou may call one or more functions to assist with the user query.\\n\\nYou are provided with function signatures within <tools></tools> XML tags:\\n<tools>" }}
    {%- for tool in tools %}
        {{- "\\n" }}
        {{- tool | tojson }}
    {%- endfor %}
    {{- "\\n</tools>\\n\\nFor each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\\n<tool_call>\\n{\\"name\\": <function-name>, \\"arguments\\": <args-json-object>}\\n</tool_call><|im_end|>\\n" }}
{%- else %}
    {%- if messages[0]['role'] == 'system' %}
        {{- '<|im_start|>system\\n' + messages[0]['content'] + '<|im_end|>\\n' }}
    {%- else %}
        {{- '<|im_start|>system\\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\\n' }}
    {%- endif %}
{%- endif %}
{%- for message in messages %}
    {%- if (message.role == "user") or (message.role == "system" and not loop.first) or (message.role == "assistant" and not message.tool_calls) %}
        {{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>' + '\\n' }}
    {%- elif message.role == "assistant" %}
        {{- '<|im_start|>' + message.role }}
        {%- if message.content %}
            {{- '\\n' + message.content }}
        {%- endif %}
        {%- for tool_call in message.tool_calls %}
            {%- if tool_call.function is defined %}
                {%- set tool_call = tool_call.function %}
            {%- endif %}
            {{- '\\n<tool_call>\\n{"name": "' }}
            {{- tool_call.name }}
            {{- '", "arguments": ' }}
            {{- tool_call.arguments | tojson }}
            {{- '}\\n</tool_call>' }}
        {%- endfor %}
        {{- '<|im_end|>\\n' }}
    {%- elif message.role == "tool" %}
        {%- if (loop.index0 == 0) or (messages[loop.index0 - 1].role != "tool") %}
            {{- '<|im_start|>user' }}
        {%- endif %}
        {{- '\\n<tool_response>\\n' }}
        {{- message.content }}
        {{- '\\n</tool_response>' }}
        {%- if loop.last or (messages[loop.index0 + 1].role != "tool") %}
            {{- '<|im_end|>\\n' }}
        {%- endif %}
    {%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}
    {{- '<|im_start|>assistant\\n' }}
{%- endif %}
""",
    "qwen2vl": """{% set image_count = namespace(value=0) %}{% set video_count = namespace(value=0) %}{% for message in messages %}{% if loop.first and message['role'] != 'system' %}<|im_start|>system
You are a helpful assistant.<|im_end|>
{% endif %}<|im_start|>{{ message['role'] }}
{% if message['content'] is string %}{{ message['content'] }}<|im_end|>
{% else %}{% for content in message['content'] %}{% if content['type'] == 'image' or 'image' in content or 'image_url' in content %}{% set image_count.value = image_count.value + 1 %}{% if add_vision_id %}Picture {{ image_count.value }}: {% endif %}<|vision_start|><|image_pad|><|vision_end|>{% elif content['type'] == 'video' or 'video' in content %}{% set video_count.value = video_count.value + 1 %}{% if add_vision_id %}Video {{ video_count.value }}: {% endif %}<|vision_start|><|video_pad|><|vision_end|>{% elif 'text' in content %}{{ content['text'] }}{% endif %}{% endfor %}<|im_end|>
{% endif %}{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant
{% endif %}""",
    "deepseek_like": """{% if not add_generation_prompt is defined %}{% set add_generation_prompt = false %}{% endif %}{% set ns = namespace(is_first=false, is_tool=false, system_prompt='') %}{%- for message in messages %}{%- if message['role'] == 'system' %}{% set ns.system_prompt = message['content'] %}{%- endif %}{%- endfor %}{{ bos_token }}{{ ns.system_prompt }}{%- for message in messages %}{%- if message['role'] == 'user' %}{%- set ns.is_tool = false -%}{{'<｜User｜>' + message['content']}}{%- endif %}{%- if message['role'] == 'assistant' and message['content'] is not none %}{% set content = message['content'] %}{% if '</think>' in content %}{% set content = content.split('</think>')[-1] %}{% endif %}{{'<｜Assistant｜>' + content + '<｜end▁of▁sentence｜>'}}{%- endif %}{%- endfor -%}{% if add_generation_prompt %}{{'<｜Assistant｜><think>\\n'}}{% endif %}""",
    "macro_and_filters": """{%- macro render_content(content) -%}
  {%- if content is string -%}
    {{ content | trim }}
  {%- else -%}
    {%- for part in content if part.type == 'text' -%}
      {{ part.text }}{{ ' ' if not loop.last }}
    {%- endfor -%}
  {%- endif -%}
{%- endmacro -%}
{% for m in messages %}
  [{{ loop.index }}/{{ loop.length }}] {{ m.role | upper }}: {{ render_content(m.content) }}
{% endfor %}
roles={{ messages | map(attribute='role') | unique | join(',') }}
users={{ messages | selectattr('role', 'equalto', 'user') | list | length }}
last={{ (messages | last).role }} first={{ (messages | first)['role'] | title }}
""",
}

CONTEXTS = {
    "conversation": {"messages": CONVERSATION},
    "no_system": {"messages": NO_SYSTEM},
    "multimodal": {"messages": MULTIMODAL},
    "tools": {"messages": TOOL_CONVERSATION, "tools": TOOLS},
    "tool_conversation_no_tools": {"messages": TOOL_CONVERSATION},
}

PAIRS = [
    ("smolvlm2", "multimodal"), ("smollm2", "conversation"), ("smollm2", "no_system"), ("zephyr", "conversation"),
    ("gemma", "no_system"), ("gemma", "conversation"), ("llama2", "conversation"), ("llama2", "no_system"),
    ("phi3", "conversation"), ("llama3", "conversation"), ("llama3", "tools"), ("qwen25", "conversation"),
    ("qwen25", "tools"), ("qwen25", "no_system"), ("qwen2vl", "multimodal"), ("qwen2vl", "conversation"),
    ("deepseek_like", "conversation"), ("macro_and_filters", "conversation"), ("macro_and_filters", "multimodal"),
]

# Expressions checked one by one (each rendered as "{{ expr }}").
EXPRESSIONS = [
    "1 + 2 * 3 - 4 / 8", "7 // -2", "-7 % 3", "2 ** 0.5", "10 / 3", "1e300 * 10", "0.1 * 3", "1/3", "100.0", "1.5e-7",
    "123456789.0 * 1000000000", "[1, 2.0, 'x', none, true, {'k': [false]}]", "'it\\'s' ~ \"q\\\"\"",
    "['it\\'s', 'a\"b', 'both\\'\"', 'tab\\there', 'nl\\n']", "{'a': 1, 'b': 'two'}", "(1, 2)",
    "'abc'[::-1]", "'héllo wörld'[1:8:2]", "[1,2,3,4,5][-3:]", "[1,2,3,4,5][:-10]", "[1,2,3,4,5][3:1:-1]",
    "'a b  c'.split()", "'a,b,,c'.split(',', 2)", "'  x  '.lstrip() ~ '|'", "'xxhixx'.strip('x')",
    "'Hello World'.lower().upper()", "'hello wORLD foo-bar'.title()", "'hello wORLD foo-bar' | title",
    "'hello' | capitalize", "'ÉCOLE' | lower", "'a-b' | replace('-', '')", "'aaa' | replace('a', 'b', 2)",
    "[3, 1, 2] | sort | join(',')", "['b', 'A', 'c'] | sort | join", "[1, 2] | first", "'' | first is defined",
    "{'b': 1, 'a': 2} | items | list", "{'b': 1, 'a': 2} | dictsort", "[1, 2, 3] | select('odd') | list",
    "[1, 2, 3] | reject('odd') | list", "range(3) | list", "range(1, 10, 3) | list", "[] | length",
    "none | default('d')", "undefined_name | default('d')", "0 | default('d', true)", "'x' | int", "'42' | int + 1",
    "'3.5' | float", "-3 | abs", "[1, [2, 3]] | tojson", "{'z': 1, 'a': [1, {'b': none}]} | tojson(indent=2)",
    "'ünï \"q\" \\n\\t\\u0001' | tojson", "3.0 | tojson", "1e20 | tojson", "'x' is string", "1 is number",
    "none is none", "[1] is iterable", "{} is mapping", "3 is odd", "4 is divisibleby(2)", "'a' is lower",
    "'a' in ['a']", "'b' not in 'abc'", "1 == 1.0", "'1' == 1", "[1, 2] == [1, 2]", "[1, 2] < [1, 3]",
    "true and 'x'", "false or none", "not none", "'y' if 0 else 'n'", "none ~ ''", "true ~ false",
    "'a'.startswith(('b', 'a'))", "'abc'.endswith('bc')", "'x'.join(['1', '2'])", "'hello'.find('l')",
    "'a\\nb\\n' | indent(2)", "'a\\n\\nb' | indent(2, true)", "[1, 2, 3][1]", "{'a': {'b': 2}}['a'].b",
    "{'items': 1}['items']", "namespace(a=1).a", "loop is defined", "'%d items'|length",
]

# Whitespace-control and scoping snippets.
SNIPPETS = [
    "a\n{% if true %}\n  b\n{% endif %}\nc\n",
    "  {% for i in [1, 2] %}\n    {{ i }}\n  {% endfor %}\n",
    "{%- for i in [1, 2] -%}\n  {{ i }}\n{%- endfor -%}\n",
    "x  {#- c #}  y {# d -#}   z",
    "{% raw %}  {{ raw }} {% endraw %}",
    "{% set x = 1 %}{% for i in [1] %}{% set x = 2 %}{% endfor %}{{ x }}",
    "{% set ns = namespace(v=[]) %}{% for i in [1, 2] %}{% set ns.v = ns.v + [i] %}{% endfor %}{{ ns.v }}",
    "{% for a, b in [[1, 2], [3, 4]] %}{{ a }}{{ b }}{% if not loop.last %}-{% endif %}{% endfor %}",
    "{% for i in range(5) %}{% if i == 1 %}{% continue %}{% elif i == 3 %}{% break %}{% endif %}{{ i }}{% else %}never{% endfor %}",
    "{% for i in [] %}x{% else %}empty{% endfor %}",
    "{% macro m(a, b=2) %}{{ a }}+{{ b }}{% endmacro %}{{ m(1) }} {{ m(1, b=3) }} {{ m(b=5, a=4) }}",
    "{% set t %}\n  block {{ 1 }}\n{% endset %}[{{ t }}]",
    "{% if messages %}\n{% for m in messages %}\n{{ m.role }}\n{% endfor %}\n{% endif %}\n",
    "\t{% if true %}tab{% endif %}\n  {%+ if true %}plus{% endif %}",
    "{{ 'a' }}  \n  {{ 'b' }}\n\n",
    "{% for m in messages %}{{ loop.index0 }}{{ loop.revindex0 }}{{ loop.previtem.role if loop.previtem is defined }}{% endfor %}",
    "{{ messages[0].content }}|{{ messages[1]['content'] }}|{{ messages | length }}",
    "{% set a, b = 1, 2 %}{{ a }}{{ b }}",
    "{{ raise_exception('boom') }}",
    "{{ undefined_thing.attr }}",
    "{{ 1 + 'a' }}",
    "{% if %}",
]


def render(source, context):
    try:
        return {"output": ENV.from_string(source).render(**context)}
    except Exception as e:  # Jinja2 refuses: the C++ engine must refuse too
        return {"error": type(e).__name__ + ": " + str(e)}


def random_whitespace_template(rng, depth=0):
    texts = ["", "a", " ", "  ", "\n", "\t", " \n ", "b\n", "\n\n", "  c  "]
    out = []
    for _ in range(rng.randint(1, 4)):
        out.append(rng.choice(texts))
        kind = rng.randint(0, 5 if depth < 2 else 2)
        m1 = rng.choice(["", "-", "+"])
        m2 = rng.choice(["", "-", "+"])
        if kind == 0:
            out.append("{{%s 'v' %s}}" % (rng.choice(["", "-"]), rng.choice(["", "-"])))
        elif kind == 1:
            out.append("{#%s note %s#}" % (m1, m2))
        elif kind == 2:
            out.append(rng.choice(texts))
        elif kind == 3:
            out.append("{%%%s if true %s%%}" % (m1, m2))
            out.append(random_whitespace_template(rng, depth + 1))
            out.append("{%%%s endif %s%%}" % (rng.choice(["", "-", "+"]), rng.choice(["", "-", "+"])))
        else:
            out.append("{%%%s for i in [1, 2] %s%%}" % (m1, m2))
            out.append(random_whitespace_template(rng, depth + 1))
            out.append("{%%%s endfor %s%%}" % (rng.choice(["", "-", "+"]), rng.choice(["", "-", "+"])))
        out.append(rng.choice(texts))
    return "".join(out)


EXPR_CONTEXT = {"s": "Hello World", "n": 7, "f": 2.5, "l": [1, 2, 3], "d": {"a": 1, "b": [2, 3]}, "e": "",
                "z": None, "u": "héllo wörld"}


def random_expression(rng, depth=0):
    """A random expression over EXPR_CONTEXT exercising precedence, types and errors."""
    atoms = ["s", "n", "f", "l", "d", "e", "z", "u", "missing", "1", "0", "-3", "2.0", "0.5", "'a'", "'héllo'", "''",
             "none", "true", "false", "[1, 'x']", "{'k': 'v'}", "(1, 2)"]
    if depth > 2 or rng.random() < 0.3:
        return rng.choice(atoms)
    kind = rng.randrange(7)
    a = random_expression(rng, depth + 1)
    if kind == 0:
        op = rng.choice(["+", "-", "*", "/", "//", "%", "~", "==", "!=", "<", ">", "<=", ">=", "and", "or", "in",
                         "not in"])
        return f"({a} {op} {random_expression(rng, depth + 1)})"
    if kind == 1:
        return rng.choice(["not ", "-"]) + a
    if kind == 2:
        flt = rng.choice(["length", "upper", "lower", "first", "last", "string", "list", "join(',')", "default('x')",
                          "trim", "capitalize", "reverse", "int", "abs", "tojson", "sort", "title",
                          "replace('l', 'L')", "count", "float"])
        return f"({a} | {flt})"
    if kind == 3:
        test = rng.choice(["defined", "undefined", "none", "string", "number", "mapping", "iterable", "odd", "even",
                           "divisibleby(2)", "equalto(1)", "sequence", "integer", "float", "boolean", "lower"])
        return f"({a} is {rng.choice(['', 'not '])}{test})"
    if kind == 4:
        # Subscripts apply to variables: Jinja2 folds constant subscripts at
        # compile time with different error behaviour than at run time.
        base = rng.choice(["s", "n", "f", "l", "d", "e", "z", "u", "missing"])
        return base + rng.choice(["[0]", "[-1]", "[1:]", "[::-1]", "['a']", ".a", "[:2]"])
    if kind == 5:
        return f"({a} if {random_expression(rng, depth + 1)} else {random_expression(rng, depth + 1)})"
    method = rng.choice([".upper()", ".split()", ".strip()", ".startswith('H')", ".lower()", ".get('a')"])
    return f"({a}){method}"


def random_statements(rng, depth=0, in_loop=False):
    """Random statement sequences over a chat context: if/elif/else, for with
    loop variables, filters and else, set, namespace attributes, macros."""
    out = []
    for _ in range(rng.randint(1, 4)):
        ws = rng.choice(["", "\n", "  ", "\n  ", " "])
        m = lambda: rng.choice(["", "-"])
        kind = rng.randrange(9 if depth < 2 else 4)
        if kind == 0:
            out.append(ws + rng.choice(["x", "<|im_start|>", "{{ '\\n' }}", "."]))
        elif kind == 1:
            expr = rng.choice(["m.role", "m['content'] | trim", "loop.index if loop is defined", "ns.count", "x",
                               "messages | length", "ns.last_user", "(m.content | length) if m is defined",
                               "messages[ns.count % 3].role", "'%d' | length"])
            out.append(ws + "{{%s %s %s}}" % (m(), expr, m()))
        elif kind == 2:
            out.append(ws + "{%%%s set x = %s %s%%}" % (m(), rng.choice(["1", "x ~ 'y'", "m.role if m is defined",
                                                                           "ns.count + 1", "messages[-1].content"]), m()))
        elif kind == 3:
            out.append(ws + "{%%%s set ns.count = ns.count + %s %s%%}" % (m(), rng.choice(["1", "2", "loop.index if loop is defined else 0"]), m()))
        elif kind in (4, 5):
            cond = rng.choice(["m.role == 'user'", "loop.first", "not loop.last", "ns.count > 1", "x is defined",
                               "m is defined and m.content is string", "messages[0].role == 'system'", "true"])
            out.append(ws + "{%%%s if %s %s%%}" % (m(), cond, m()))
            out.append(random_statements(rng, depth + 1, in_loop))
            if rng.random() < 0.4:
                out.append("{%%%s elif %s %s%%}" % (m(), rng.choice(["x is defined", "ns.count is odd", "false"]), m()))
                out.append(random_statements(rng, depth + 1, in_loop))
            if rng.random() < 0.4:
                out.append("{%%%s else %s%%}" % (m(), m()))
                out.append(random_statements(rng, depth + 1, in_loop))
            out.append("{%%%s endif %s%%}" % (m(), m()))
        elif kind in (6, 7):
            target = rng.choice(["messages", "messages[1:]", "messages | selectattr('role', 'equalto', 'user')",
                                 "(messages if ns.count else [])", "[]"])
            flt = rng.choice(["", "", " if m.role != 'system'"])
            out.append(ws + "{%%%s for m in %s%s %s%%}" % (m(), target, flt, m()))
            out.append(random_statements(rng, depth + 1, True))
            if rng.random() < 0.3:
                out.append("{%% if m.role == 'assistant' %%}{%% set ns.last_user = m.content %%}{%% %s %%}{%% endif %%}"
                           % rng.choice(["break", "continue"]))
            if rng.random() < 0.3:
                out.append("{% else %}none{% set ns.count = ns.count + 10 %}")
            out.append("{%%%s endfor %s%%}" % (m(), m()))
        else:
            out.append(ws + "{%% macro show(v, sep='|') %%}{{ v }}{{ sep }}{{ x | default('-') }}{%% endmacro %%}"
                       "{{ show(%s) }}" % rng.choice(["1", "messages | length", "x", "ns.count, sep=':'"]))
    return "".join(out)


def main():
    cases = []
    for template, context in PAIRS:
        for agp in (False, True):
            ctx = dict(CONTEXTS[context], add_generation_prompt=agp, bos_token="<s>", eos_token="</s>")
            ctx.setdefault("tools", None)
            cases.append(dict(name=f"{template}/{context}/agp={agp}", template=TEMPLATES[template], context=ctx,
                              **render(TEMPLATES[template], ctx)))
    base = {"messages": CONVERSATION}
    for i, expr in enumerate(EXPRESSIONS):
        source = "{{ " + expr + " }}"
        cases.append(dict(name=f"expr/{i}", template=source, context=base, **render(source, base)))
    for i, snippet in enumerate(SNIPPETS):
        cases.append(dict(name=f"snippet/{i}", template=snippet, context=base, **render(snippet, base)))
    rng = random.Random(7)
    for i in range(600):
        source = "{{ " + random_expression(rng) + " }}"
        result = render(source, EXPR_CONTEXT)
        # Jinja2's lazy filters (map, select, unique) print as generator
        # objects with memory addresses and fail late: not comparable. Known
        # remaining differences (seen over 4500 random expressions): printf-style
        # "%" string formatting is not supported; "[1] in {...}" is False
        # rather than a TypeError.
        printed = result.get("output", "") + result.get("error", "")
        if "generator" in printed or " object at 0x" in printed:
            continue
        cases.append(dict(name=f"random_expr/{i}", template=source, context=EXPR_CONTEXT, **result))
    rng = random.Random(11)
    chat = {"messages": CONVERSATION}
    for i in range(300):
        source = "{% set ns = namespace(count=0, last_user='') %}" + random_statements(rng) + "\n"
        result = render(source, chat)
        printed = result.get("output", "") + result.get("error", "")
        if "generator" in printed or " object at 0x" in printed:
            continue
        cases.append(dict(name=f"random_template/{i}", template=source, context=chat, **result))
    rng = random.Random(2024)
    for i in range(400):
        source = random_whitespace_template(rng)
        cases.append(dict(name=f"whitespace/{i}", template=source, context={}, **render(source, {})))
    json.dump({"generator": "tests/tokenizer/tools/make_jinja_conformance.py", "jinja2": jinja2.__version__,
               "cases": cases}, sys.stdout, ensure_ascii=False, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
