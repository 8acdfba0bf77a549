/**
 * Opens a local HTML file in Debian's headless Chromium (through playwright-core's CDP driver,
 * no bundled browser) with the network cut off, and reports what a user would see: console
 * errors, page errors, requests that tried to leave the file, and a screenshot's pixel stats.
 * Fails loudly when Chromium is missing (scripts/test.sh installs it).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';

/** Where Debian's `chromium` package puts the browser. */
export const CHROMIUM = process.env.TICKPIPE_TEST_CHROMIUM ?? '/usr/bin/chromium';

/** Pixel statistics of a screenshot region. */
export interface PixelStats {
  width: number;
  height: number;
  /** Distinct colours (quantised to 4 bits per channel). */
  colors: number;
  /** Share of pixels that differ from the most common colour (the background). */
  inkShare: number;
}

/** What opening the page showed. */
export interface PageCheck {
  consoleErrors: string[];
  pageErrors: string[];
  /** URLs other than the page itself that the page tried to load. */
  externalRequests: string[];
  /** Per CSS selector: elements found, and pixel stats of the first one's screenshot. */
  elements: Record<string, { count: number; pixels?: PixelStats }>;
}

/** Opens `htmlPath` and inspects `selectors`. */
export async function inspectPage(htmlPath: string, selectors: readonly string[]): Promise<PageCheck> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium not found at ${CHROMIUM}: install it (apt-get install -y chromium; scripts/test.sh does) or set TICKPIPE_TEST_CHROMIUM`,
    );
  }
  const userDataDir = mkdtempSync(join(tmpdir(), 'tickpipe-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
    viewport: { width: 1200, height: 900 },
    offline: true,
  });
  try {
    const page = await context.newPage();
    const url = pathToFileURL(htmlPath).href;
    const check: PageCheck = { consoleErrors: [], pageErrors: [], externalRequests: [], elements: {} };
    page.on('console', (m) => {
      if (m.type() === 'error') check.consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => check.pageErrors.push(String(e)));
    await context.route('**/*', async (route) => {
      const target = route.request().url();
      if (target === url) return route.continue();
      check.externalRequests.push(target);
      return route.abort();
    });
    await page.goto(url, { waitUntil: 'load' });
    for (const selector of selectors) {
      const loc = page.locator(selector);
      const count = await loc.count();
      const entry: PageCheck['elements'][string] = { count };
      if (count > 0) {
        const png = await loc.first().screenshot();
        entry.pixels = (await page.evaluate(
          `(${PIXEL_STATS_JS})(${JSON.stringify(png.toString('base64'))})`,
        )) as PixelStats;
      }
      check.elements[selector] = entry;
    }
    return check;
  } finally {
    await context.close();
    rmSync(userDataDir, { recursive: true, force: true });
  }
}

/** Runs in the page (plain JS: the page has the DOM, this file's types do not): decodes the PNG with the browser's own decoder and counts colours. */
const PIXEL_STATS_JS = `async (base64) => {
  const img = new Image();
  img.src = 'data:image/png;base64,' + base64;
  await img.decode();
  const canvas = document.createElement('canvas');
  canvas.width = img.width;
  canvas.height = img.height;
  const ctx = canvas.getContext('2d');
  ctx.drawImage(img, 0, 0);
  const data = ctx.getImageData(0, 0, img.width, img.height).data;
  const counts = new Map();
  for (let i = 0; i < data.length; i += 4) {
    const key = (data[i] >> 4) * 256 + (data[i + 1] >> 4) * 16 + (data[i + 2] >> 4);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const total = data.length / 4;
  let top = 0;
  for (const n of counts.values()) if (n > top) top = n;
  return { width: img.width, height: img.height, colors: counts.size, inkShare: (total - top) / total };
}`;
