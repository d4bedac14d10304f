#!/usr/bin/env bash
# Refreshes static/vendor/ from the npm packages pinned in package.json (and
# package-lock.json): the built files the playground imports, without their
# source-map comments (the maps are not shipped), and LICENSES.md with each
# package's version and licence text. To update a library: change its
# version in package.json, run `npm install` here, then this script, and
# commit package*.json with static/vendor/.
set -euo pipefail
cd "$(dirname "$0")"
npm ci --no-audit --no-fund --loglevel=error

out=static/vendor
mkdir -p "$out"
copy() {  # package-relative source, name in static/vendor
  sed '/^\/\/# sourceMappingURL=/d; /^\/\*# sourceMappingURL=.*\*\/$/d' "node_modules/$1" > "$out/$2"
}
copy marked/lib/marked.esm.js marked.esm.js
copy dompurify/dist/purify.es.mjs purify.es.mjs
copy @highlightjs/cdn-assets/es/highlight.min.js highlight.min.js
copy @highlightjs/cdn-assets/styles/github.min.css highlight-github.min.css
copy @highlightjs/cdn-assets/styles/github-dark.min.css highlight-github-dark.min.css

node --input-type=module - "$out/LICENSES.md" <<'JS'
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
const packages = [
  ['marked', ['LICENSE'], 'marked.esm.js'],
  ['dompurify', ['LICENSE', 'LICENSE-MPL'], 'purify.es.mjs'],
  ['@highlightjs/cdn-assets', ['LICENSE'], 'highlight.min.js, highlight-github.min.css, highlight-github-dark.min.css'],
];
let text = '# Third-party files in this folder\n\n' +
  'Copied from the npm packages pinned in web/package-lock.json by web/vendor.sh; do not edit by hand.\n';
for (const [name, licenceFiles, files] of packages) {
  const meta = JSON.parse(readFileSync(`node_modules/${name}/package.json`, 'utf8'));
  const homepage = meta.homepage || meta.repository?.url || '';
  text += `\n## ${name} ${meta.version}\n\nFiles: ${files}. Licence: ${meta.license}. ${homepage}\n`;
  for (const file of licenceFiles) {
    if (!existsSync(`node_modules/${name}/${file}`)) throw new Error(`${name}: no ${file}`);
    text += `\n${file}:\n\n` + '```\n' + readFileSync(`node_modules/${name}/${file}`, 'utf8').trim() + '\n```\n';
  }
}
writeFileSync(process.argv[2], text);
JS
echo "vendored into web/$out:"
ls -l "$out"
