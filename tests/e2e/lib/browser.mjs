// Debian's Chromium, headless, driven by puppeteer-core (no browser
// download): a fake microphone fed from a WAV file, every console message
// and page error recorded, and screenshots saved next to the build that
// is tested (build/playground-screenshots/, not committed).
import { mkdirSync, existsSync } from 'node:fs';
import path from 'node:path';
import puppeteer from 'puppeteer-core';
import { prismBin } from './prism.mjs';

export const chromiumPath = process.env.PRISM_CHROMIUM || '/usr/bin/chromium';
export const screenshotDir = process.env.PRISM_SCREENSHOTS ||
  path.join(path.dirname(prismBin), '..', '..', 'playground-screenshots');

// `microphoneWav`: what the fake microphone says (looped by Chromium).
export async function launchBrowser({ microphoneWav = null } = {}) {
  if (!existsSync(chromiumPath))
    throw new Error(`no browser at ${chromiumPath}: install Debian's chromium (scripts/install-deps.sh) or set PRISM_CHROMIUM`);
  const args = [
    '--use-fake-ui-for-media-stream',         // grant the microphone without asking
    '--use-fake-device-for-media-stream',
    '--disable-gpu',
    '--disable-dev-shm-usage',
    ...(microphoneWav ? [`--use-file-for-fake-audio-capture=${microphoneWav}`] : []),
    // Chromium's sandbox cannot start as root (CI runs as root).
    ...(process.getuid?.() === 0 ? ['--no-sandbox'] : []),
  ];
  return puppeteer.launch({ executablePath: chromiumPath, headless: true, args, protocolTimeout: 120000 });
}

// Everything the page logs as an error, and its uncaught exceptions.
export function recordConsole(page) {
  const errors = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()} (${m.location()?.url ?? ''})`);
  });
  page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
  return errors;
}

export async function screenshot(page, name) {
  mkdirSync(screenshotDir, { recursive: true });
  const file = path.join(screenshotDir, `${name}.png`);
  await page.screenshot({ path: file });
  return file;
}
