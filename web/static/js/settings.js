// What the page remembers in this browser (localStorage): the API key,
// the chosen model and the request options. Nothing leaves the browser
// except in the requests the user makes.
const PREFIX = 'prism.playground.';

export function load(name, fallback) {
  try {
    const text = localStorage.getItem(PREFIX + name);
    return text === null ? fallback : JSON.parse(text);
  } catch {
    return fallback;
  }
}

export function save(name, value) {
  try {
    if (value === undefined || value === null) localStorage.removeItem(PREFIX + name);
    else localStorage.setItem(PREFIX + name, JSON.stringify(value));
  } catch {
    // Storage full or disabled: the setting lasts until the page closes.
  }
}
