// Answers as Markdown: parsed by marked, sanitized by DOMPurify (a model's
// output is untrusted HTML), code blocks highlighted by highlight.js.
import { Marked } from '../vendor/marked.esm.js';
import DOMPurify from '../vendor/purify.es.mjs';
import hljs from '../vendor/highlight.min.js';
import { h } from './dom.js';

const marked = new Marked({ gfm: true, breaks: false });
hljs.configure({ ignoreUnescapedHTML: true });

// Links open elsewhere; images only from data: URLs (the page's CSP allows
// nothing else, and a model must not make the browser fetch addresses).
DOMPurify.addHook('afterSanitizeAttributes', (node) => {
  if (node.tagName === 'A' && node.hasAttribute('href')) {
    node.setAttribute('target', '_blank');
    node.setAttribute('rel', 'noopener noreferrer');
  }
  if (node.tagName === 'IMG' && !/^data:image\//i.test(node.getAttribute('src') || '')) node.remove();
});

const PURIFY = {
  USE_PROFILES: { html: true },
  FORBID_TAGS: ['style', 'form', 'input', 'button', 'textarea', 'select', 'iframe'],
  FORBID_ATTR: ['style'],  // the CSP forbids inline styles anyway
};

// Renders `text` into `el` (replacing what it held).
export function renderMarkdown(el, text) {
  el.innerHTML = DOMPurify.sanitize(marked.parse(text), PURIFY);
  for (const code of el.querySelectorAll('pre > code')) decorateCode(code);
}

function decorateCode(code) {
  const language = /language-([\w+#-]+)/.exec(code.className)?.[1];
  if (language && hljs.getLanguage(language)) hljs.highlightElement(code);
  else code.classList.add('hljs');
  const pre = code.parentElement;
  if (navigator.clipboard) {
    const copy = h('button', { type: 'button', class: 'copy-code', 'aria-label': 'Copy code' }, 'Copy');
    copy.addEventListener('click', async () => {
      try {
        await navigator.clipboard.writeText(code.textContent);
        copy.textContent = 'Copied';
      } catch {
        copy.textContent = 'Copy failed';
      }
      setTimeout(() => { copy.textContent = 'Copy'; }, 1500);
    });
    pre.prepend(copy);
  }
  if (language) pre.dataset.language = language;
}
