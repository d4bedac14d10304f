// The playground page: wires the parts together, asks for the API key when
// the server needs one, and switches between the chat and the decisions
// page (#/decisions).
import { Api } from './api.js';
import { Attachments } from './attachments.js';
import { Chat } from './chat.js';
import { ConversationList } from './conversation_list.js';
import { ConversationStore } from './conversation_store.js';
import { ChatView } from './chat_view.js';
import { renderDecision } from './decision_view.js';
import { DecisionsPage } from './decisions_page.js';
import { byId, h, replaceChildren } from './dom.js';
import { ModelPicker, isRouted } from './model_picker.js';
import { RequestOptions } from './request_options.js';
import * as settings from './settings.js';
import { VoiceView } from './voice_view.js';

const keyInput = byId('api-key');
const api = new Api(() => keyInput.value.trim());
const banner = byId('banner');
let serverSettings = { api_key_required: false, max_body_bytes: 0 };

function showBanner(text) {
  replaceChildren(banner, text ?? '');
  banner.hidden = !text;
}

const store = new ConversationStore();
const view = new ChatView({ container: byId('messages'), api, empty: byId('empty-chat') });
const attachments = new Attachments({
  list: byId('attachments'),
  maxBodyBytes: 0,
  onError: (text) => chat.showError(text),
});
const options = new RequestOptions(byId('options'));
const decisionsPage = new DecisionsPage(byId('decisions-page'), { api });
const picker = new ModelPicker(byId('model'), {
  onChange: (id) => {
    options.setRoutingEnabled(isRouted(id));
    byId('routing-hint').hidden = isRouted(id) || !id;
  },
});
const list = new ConversationList(byId('conversation-list'), {
  store,
  onOpen: (id) => openConversation(id),
  onDelete: (id) => chat.remove(id),
});
const chat = new Chat({
  api, store, view, list, attachments, options, picker,
  system: byId('system-prompt'),
  composer: { form: byId('composer'), message: byId('message'), send: byId('send'), stop: byId('stop'), error: byId('composer-error') },
  limits: () => ({ maxBodyBytes: serverSettings.max_body_bytes }),
});
new VoiceView({
  button: byId('talk'),
  panel: byId('voice-panel'),
  getOptions: () => ({ model: picker.value, apiKey: keyInput.value.trim(), instructions: byId('system-prompt').value.trim() }),
});

byId('system-prompt').addEventListener('change', (e) => chat.setSystemPrompt(e.target.value));
byId('new-chat').addEventListener('click', () => openConversation(null));

// A dry run explains a request of the conversation it was made in.
function openConversation(id) {
  byId('explanation').hidden = true;
  return chat.open(id);
}

// Attach: the picker, a drop on the chat, or a paste into the message box.
const fileInput = byId('file-input');
byId('attach').addEventListener('click', () => fileInput.click());
fileInput.addEventListener('change', () => { attachments.add([...fileInput.files]); fileInput.value = ''; });
const dropZone = byId('chat');
dropZone.addEventListener('dragover', (e) => {
  if (![...e.dataTransfer.types].includes('Files')) return;
  e.preventDefault();
  dropZone.classList.add('dropping');
});
dropZone.addEventListener('dragleave', (e) => { if (e.target === dropZone) dropZone.classList.remove('dropping'); });
dropZone.addEventListener('drop', (e) => {
  dropZone.classList.remove('dropping');
  if (!e.dataTransfer.files.length) return;
  e.preventDefault();
  attachments.add([...e.dataTransfer.files]);
});
byId('message').addEventListener('paste', (e) => {
  const files = [...e.clipboardData.files];
  if (!files.length) return;
  e.preventDefault();
  attachments.add(files);
});

byId('explain').addEventListener('click', async () => {
  const out = byId('explanation');
  out.hidden = false;
  replaceChildren(out, h('p', { class: 'muted' }, 'Asking the router…'));
  try {
    const record = await chat.explain();
    replaceChildren(out, h('h3', {}, 'Dry run: what Send would do'), renderDecision(record));
  } catch (e) {
    replaceChildren(out, h('p', { class: 'notice error', role: 'alert' },
      `Explain failed${e.status ? ` (${e.status})` : ''}: ${e.message}`));
  }
});

// The API key stays in this browser (localStorage), never in a URL.
keyInput.value = settings.load('apiKey', '');
byId('key-form').addEventListener('submit', (e) => {
  e.preventDefault();
  settings.save('apiKey', keyInput.value.trim() || null);
  loadModels();
});
byId('forget-key').addEventListener('click', () => {
  keyInput.value = '';
  settings.save('apiKey', null);
  loadModels();
});

async function loadModels() {
  if (serverSettings.api_key_required && !keyInput.value.trim()) {
    picker.clear('enter the API key first');
    showBanner('This server needs an API key: enter it above. It is kept in this browser only.');
    keyInput.focus();
    return;
  }
  try {
    const { data } = await api.models();
    picker.fill(data);
    decisionsPage.setModels(data);
    showBanner(null);
  } catch (e) {
    picker.clear('no models');
    showBanner(e.status === 401 ? `The API key was refused: ${e.message}` : `Could not list the models: ${e.message}`);
  }
}

function route() {
  const decisions = location.hash === '#/decisions';
  byId('chat-page').hidden = decisions;
  byId('decisions-page').hidden = !decisions;
  for (const [id, current] of [['nav-chat', !decisions], ['nav-decisions', decisions]]) {
    if (current) byId(id).setAttribute('aria-current', 'page');
    else byId(id).removeAttribute('aria-current');
  }
  if (decisions) decisionsPage.load();
}
window.addEventListener('hashchange', route);

async function boot() {
  try {
    serverSettings = await api.playgroundSettings();
  } catch (e) {
    showBanner(`The server's settings could not be read: ${e.message}`);
  }
  attachments.maxBodyBytes = serverSettings.max_body_bytes;
  byId('key-form').hidden = !serverSettings.api_key_required;
  await list.refresh();
  const [latest] = await store.list();
  await chat.open(latest?.id ?? null);
  await loadModels();
  route();
  document.body.dataset.ready = 'true';
}

boot();
