/* global process, console */
/**
 * Renders build/icon.svg to the PNG icons electron-builder needs (build/icon.png 1024 px for
 * macOS/Windows, build/icons/NxN.png for Linux) with the system Chromium. Run after changing
 * the SVG: `node build/generate-icons.mjs`; the PNGs are committed.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const svg = readFileSync(join(here, 'icon.svg'), 'utf8');
const browser = await chromium.launch({ executablePath: process.env.FACTORYOPS_CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
try {
  const page = await browser.newPage();
  mkdirSync(join(here, 'icons'), { recursive: true });
  for (const size of [1024, 512, 256, 128, 64, 48, 32, 16]) {
    await page.setViewportSize({ width: size, height: size });
    await page.setContent(`<html><body style="margin:0;background:transparent">${svg.replace('width="512" height="512"', `width="${size}" height="${size}"`)}</body></html>`);
    const file = size === 1024 ? join(here, 'icon.png') : join(here, 'icons', `${size}x${size}.png`);
    await page.screenshot({ path: file, omitBackground: true, clip: { x: 0, y: 0, width: size, height: size } });
    console.log(file);
  }
} finally {
  await browser.close();
}
