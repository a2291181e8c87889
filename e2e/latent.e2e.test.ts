/// <reference lib="dom" />
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { unzipSync } from 'fflate';
import * as ort from 'onnxruntime-node';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { zFromSeed } from '../engine/edit/latent-space.js';
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

/** The shipped generator, run here by the test's own onnxruntime sessions: the reference for latents and pixels. */
const FACES = join(import.meta.dirname, '..', 'assets', 'models', 'faces64');
const RES = 64, ROWS = 10, WDIM = 128, ZDIM = 128; // assets/models/faces64/model.json

/** w of a seed at truncation ψ (mapping.onnx), on every row of w+. */
async function wsOfSeed(seed: number, psi: number): Promise<Float32Array> {
  const mapping = await ort.InferenceSession.create(join(FACES, 'mapping.onnx'), { executionProviders: ['cpu'], intraOpNumThreads: 1 });
  const { w } = await mapping.run({ z: new ort.Tensor('float32', zFromSeed(seed, ZDIM), [1, ZDIM]), psi: new ort.Tensor('float32', Float32Array.of(psi), [1]) });
  const ws = new Float32Array(ROWS * WDIM);
  for (let l = 0; l < ROWS; l++) ws.set(w!.data as Float32Array, l * WDIM);
  return ws;
}

/** RGBA at `display` px of a w+ latent: synthesis.onnx, [-1, 1] → bytes, each model pixel a k × k block (nearest). */
async function renderAt(ws: Float32Array, display: number): Promise<Uint8Array> {
  const synthesis = await ort.InferenceSession.create(join(FACES, 'synthesis.onnx'), { executionProviders: ['cpu'], intraOpNumThreads: 1 });
  const { image } = await synthesis.run({ ws: new ort.Tensor('float32', ws, [1, ROWS, WDIM]) });
  const x = image!.data as Float32Array, k = display / RES;
  const out = new Uint8Array(display * display * 4);
  for (let y = 0; y < display; y++) for (let xx = 0; xx < display; xx++) {
    const p = Math.floor(y / k) * RES + Math.floor(xx / k), o = (y * display + xx) * 4;
    for (let c = 0; c < 3; c++) out[o + c] = Math.max(0, Math.min(255, Math.round((x[c * RES * RES + p]! + 1) * 127.5)));
    out[o + 3] = 255;
  }
  return out;
}

/** The pixels the page shows for the first layer: its thumbnail image (the asset the page fetched), read back. */
const shownPixels = (page: Page) => page.locator('[data-testid=layer] img').first().evaluate(async (el) => {
  const img = el as HTMLImageElement;
  await img.decode();
  const c = new OffscreenCanvas(img.naturalWidth, img.naturalHeight);
  const ctx = c.getContext('2d')!;
  ctx.drawImage(img, 0, 0);
  return { width: img.naturalWidth, data: Array.from(ctx.getImageData(0, 0, img.naturalWidth, img.naturalHeight).data) };
});

const rowsOf = (ws: number[], from: number, to: number) => ws.slice(from * WDIM, (to + 1) * WDIM);

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
    // The slider moved the coarse rows 0–3 (presetRange for 10 rows) by one multiple of the direction, the same on
    // each row, and left rows 4–9 as they were.
    const p0 = Object.values(placed)[0]!, s0 = Object.values(slid)[0]!;
    expect(rowsOf(s0, 4, 9)).toEqual(rowsOf(p0, 4, 9));
    const direction = (() => {
      const store = ProjectStore.open(project);
      try { return store.directions().find((d) => d.name === 'GANSpace 1 (coarse)')!; } finally { store.close(); }
    })();
    const shift = s0.slice(0, WDIM).map((v, i) => v - p0[i]!);
    const along = shift.reduce((s, v, i) => s + v * direction.vector[i]!, 0) / direction.vector.reduce((s, v) => s + v * v, 0);
    expect(Math.abs(along)).toBeGreaterThan(1e-3);
    for (let l = 0; l < 4; l++) for (let i = 0; i < WDIM; i++) {
      expect(s0[l * WDIM + i]! - p0[l * WDIM + i]!).toBeCloseTo(along * direction.vector[i]!, 4);
    }

    // Mix the fine layers of seed 3 into it.
    await page.locator('[data-testid=mix-seed]').fill('3');
    await page.locator('[data-testid=mix-fine]').click();
    await expect.poll(() => page.locator('[data-testid=undo]').getAttribute('aria-label'), { timeout: 10_000 }).toMatch(/Undo mix rows 8–9/);
    const mixed = latents(project);
    // Rows 8–9 are seed 3's w (a seed mixed in is mapped at ψ = 1), rows 0–7 the slid latent's.
    const m0 = Object.values(mixed)[0]!;
    expect(rowsOf(m0, 0, 7)).toEqual(rowsOf(s0, 0, 7));
    expect(rowsOf(m0, 8, 9)).toEqual(Array.from((await wsOfSeed(3, 1)).subarray(8 * WDIM)));

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

    // Reload: the same layer with the same latent, drawn from the store. The pixels shown after the reload are
    // those shown before it and the render of the mixed latent made here.
    const hashesBefore = await layerHashes(page);
    const expected = Array.from(await renderAt(Float32Array.from(m0), 256));
    // Polled: the thumbnail shows the mixed layer once the page has fetched its asset.
    await expect.poll(async () => {
      const shown = await shownPixels(page);
      return shown.width === 256 ? shown.data.findIndex((v, i) => v !== expected[i]) : 'not 256 px wide';
    }, { timeout: 10_000, message: 'first pixel byte unlike the render of the mixed latent' }).toBe(-1);
    const shownBefore = await shownPixels(page);
    await page.reload();
    await page.locator('[data-testid=layer]').first().waitFor();
    await expect.poll(() => page.locator('[data-testid=layer] img').count(), { timeout: 10_000 }).toBe(1);
    expect(await layerHashes(page)).toEqual(hashesBefore);
    const shownAfter = await shownPixels(page);
    expect(shownAfter.width).toBe(256);
    expect(shownAfter.data.findIndex((v, i) => v !== shownBefore.data[i]), 'first pixel byte unlike before the reload').toBe(-1);
    expect(latents(project)).toEqual(mixed);
    expect(errors).toEqual([]);
    await page.close();
    await served.stop();
  });
});
