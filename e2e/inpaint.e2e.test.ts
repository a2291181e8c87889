/// <reference lib="dom" />
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeRgba } from '../engine/image/composite.js';
import { decodeMask } from '../engine/edit/inpaint.js';
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

/** A photo-like test image: a sky gradient, a sun and hills, with some texture. */
async function photo(): Promise<Uint8Array> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="480" height="360">
    <defs><linearGradient id="s" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="#3b6fb6"/><stop offset="1" stop-color="#f3c98b"/></linearGradient>
    <filter id="n"><feTurbulence baseFrequency="0.9" numOctaves="2" seed="3"/><feColorMatrix values="0 0 0 0 0.5  0 0 0 0 0.5  0 0 0 0 0.5  0 0 0 0.15 0"/><feComposite in2="SourceGraphic" operator="in"/></filter></defs>
    <rect width="480" height="360" fill="url(#s)"/><circle cx="340" cy="110" r="45" fill="#ffe9a8"/>
    <path d="M0 250 Q120 170 240 240 T480 220 V360 H0Z" fill="#4f7d3a"/><path d="M0 300 Q200 250 480 310 V360 H0Z" fill="#2f5a2a"/>
    <rect width="480" height="360" filter="url(#n)"/></svg>`;
  return new Uint8Array(await sharp(Buffer.from(svg)).png().toBuffer());
}

async function dropFile(page: Page, name: string, bytes: Uint8Array) {
  await page.locator('[data-testid=canvas]').evaluate((el, f) => {
    const dt = new DataTransfer();
    dt.items.add(new File([new Uint8Array(f.bytes)], f.name, { type: 'image/png' }));
    for (const type of ['dragenter', 'dragover', 'drop']) el.dispatchEvent(new DragEvent(type, { bubbles: true, cancelable: true, dataTransfer: dt }));
  }, { name, bytes: Array.from(bytes) });
}

const layerNames = (page: Page) => page.locator('[data-testid=layer]').evaluateAll((els) => els.map((e) => e.getAttribute('data-name') ?? e.textContent?.trim() ?? ''));

describe('inpainting in Chromium against the real engine and the shipped inpainter', () => {
  it('paints a mask, inpaints into a new layer that differs only inside the mask, and undoes', async () => {
    const home = tempDir();
    const project = join(home, 'inpaint.ganvas');
    const served = await startServe(home, project);
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(served.url);
    await page.locator('[data-testid=status]').waitFor();

    await dropFile(page, 'landscape.png', await photo());
    await page.locator('[data-testid=layer]').first().waitFor();
    await expect.poll(() => page.locator('[data-testid=inpaint-model]').inputValue()).toBe('inpaint256');

    // An empty mask is a clear no-op.
    await page.locator('[data-testid=inpaint]').click();
    await expect.poll(() => page.locator('.toast').allTextContents()).toContainEqual(expect.stringMatching(/mask is empty/));

    // Brush (B) a stroke across the middle of the image.
    await page.locator('body').click({ position: { x: 5, y: 400 } });
    await page.keyboard.press('b');
    await expect.poll(() => page.locator('[data-testid=canvas]').getAttribute('data-tool')).toBe('brush');
    const box = (await page.locator('[data-testid=canvas]').boundingBox())!;
    const cx = box.x + box.width / 2, cy = box.y + box.height / 2;
    await page.mouse.move(cx - 120, cy - 20);
    await page.mouse.down();
    await page.mouse.move(cx + 40, cy + 10, { steps: 10 });
    await page.mouse.move(cx + 130, cy - 40, { steps: 10 });
    await page.mouse.up();
    await expect.poll(async () => Number(await page.locator('[data-testid=canvas]').getAttribute('data-mask-version'))).toBeGreaterThan(5);

    await page.locator('[data-testid=inpaint]').click();
    await expect.poll(() => page.locator('[data-testid=layer]').count(), { timeout: 30_000 }).toBe(2);
    expect((await layerNames(page)).join(' | ')).toMatch(/landscape\.png · inpainted/);
    const shots = join(import.meta.dirname, '..', 'dist', 'e2e');
    mkdirSync(shots, { recursive: true });
    await page.screenshot({ path: join(shots, 'inpaint.png') });

    // The pixels, read from the project file: the source layer untouched, the result equal to it outside the
    // mask and different inside it.
    const store = ProjectStore.open(project);
    const state = store.state();
    const [source, result] = state.layers;
    const { op } = store.edit(state.headEditId!);
    expect(op.kind).toBe('inpaint');
    if (op.kind !== 'inpaint') throw new Error('unreachable');
    expect(op.sourceId).toBe(source!.id);
    const src = await decodeRgba(store.getAsset(source!.assetHash).bytes);
    const out = await decodeRgba(store.getAsset(result!.assetHash).bytes);
    const mask = await decodeMask(store.getAsset(op.maskHash).bytes, src.width, src.height);
    let holes = 0, changed = 0, leaked = 0;
    for (let i = 0; i < mask.length; i++) {
      const differs = [0, 1, 2, 3].some((c) => src.data[i * 4 + c] !== out.data[i * 4 + c]);
      if (mask[i]) { holes++; if (differs) changed++; } else if (differs) leaked++;
    }
    expect(holes).toBeGreaterThan(1000);
    expect(leaked).toBe(0);
    expect(changed / holes).toBeGreaterThan(0.5);
    store.close();

    // Undo: the project is as before (one layer, the original), and the redo label names the inpaint.
    await page.locator('body').click({ position: { x: 5, y: 400 } });
    await page.keyboard.press('Control+z');
    await expect.poll(() => page.locator('[data-testid=layer]').count()).toBe(1);
    expect(await page.locator('[data-testid=redo]').getAttribute('aria-label')).toBe('Redo Inpaint landscape.png');
    const after = ProjectStore.open(project);
    expect(after.state().layers).toEqual([source]);
    after.close();
    expect(errors).toEqual([]);
    await page.close();
    await served.stop();
  });
});
