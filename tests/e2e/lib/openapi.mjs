// Validates prism's responses against OpenAI's published OpenAPI spec
// (tests/fixtures/openai-openapi/openapi.yaml, a copy of ../shared). The
// spec is OpenAPI 3.1 with some 3.0 habits; they are converted to plain JSON
// Schema first (see that folder's README): `nullable`, boolean
// `exclusiveMinimum`, `$recursiveRef`, `discriminator`, `x-*` annotations.
import Ajv2020 from 'ajv/dist/2020.js';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { repoRoot } from './prism.mjs';

function convert(node) {
  if (Array.isArray(node)) return node.map(convert);
  if (!node || typeof node !== 'object') return node;
  const out = {};
  for (const [k, v] of Object.entries(node)) {
    if (k.startsWith('x-') || k === 'discriminator' || k === 'example' || k === 'examples') continue;
    if (k === '$recursiveRef') continue;
    out[k] = convert(v);
  }
  if (typeof out.exclusiveMinimum === 'boolean') {
    if (out.exclusiveMinimum && out.minimum !== undefined) { out.exclusiveMinimum = out.minimum; delete out.minimum; } else delete out.exclusiveMinimum;
  }
  if (typeof out.exclusiveMaximum === 'boolean') {
    if (out.exclusiveMaximum && out.maximum !== undefined) { out.exclusiveMaximum = out.maximum; delete out.maximum; } else delete out.exclusiveMaximum;
  }
  if (out.nullable === true) {
    delete out.nullable;
    return { anyOf: [out, { type: 'null' }] };
  }
  delete out.nullable;
  return out;
}

let ajv = null;
function load() {
  if (ajv) return ajv;
  const file = path.join(repoRoot, 'tests', 'fixtures', 'openai-openapi', 'openapi.yaml');
  const spec = YAML.parse(readFileSync(file, 'utf8'), { maxAliasCount: -1 });
  ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
  ajv.addSchema({ $id: 'openai', components: { schemas: convert(spec.components.schemas) } });
  return ajv;
}

// Throws with the validator's errors when `value` does not match the named schema.
export function assertMatchesSchema(schemaName, value) {
  const validate = load().getSchema(`openai#/components/schemas/${schemaName}`);
  if (!validate) throw new Error(`no schema ${schemaName} in the OpenAPI spec`);
  if (!validate(value)) {
    throw new Error(`${schemaName} validation failed:\n${JSON.stringify(validate.errors.slice(0, 8), null, 1)}\nvalue: ${JSON.stringify(value).slice(0, 800)}`);
  }
}
