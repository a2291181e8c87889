/// <reference lib="dom" />
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { unzipSync } from 'fflate';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProjectStore } from '../engine/store/project-store.js';
import { tempDir } from '../test/helpers.js';
import { launchChromium, startServe } from './harness.js';

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

/** Every generated layer's latent, read from the project file. */
function latents(project: string): Record<string, number[]> {
  const store = ProjectStore.open(project);
  try {
    return Object.fromEntries(store.state().layers.filter((l) => l.latent).map((l) => [l.id, Array.from(store.getLatent(l.latent!.latentHash).data)]));
  } finally {
    store.close();
  }
}

const layerHashes = (page: Page) => page.locator('[data-testid=layer]').evaluateAll((els) => els.map((e) => e.getAttribute('data-asset')));

describe('the latent studio in Chromium against the real engine and the shipped generator', () => {
  it('samples a grid, places a sample, drags a slider, mixes, exports a GIF, and reloads the same latents', async () => {
    const home = tempDir();
    const project = join(home, 'latent.ganvas');
    const served = await startServe(home, project);
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(served.url);
    await page.locator('[data-testid=status]').waitFor();

    // A grid of 8 samples from the shipped generator; "More" shows the next 8 seeds.
    await expect.poll(() => page.locator('[data-testid=sample]').count(), { timeout: 20_000 }).toBe(8);
    await expect.poll(() => page.locator('[data-testid=sample] img').evaluateAll((imgs) => imgs.every((i) => (i as HTMLImageElement).naturalWidth === 64)), { timeout: 10_000 }).toBe(true);
    await page.locator('[data-testid=more-samples]').click();
    await expect.poll(() => page.locator('[data-testid=sample]').first().getAttribute('data-seed')).toBe('8');
    await expect.poll(() => page.locator('[data-testid=sample][data-seed="9"] img').evaluate((i) => (i as HTMLImageElement).complete), { timeout: 10_000 }).toBe(true);

    // Place seed 9.
    await page.locator('[data-testid=sample][data-seed="9"]').click();
    await page.locator('[data-testid=place-sample]').click();
    await expect.poll(() => page.locator('[data-testid=layer]').count(), { timeout: 10_000 }).toBe(1);
    const placed = latents(project);
    expect(Object.keys(placed)).toHaveLength(1);

    // Directions for the coarse layers, then drag the first slider: previews stream, release commits an edit.
    await page.locator('[data-testid=find-ganspace]').click();
    await expect.poll(() => page.locator('[data-testid=direction-slider]').count(), { timeout: 20_000 }).toBeGreaterThan(0);
    const before = await layerHashes(page);
    const slider = page.locator('[data-testid=direction-slider]').first();
    await slider.scrollIntoViewIfNeeded();
    const box = (await slider.boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    for (let i = 1; i <= 20; i++) await page.mouse.move(box.x + box.width / 2 + i * (box.width / 45), box.y + box.height / 2);
    await page.mouse.up();
    await expect.poll(async () => (await layerHashes(page))[0], { timeout: 10_000 }).not.toBe(before[0]);
    await expect.poll(() => page.locator('[data-testid=undo]').getAttribute('aria-label'), { timeout: 10_000 }).toMatch(/Undo GANSpace 1 \(coarse\) \+[\d.]+σ/);
    const frames = Number(await page.locator('[data-testid=slider-fps]').getAttribute('data-frames'));
    expect(frames).toBeGreaterThan(0);
    const slid = latents(project);
    expect(Object.values(slid)[0]).not.toEqual(Object.values(placed)[0]);

    // Mix the fine layers of seed 3 into it.
    await page.locator('[data-testid=mix-seed]').fill('3');
    await page.locator('[data-testid=mix-fine]').click();
    await expect.poll(() => page.locator('[data-testid=undo]').getAttribute('aria-label'), { timeout: 10_000 }).toMatch(/Undo mix rows 8–9/);
    const mixed = latents(project);
    expect(Object.values(mixed)[0]).not.toEqual(Object.values(slid)[0]);

    // Scrub the timeline: frames stream onto the layer; releasing goes back to the layer itself.
    const framesBefore = Number(await page.locator('[data-testid=slider-fps]').getAttribute('data-frames'));
    const scrub = page.locator('[data-testid=timeline-scrub]');
    await scrub.scrollIntoViewIfNeeded();
    const sb = (await scrub.boundingBox())!;
    await page.mouse.move(sb.x + 2, sb.y + sb.height / 2);
    await page.mouse.down();
    for (let i = 1; i <= 10; i++) await page.mouse.move(sb.x + (sb.width * i) / 10, sb.y + sb.height / 2);
    await page.mouse.up();
    await expect.poll(async () => Number(await page.locator('[data-testid=slider-fps]').getAttribute('data-frames'))).toBeGreaterThan(framesBefore);

    // The style-mixing grid of the samples.
    await page.locator('[data-testid=mix-grid]').click();
    await expect.poll(() => page.locator('[data-testid=mix-grid-image]').evaluate((i) => (i as HTMLImageElement).naturalWidth), { timeout: 10_000 }).toBe(5 * 64);

    // Export the timeline as a GIF.
    const download = page.waitForEvent('download');
    await page.locator('[data-testid=export-gif]').click();
    const file = await (await download).path();
    expect(readFileSync(file!).subarray(0, 6).toString()).toBe('GIF89a');
    const zip = page.waitForEvent('download');
    await page.locator('[data-testid=export-frames]').click();
    const pngs = unzipSync(new Uint8Array(readFileSync((await (await zip).path())!)));
    expect(Object.keys(pngs)).toHaveLength(72);
    expect(Buffer.from(pngs['frame0000.png']!.subarray(1, 4)).toString()).toBe('PNG');

    const shots = join(import.meta.dirname, '..', 'dist', 'e2e');
    mkdirSync(shots, { recursive: true });
    await page.screenshot({ path: join(shots, 'latent.png') });

    // Reload: the same layer with the same latent, drawn from the store.
    await page.reload();
    await page.locator('[data-testid=layer]').first().waitFor();
    expect(await layerHashes(page)).toEqual(await layerHashes(page));
    expect(latents(project)).toEqual(mixed);
    expect(errors).toEqual([]);
    await page.close();
    await served.stop();
  });
});
