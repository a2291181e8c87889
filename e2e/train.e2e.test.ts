/// <reference lib="dom" />
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../test/helpers.js';
import { launchChromium, startServe } from './harness.js';

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

describe('fine-tuning from the editor', () => {
  it('trains the shipped generator on a folder with live progress, and lists the new model', async () => {
    const data = tempDir();
    for (let i = 0; i < 6; i++) {
      await sharp({ create: { width: 80, height: 80, channels: 3, background: { r: 40 * i, g: 120, b: 200 - 20 * i } } }).png().toFile(join(data, `face${i}.png`));
    }
    writeFileSync(join(data, 'readme.txt'), 'not an image');
    const home = tempDir();
    // The training folder is outside the projects folder: the user allows it (engine/files/policy.ts).
    const served = await startServe(home, join(home, 'train.ganvas'), [data]);
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(served.url);
    await page.locator('[data-testid=sample]').first().waitFor({ timeout: 30_000 });
    await page.locator('.train summary').click();
    await page.locator('[data-testid=train-dir]').fill(data);
    await page.locator('input[data-tip="thousands of images shown"]').fill('0.016');
    await page.locator('[data-testid=train-start]').click();
    const progress: string[] = [];
    await expect.poll(async () => {
      const t = await page.locator('[role=progressbar]').textContent({ timeout: 100 }).catch(() => null);
      if (t) progress.push(t);
      return page.locator('.toast').allTextContents();
    }, { timeout: 90_000, interval: 250 }).toContainEqual(expect.stringMatching(/faces64-ft-\d{8}-\d{6} is ready/));
    expect(progress.some((t) => /img\/s · G [\d.-]+ · D [\d.-]+ · ETA \d+ s · wasm/.test(t))).toBe(true);
    await expect.poll(() => page.locator('[data-testid=latent-model] option').allTextContents()).toContainEqual(expect.stringMatching(/^faces64-ft-/));
    await page.close();
    await served.stop();
  });
});
