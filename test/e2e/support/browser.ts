// What the browser tests share: Debian's chromium driven by playwright-core (no downloaded
// browser). Under CI=true the tests must run (they fail when chromium is missing); elsewhere they
// are skipped, loudly, when there is no chromium.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { type RunningDemo, startDemo } from '../../../src/web/index.js';
import { isCI } from '../../support/ci.js';

export const CHROMIUM = process.env.WXHUB_CHROMIUM ?? '/usr/bin/chromium';
export const HAVE_CHROMIUM = existsSync(CHROMIUM);
const IN_CI = isCI();
/** Run the browser tests: chromium is there, or CI demands it (and `launch` then fails). */
export const RUN_BROWSER_TESTS = HAVE_CHROMIUM || IN_CI;

/**
 * Where screenshots go: docs/screenshots/ only when asked (`WXHUB_SCREENSHOTS=docs npx vitest run
 * test/e2e`), else a temporary folder, so a plain test run leaves the working tree clean.
 */
export const SHOTS =
  process.env.WXHUB_SCREENSHOTS === 'docs'
    ? fileURLToPath(new URL('../../../docs/screenshots/', import.meta.url))
    : mkdtempSync(join(tmpdir(), 'wxhub-shots-'));

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** A phone as WeChat developers hold it: 390 × 844 CSS px (an iPhone 12 to 15). */
export const PHONE = { width: 390, height: 844 } as const;

/** Says on stderr that `file` is skipped, when it is. */
export function warnIfSkipped(file: string): void {
  if (!RUN_BROWSER_TESTS) {
    process.stderr.write(
      `\n*** ${file} SKIPPED: no chromium at ${CHROMIUM} (apt-get install chromium, or set WXHUB_CHROMIUM). Under CI=true this is a failure. ***\n\n`,
    );
  }
}

/** A headless chromium with its own profile in `profileDir`, Chinese locale, Beijing time. */
export async function launch(
  profileDir: string,
  options: { viewport: { width: number; height: number }; mobile?: boolean; userAgent?: string },
): Promise<BrowserContext> {
  if (!HAVE_CHROMIUM) {
    throw new Error(
      `CI=true but there is no chromium at ${CHROMIUM}: .ci/run installs it (apt-get install chromium)`,
    );
  }
  return chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    viewport: options.viewport,
    locale: 'zh-CN',
    timezoneId: 'Asia/Shanghai',
    ...(options.mobile ? { isMobile: true, hasTouch: true } : {}),
    ...(options.userAgent ? { userAgent: options.userAgent } : {}),
  });
}

/** `wxhub demo` in process (port 0, its own folder) and a browser on it. */
export interface DemoInBrowser {
  readonly demo: RunningDemo;
  readonly context: BrowserContext;
  readonly page: Page;
  close(): Promise<void>;
}

/** Starts the demo, waits for its warm-up (tokens, follower sync) and opens a browser page. */
export async function demoInBrowser(options: {
  viewport: { width: number; height: number };
  mobile?: boolean;
  /** E.g. WeChat's in-app browser (`MicroMessenger/…`). Default: chromium's own. */
  userAgent?: string;
}): Promise<DemoInBrowser> {
  const cwd = mkdtempSync(join(tmpdir(), 'wxhub-e2e-'));
  const profileDir = mkdtempSync(join(tmpdir(), 'wxhub-chromium-'));
  const demo = await startDemo({ port: 0, host: '127.0.0.1', cwd, logger: pino({ level: 'silent' }) });
  let context: BrowserContext | undefined;
  const close = async () => {
    await context?.close();
    await demo.close();
    for (const dir of [cwd, profileDir]) rmSync(dir, { recursive: true, force: true });
  };
  try {
    await demo.warmedUp;
    context = await launch(profileDir, options);
    const page = context.pages()[0] ?? (await context.newPage());
    page.setDefaultTimeout(10_000);
    return { demo, context, page, close };
  } catch (err) {
    await close();
    throw err;
  }
}

/** The fields of an <img> the checks read (tsconfig has no DOM lib). */
export interface Img {
  complete: boolean;
  naturalWidth: number;
}

export interface SimUser {
  openid: string;
  unionid?: string;
  nickname: string;
  subscribe: number;
}

/** The simulator's users of `appid`, from its control plane. */
export async function simUsers(simUrl: string, appid: string): Promise<SimUser[]> {
  const res = await fetch(`${simUrl}/__sim/accounts/${appid}/users`);
  return ((await res.json()) as { users: SimUser[] }).users;
}

/** The trimmed text of the first element `selector` finds. */
export async function text(page: Page, selector: string): Promise<string> {
  return ((await page.locator(selector).first().textContent()) ?? '').trim();
}
