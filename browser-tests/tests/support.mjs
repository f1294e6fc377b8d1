// Shared set-up for the browser tests: the real `concord` binary serving a fresh demo consortium,
// real Chromium driven by playwright-core, and axe-core for accessibility checks.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

export const CONCORD_BIN = process.env.CONCORD_BIN ?? join(here, '..', '..', 'target', 'debug', 'concord');
export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

/**
 * Starts `concord demo` on a free port in a fresh data directory; resolves when it listens.
 * `prepare(dataDir)`, if given, runs first (e.g. to create the demo and import records into it).
 */
export async function startDemo({ prepare } = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), 'concord-browser-'));
  if (prepare) await prepare(dataDir);
  const child = spawn(CONCORD_BIN, ['demo', '--data-dir', dataDir, '--port', '0'], {
    env: { ...process.env, CONCORD_LOG: 'warn' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise((resolve, reject) => {
    let seen = '';
    child.stdout.on('data', (chunk) => {
      seen += chunk.toString();
      const match = seen.match(/^Open (http:\/\/\S+)$/m);
      if (match) resolve(match[1].replace(/\/$/, ''));
    });
    child.on('exit', (code) => reject(new Error(`concord demo exited with ${code}:\n${seen}`)));
  });
  const credentials = JSON.parse(readFileSync(join(dataDir, 'demo-credentials.json'), 'utf8'));
  return {
    url,
    credentials,
    staff(role) {
      return credentials.staff.find((s) => s.role === role);
    },
    async stop() {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.on('exit', resolve));
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Launches headless Chromium with the flags this machine needs (no network beyond loopback). */
export async function launchBrowser() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/** Logs `staff` (a demo login) in on a new page of `browser`, at the staff pages; the page. */
export async function logIn(browser, demo, staff) {
  const page = await browser.newPage();
  await page.goto(demo.url + '/login');
  await page.getByLabel('Username').fill(staff.username);
  await page.getByLabel('Password').fill(staff.password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.waitForURL(demo.url + '/admin');
  return page;
}

/**
 * Runs axe-core with the WCAG 2.1 A and AA rules, and any of its other rules named in `rules`
 * (such as WCAG 2.2's `target-size`); returns the violations, readably.
 */
export async function accessibilityViolations(page, { rules = [] } = {}) {
  await page.addScriptTag({ content: axeSource });
  const result = await page.evaluate(async (extra) => {
    const enabled = Object.fromEntries(extra.map((rule) => [rule, { enabled: true }]));
    // eslint-disable-next-line no-undef
    const run = await axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
      rules: enabled,
    });
    const ran = new Set([...run.passes, ...run.violations, ...run.incomplete, ...run.inapplicable].map((r) => r.id));
    return { violations: run.violations, missing: extra.filter((rule) => !ran.has(rule)) };
  }, rules);
  if (result.missing.length > 0) throw new Error(`axe-core did not run ${result.missing.join(', ')}`);
  return result.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
}

/** The bytes a page transferred for its document, stylesheet and scripts (not images). */
export async function pageWeight(page, url) {
  let bytes = 0;
  const counter = async (response) => {
    const type = response.request().resourceType();
    if (['document', 'stylesheet', 'script', 'fetch', 'xhr'].includes(type)) {
      try {
        bytes += (await response.body()).length;
      } catch {
        // A response without a body (a redirect) weighs nothing.
      }
    }
  };
  page.on('response', counter);
  await page.goto(url, { waitUntil: 'networkidle' });
  page.off('response', counter);
  return bytes;
}

/** Waits until the demo's search index has applied every catalogue change (readyz reports both). */
export async function waitForIndex(page, demo) {
  for (let attempt = 0; attempt < 300; attempt += 1) {
    const ready = await (await page.request.get(demo.url + '/readyz')).json();
    if (ready.search && ready.search.documents > 0 && ready.search.applied_change_seq === ready.search.latest_change_seq) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('the search index did not catch up within 30 seconds');
}

/** The number a text such as "1,234 results" or "(1,234)" states. */
export function count(text) {
  return Number(text.match(/(\d[\d,]*)/)[1].replaceAll(',', ''));
}
