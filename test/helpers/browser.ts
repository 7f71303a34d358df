/**
 * Headless Chromium for tests that must see what a person sees (the HTML report). Uses the
 * Debian `chromium` package through playwright-core (no browser download). When Chromium is
 * absent a test is skipped with a message on a developer machine, and fails in CI
 * (process.env.CI), where .ci/run installs it.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * The `skip` option for a browser test: a message when Chromium is missing on a developer
 * machine, false when the test must run. In CI a missing Chromium is not a reason to skip:
 * the test runs and fails on launch with a message that says what to install.
 */
export function browserTestSkip(): string | false {
  if (existsSync(CHROMIUM_PATH) || process.env.CI) return false;
  return `Chromium not found at ${CHROMIUM_PATH}: install it (apt-get install -y chromium) or set CHROMIUM_PATH`;
}

/** Runs `fn` with a page of a fresh browser profile, and always closes the browser. */
export async function withPage<T>(fn: (page: Page) => Promise<T>): Promise<T> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`Chromium is required here but missing at ${CHROMIUM_PATH} (apt-get install -y chromium)`);
  }
  const profile = await mkdtemp(join(tmpdir(), 'lvis-pipe-chromium-'));
  let context: BrowserContext | undefined;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1400, height: 1000 },
    });
    const page = context.pages()[0] ?? (await context.newPage());
    return await fn(page);
  } finally {
    await context?.close();
    await rm(profile, { recursive: true, force: true });
  }
}
