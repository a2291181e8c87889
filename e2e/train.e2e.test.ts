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
    const train = page.locator('[data-testid=train-start]');
    await page.locator('[data-testid=train-dir]').fill(data);
    await page.locator('[data-testid=train-kimg]').fill('0.048'); // six steps: long enough to sample the live progress
    expect(await train.isDisabled()).toBe(false);
    await train.click();
    // One run at a time: Train is off from the click until the run ends, and the run is in the jobs list.
    await expect.poll(() => train.isDisabled(), { timeout: 2000, interval: 20 }).toBe(true);
    const progress: string[] = [];
    let disabledWhileRunning = true, listed = false;
    await expect.poll(async () => {
      const t = await page.locator('[role=progressbar]').textContent({ timeout: 100 }).catch(() => null);
      if (t) {
        progress.push(t);
        if (!(await train.isDisabled())) disabledWhileRunning = false;
      }
      if (await page.locator('[data-testid=job][data-kind=train][data-state=running] progress').count()) listed = true;
      return page.locator('.toast').allTextContents();
    }, { timeout: 90_000, interval: 250 }).toContainEqual(expect.stringMatching(/faces64-ft-\d{8}-\d{6} is ready/));
    expect(disabledWhileRunning).toBe(true);
    expect(listed).toBe(true);
    await expect.poll(() => train.isDisabled()).toBe(false);
    // The step runs in onnxruntime by default (training compiled to ONNX), and the status says so.
    expect(progress.some((t) => /img\/s · G [\d.-]+ · D [\d.-]+ · ETA \d+ s · onnxruntime on CPU/.test(t)), progress.at(-1) ?? "no progress").toBe(true);
    await expect.poll(() => page.locator('[data-testid=latent-model] option').allTextContents()).toContainEqual(expect.stringMatching(/^faces64-ft-/));
    await page.close();
    await served.stop();
  });

  it('cancels a running fine-tune from the jobs tray; Train comes back on', async () => {
    const data = tempDir();
    for (let i = 0; i < 4; i++) {
      await sharp({ create: { width: 64, height: 64, channels: 3, background: { r: 60 * i, g: 90, b: 180 - 30 * i } } }).png().toFile(join(data, `img${i}.png`));
    }
    const home = tempDir();
    const served = await startServe(home, join(home, 'cancel.ganvas'), [data]); // the training folder, allowed as `ganvas serve --allow` does
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(served.url);
    await page.locator('[data-testid=sample]').first().waitFor({ timeout: 30_000 });
    const train = page.locator('[data-testid=train-start]');
    await page.locator('[data-testid=train-dir]').fill(data);
    await page.locator('[data-testid=train-kimg]').fill('50');
    await train.click();
    let runId = '';
    await expect.poll(async () => (runId = /Fine-tuning into (faces64-ft-\d{8}-\d{6})/.exec((await page.locator('.toast').allTextContents()).join('\n'))?.[1] ?? '')).not.toBe('');
    const job = page.locator('[data-testid=job][data-kind=train]');
    await expect.poll(() => job.getAttribute('data-state'), { timeout: 30_000 }).toBe('running');
    expect(await train.isDisabled()).toBe(true);
    // The tray plots the G and D losses the progress reports.
    await expect.poll(async () => Number(await job.locator('[data-testid=loss-plot]').getAttribute('data-points', { timeout: 200 }).catch(() => 0)), { timeout: 60_000, interval: 250 }).toBeGreaterThanOrEqual(3);
    await page.screenshot({ path: join(import.meta.dirname, '..', 'dist', 'e2e', 'jobs-train.png') });
    // A long progress line never pushes the side panels off screen.
    const side = (await page.locator('aside.side').boundingBox())!;
    expect(side.x + side.width).toBeLessThanOrEqual(1281);
    expect(await train.isVisible()).toBe(true);
    await page.locator('[data-testid=job-cancel-train]').click();
    await expect.poll(() => job.getAttribute('data-state'), { timeout: 30_000 }).toBe('cancelled');
    await expect.poll(() => train.isDisabled()).toBe(false);
    await expect.poll(() => page.locator('[data-testid=toast-error]').allTextContents()).toContainEqual(expect.stringMatching(/cancel/));
    // Resume continues that run under its own id (the engine resumes from its checkpoint: test/train.test.ts).
    await page.locator('[data-testid=train-resume]').click();
    await expect.poll(() => page.locator('.toast').allTextContents()).toContainEqual(expect.stringMatching(new RegExp(`Resuming ${runId} from its last checkpoint`)));
    const resumed = page.locator('[data-testid=job][data-kind=train][data-state=running]');
    await expect.poll(() => resumed.count(), { timeout: 30_000 }).toBe(1);
    expect(await train.isDisabled()).toBe(true);
    await page.locator('[data-testid=job-cancel-train]').click();
    await expect.poll(() => train.isDisabled(), { timeout: 30_000 }).toBe(false);
    await page.close();
    await served.stop();
  });
});
