/**
 * Debian's Chromium, headless, driven by playwright-core, for the dashboard's browser tests: a fresh profile per test,
 * closed and removed by the test; skips the test (with the reason) when Chromium is missing or does not start.
 * TAGWAY_CHROMIUM points elsewhere (or at nothing, to see the skip).
 */
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = process.env['TAGWAY_CHROMIUM'] ?? '/usr/bin/chromium';

/** The flags this machine needs (no network but loopback: background networking would be refused). */
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync'];

/**
 * A page in a new headless Chromium, or undefined when the test was skipped; script errors on the page fail the test.
 * @example const page = await browser(t); if (!page) return; await page.goto(url);
 */
export async function browser(t: TestContext, extraArgs: readonly string[] = []): Promise<Page | undefined> {
  if (!existsSync(CHROMIUM)) { t.skip(`no ${CHROMIUM}: apt-get install -y chromium (.ci/run installs it)`); return undefined; }
  const profile = mkdtempSync(join(tmpdir(), 'tagway-chromium-'));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM, headless: true, timeout: 20_000, args: [...FLAGS, ...extraArgs],
    });
  } catch (err) {
    rmSync(profile, { recursive: true, force: true });
    t.skip(`Chromium did not start: ${(err as Error).message.split('\n')[0]}`);
    return undefined;
  }
  t.after(async () => { await context.close(); rmSync(profile, { recursive: true, force: true }); });
  const page = context.pages()[0] ?? await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  t.after(() => assert.deepEqual(errors, [], 'no script errors on the page'));
  return page;
}
