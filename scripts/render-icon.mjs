#!/usr/bin/env node
// Renders media/icon.svg into media/icon.png (128x128, the Marketplace icon) with the Chromium that the e2e tests
// use. Run it after changing the SVG and commit both:  node scripts/render-icon.mjs
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const media = join(dirname(fileURLToPath(import.meta.url)), '..', 'media');
const browser = await chromium.launch({ executablePath: process.env.HEADROOM_CHROMIUM ?? '/usr/bin/chromium', headless: true, args: ['--no-sandbox', '--disable-gpu'] });
try {
  const page = await browser.newPage({ viewport: { width: 128, height: 128 } });
  await page.setContent(`<body style="margin:0">${readFileSync(join(media, 'icon.svg'), 'utf8')}</body>`);
  await page.screenshot({ path: join(media, 'icon.png'), omitBackground: true, clip: { x: 0, y: 0, width: 128, height: 128 } });
} finally {
  await browser.close();
}
