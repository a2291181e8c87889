/// <reference lib="dom" />
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mulberry32 } from '../engine/random.js';
import { decodeRgba } from '../engine/image/composite.js';
import { decodeMask } from '../engine/edit/inpaint.js';
import { ProjectStore } from '../engine/store/project-store.js';
import { tempDir } from '../test/helpers.js';
import { launchChromium, startServe, type Served } from './harness.js';

/**
 * The user's flow, in Chromium against the real `ganvas serve` and the shipped inpainter: a photo with a pasted
 * pure-red square, masked exactly with the rectangle tool by dragging on the canvas, inpainted from the toolbar;
 * the result is read back from the project file and must hold no red at all, and be bit-identical to the photo
 * away from the mask. Also: mask undo/redo (Ctrl+Z / Ctrl+Shift+Z), invert (Ctrl+Shift+I), and an .onnx
 * inpainter dropped on the editor.
 */

const VIEWPORT = { width: 1440, height: 900 };
const SQUARE = 80;
const isRed = (r: number, g: number, b: number) => r > 200 && g < 60 && b < 60;

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

const prng = mulberry32;

/** Smooth value noise in [0, 1] on a grid of `cell` px, bilinearly interpolated. */
function valueNoise(w: number, h: number, cell: number, rand: () => number) {
  const gw = Math.ceil(w / cell) + 2, gh = Math.ceil(h / cell) + 2;
  const grid = Float32Array.from({ length: gw * gh }, rand);
  return (x: number, y: number) => {
    const gx = x / cell, gy = y / cell;
    const x0 = Math.floor(gx), y0 = Math.floor(gy);
    const fx = gx - x0, fy = gy - y0;
    const sx = fx * fx * (3 - 2 * fx), sy = fy * fy * (3 - 2 * fy);
    const v = (i: number, j: number) => grid[j * gw + i]!;
    const top = v(x0, y0) + (v(x0 + 1, y0) - v(x0, y0)) * sx;
    const bottom = v(x0, y0 + 1) + (v(x0 + 1, y0 + 1) - v(x0, y0 + 1)) * sx;
    return top + (bottom - top) * sy;
  };
}

interface Photo { png: Uint8Array; rgba: Uint8Array; width: number; height: number; square: { x: number; y: number } }

/**
 * A photo-like landscape (a sky gradient with clouds, rolling hills with texture and grain), no red anywhere
 * (green stays ≥ 90), with a pure-red 80×80 square pasted at `square`.
 */
async function photo(width: number, height: number, square: { x: number; y: number }, seed = 7): Promise<Photo> {
  const rand = prng(seed);
  const scale = Math.max(width, height) / 640;
  const clouds = valueNoise(width, height, 90 * scale, rand);
  const hills = valueNoise(width, 1, 160 * scale, rand);
  const texture = valueNoise(width, height, 9 * scale, rand);
  const patches = valueNoise(width, height, 45 * scale, rand);
  const rgba = new Uint8Array(width * height * 4);
  const clamp = (v: number) => Math.max(0, Math.min(255, Math.round(v)));
  for (let y = 0; y < height; y++) {
    const t = y / height;
    for (let x = 0; x < width; x++) {
      const horizon = height * (0.5 + 0.14 * (hills(x, 0) - 0.5) + 0.03 * Math.sin(x / (70 * scale)));
      const grain = (rand() - 0.5) * 8;
      let r: number, g: number, b: number;
      if (y < horizon) {
        const c = Math.max(0, clouds(x, y) - 0.45) * 1.6;
        r = 72 + 110 * t + 90 * c; g = 118 + 80 * t + 70 * c; b = 188 + 30 * t + 45 * c;
      } else {
        const d = (y - horizon) / (height - horizon);
        const tex = texture(x, y) - 0.5, p = patches(x, y);
        r = 58 + 55 * p + 40 * tex - 20 * d; g = 112 + 38 * p + 34 * tex - 14 * d; b = 44 + 22 * p + 20 * tex;
      }
      const i = (y * width + x) * 4;
      rgba[i] = clamp(r + grain); rgba[i + 1] = Math.max(90, clamp(g + grain)); rgba[i + 2] = clamp(b + grain); rgba[i + 3] = 255;
    }
  }
  for (let y = square.y; y < square.y + SQUARE; y++) {
    for (let x = square.x; x < square.x + SQUARE; x++) rgba.set([255, 0, 0, 255], (y * width + x) * 4);
  }
  const png = await sharp(rgba, { raw: { width, height, channels: 4 } }).png({ compressionLevel: 3 }).toBuffer();
  return { png: new Uint8Array(png), rgba, width, height, square };
}

/** Drops a file from disk on the canvas, as a user dragging it from the file manager does. */
async function dropFile(page: Page, path: string) {
  const input = await page.evaluateHandle(() => {
    const i = document.createElement('input');
    i.type = 'file';
    i.style.display = 'none';
    document.body.append(i);
    return i;
  });
  await input.asElement()!.setInputFiles(path);
  await page.locator('[data-testid=canvas]').evaluate((el, i) => {
    const dt = new DataTransfer();
    for (const f of Array.from((i as HTMLInputElement).files ?? [])) dt.items.add(f);
    for (const type of ['dragenter', 'dragover', 'drop']) el.dispatchEvent(new DragEvent(type, { bubbles: true, cancelable: true, dataTransfer: dt }));
    (i as HTMLInputElement).remove();
  }, input);
}

async function open(home: string): Promise<{ page: Page; served: Served; project: string; errors: string[] }> {
  const project = join(home, 'inpaint.ganvas');
  const served = await startServe(home, project);
  const page = await browser.newPage({ viewport: VIEWPORT });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(served.url);
  await page.locator('[data-testid=status]').waitFor();
  return { page, served, project, errors };
}

/** Drops the photo, waits for its layer and for the view to fit it; returns the image → screen transform. */
async function openPhoto(page: Page, home: string, p: Photo) {
  const file = join(home, `photo-${p.width}x${p.height}.png`);
  writeFileSync(file, p.png);
  const layers = page.locator('[data-testid=layer]');
  const before = await layers.count();
  await dropFile(page, file);
  await expect.poll(() => layers.count(), { timeout: 60_000 }).toBe(before + 1);
  const canvas = page.locator('[data-testid=canvas]');
  const box = (await canvas.boundingBox())!;
  // The first image sizes the document and the view fits it: scale = min(90% of the canvas / image, 8).
  const fitted = Math.min((box.width * 0.9) / p.width, (box.height * 0.9) / p.height, 8);
  await expect.poll(async () => Math.abs(Number(await canvas.getAttribute('data-scale')) - fitted)).toBeLessThan(1e-6);
  const layer = layers.first();
  await expect.poll(() => layer.getAttribute('data-name')).toBe(file.split('/').at(-1));
  const [scale, vx, vy, lx, ly] = await Promise.all([
    canvas.getAttribute('data-scale'), canvas.getAttribute('data-x'), canvas.getAttribute('data-y'), layer.getAttribute('data-x'), layer.getAttribute('data-y'),
  ]).then((v) => v.map(Number) as [number, number, number, number, number]);
  return { scale, ox: box.x + vx + lx * scale, oy: box.y + vy + ly * scale };
}

type View = Awaited<ReturnType<typeof openPhoto>>;

/**
 * Screen points (whole CSS px, as a mouse gives) for a drag that masks image pixels [x0, x1) × [y0, y1). The
 * rectangle tool fills the whole pixels a drag touches, so when a screen pixel is smaller than an image pixel
 * the drag can land inside the edge pixels and the mask is exact; zoomed out it lands just outside them, and
 * the mask covers the square and at most one screen pixel's worth of image beyond each side.
 */
function dragFor(v: View, x0: number, y0: number, x1: number, y1: number) {
  const exact = v.scale > 1.05;
  const lo = (o: number, c: number) => (exact ? Math.ceil(o + (c + 0.02) * v.scale) : Math.floor(o + c * v.scale - 0.02));
  const hi = (o: number, c: number) => (exact ? Math.floor(o + (c - 0.02) * v.scale) : Math.ceil(o + c * v.scale + 0.02));
  return { from: { x: lo(v.ox, x0), y: lo(v.oy, y0) }, to: { x: hi(v.ox, x1), y: hi(v.oy, y1) }, exact, slack: exact ? 0 : Math.ceil(1 / v.scale) + 1 };
}

async function drag(page: Page, from: { x: number; y: number }, to: { x: number; y: number }) {
  await page.mouse.move(from.x, from.y);
  await page.mouse.down();
  await page.mouse.move((from.x + to.x) / 2, (from.y + to.y) / 2, { steps: 4 });
  await page.mouse.move(to.x, to.y, { steps: 4 });
  await page.mouse.up();
}

const maskPixels = async (page: Page) => Number(await page.locator('[data-testid=canvas]').getAttribute('data-mask-pixels'));

/** The Inpaint action is on screen at 1440×900 without scrolling anything. */
async function expectInpaintVisible(page: Page) {
  const button = page.locator('[data-testid=inpaint]');
  await expect.poll(() => button.isVisible()).toBe(true);
  const b = (await button.boundingBox())!;
  expect(b.x).toBeGreaterThanOrEqual(0);
  expect(b.y).toBeGreaterThanOrEqual(0);
  expect(b.x + b.width).toBeLessThanOrEqual(VIEWPORT.width);
  expect(b.y + b.height).toBeLessThanOrEqual(VIEWPORT.height);
  // Nothing covers it: the element at its centre is the button (or inside it).
  const hit = await page.evaluate(({ x, y }) => !!document.elementFromPoint(x, y)?.closest('[data-testid=inpaint]'), { x: b.x + b.width / 2, y: b.y + b.height / 2 });
  expect(hit).toBe(true);
}

/** Reads the last edit (an inpaint) back from the project file: source and result pixels, and the mask sent. */
async function readInpaint(project: string) {
  const store = ProjectStore.open(project);
  try {
    const state = store.state();
    const { op } = store.edit(state.headEditId!);
    if (op.kind !== 'inpaint') throw new Error(`the last edit is ${op.kind}, not an inpaint`);
    const source = state.layers.find((l) => l.id === op.sourceId)!;
    const result = state.layers.find((l) => l.id === op.layer.id)!;
    const src = await decodeRgba(store.getAsset(source.assetHash).bytes);
    const out = await decodeRgba(store.getAsset(result.assetHash).bytes);
    const mask = await decodeMask(store.getAsset(op.maskHash).bytes, source.width, source.height);
    return { op, source, result, src, out, mask };
  } finally {
    store.close();
  }
}

/** The box around the mask's pixels; checks the mask is exactly that (filled) rectangle. */
function maskRect(mask: Uint8Array, w: number, h: number) {
  let x0 = w, y0 = h, x1 = 0, y1 = 0, n = 0;
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    if (!mask[y * w + x]) continue;
    n++;
    x0 = Math.min(x0, x); y0 = Math.min(y0, y); x1 = Math.max(x1, x + 1); y1 = Math.max(y1, y + 1);
  }
  return { x0, y0, x1, y1, n, filled: n === (x1 - x0) * (y1 - y0) };
}

async function removeRedSquare(width: number, height: number, square: { x: number; y: number }) {
  const home = tempDir();
  const p = await photo(width, height, square);
  let red = 0;
  for (let i = 0; i < p.rgba.length; i += 4) if (isRed(p.rgba[i]!, p.rgba[i + 1]!, p.rgba[i + 2]!)) red++;
  expect(red, 'the photo is red only in the pasted square').toBe(SQUARE * SQUARE);

  const { page, served, project, errors } = await open(home);
  try {
    const view = await openPhoto(page, home, p);
    await expectInpaintVisible(page);
    await expect.poll(() => page.locator('[data-testid=inpaint-model]').inputValue()).toBe('inpaint256');

    // The rectangle mask tool (M), dragged over the square from its top-left to its bottom-right corner.
    await page.keyboard.press('m');
    await expect.poll(() => page.locator('[data-testid=canvas]').getAttribute('data-tool')).toBe('rect');
    const d = dragFor(view, square.x, square.y, square.x + SQUARE, square.y + SQUARE);
    await drag(page, d.from, d.to);
    if (d.exact) await expect.poll(() => maskPixels(page)).toBe(SQUARE * SQUARE);
    else await expect.poll(() => maskPixels(page)).toBeGreaterThanOrEqual(SQUARE * SQUARE);

    await page.locator('[data-testid=inpaint]').click();
    await expect.poll(() => page.locator('[data-testid=layer]').count(), { timeout: 180_000 }).toBe(2);
    const shots = join(import.meta.dirname, '..', 'dist', 'e2e');
    mkdirSync(shots, { recursive: true });
    await page.screenshot({ path: join(shots, `inpaint-${width}x${height}.png`) });

    const { op, source, src, out, mask } = await readInpaint(project);
    expect(op.model.id).toBe('inpaint256');
    expect([source.width, source.height]).toEqual([width, height]);
    expect(Buffer.compare(Buffer.from(src.data), Buffer.from(p.rgba)), 'the source layer holds the photo as dropped').toBe(0);

    // The mask the engine received: a filled rectangle covering the square (exactly, when the view allowed it).
    const m = maskRect(mask, width, height);
    expect(m.filled).toBe(true);
    expect(m.x0).toBeLessThanOrEqual(square.x);
    expect(m.y0).toBeLessThanOrEqual(square.y);
    expect(m.x1).toBeGreaterThanOrEqual(square.x + SQUARE);
    expect(m.y1).toBeGreaterThanOrEqual(square.y + SQUARE);
    expect(square.x - m.x0).toBeLessThanOrEqual(d.slack);
    expect(square.y - m.y0).toBeLessThanOrEqual(d.slack);
    expect(m.x1 - (square.x + SQUARE)).toBeLessThanOrEqual(d.slack);
    expect(m.y1 - (square.y + SQUARE)).toBeLessThanOrEqual(d.slack);

    // No red anywhere in the result, the former square included; and away from the mask (8 px beyond its edge
    // plus the blend band) every pixel is exactly the photo's.
    const far = 8 + op.params.feather;
    const reds: string[] = [];
    let red = 0, redInSquare = 0, changedFar = 0, firstChanged = '';
    for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      if (isRed(out.data[i]!, out.data[i + 1]!, out.data[i + 2]!)) {
        if (red++ < 5) reds.push(`(${x}, ${y}) = ${out.data[i]},${out.data[i + 1]},${out.data[i + 2]}`);
        if (x >= square.x && x < square.x + SQUARE && y >= square.y && y < square.y + SQUARE) redInSquare++;
      }
      const dist = Math.max(m.x0 - x, x - (m.x1 - 1), m.y0 - y, y - (m.y1 - 1));
      if (dist > far && (out.data[i] !== src.data[i] || out.data[i + 1] !== src.data[i + 1] || out.data[i + 2] !== src.data[i + 2] || out.data[i + 3] !== src.data[i + 3])) {
        if (!changedFar) firstChanged = `(${x}, ${y})`;
        changedFar++;
      }
    }
    expect(redInSquare, `red pixels left inside the former square (${red} in all), e.g. ${reds.join('; ')}`).toBe(0);
    expect(red, `red pixels in the result, e.g. ${reds.join('; ')}`).toBe(0);
    expect(changedFar, `pixels changed more than ${far} px from the mask, first at ${firstChanged}`).toBe(0);
    expect(errors).toEqual([]);
  } finally {
    await page.close();
    await served.stop();
  }
}

describe('inpainting in Chromium against the real engine and the shipped inpainter', () => {
  it('removes a pasted red square from a 640×427 photo: rectangle mask dragged on the canvas, Inpaint in the toolbar', async () => {
    await removeRedSquare(640, 427, { x: 301, y: 173 });
  });

  it('removes a pasted red square from a 4000×3000 photo, masked in the zoomed-out view', async () => {
    await removeRedSquare(4000, 3000, { x: 2611, y: 1337 });
  }, 420_000);

  it('undoes and redoes mask changes with Ctrl+Z / Ctrl+Shift+Z while a mask tool is active, inverts with Ctrl+Shift+I, then falls back to the project undo', async () => {
    const home = tempDir();
    const p = await photo(640, 427, { x: 120, y: 90 }, 3);
    const W = p.width, H = p.height, n = SQUARE * SQUARE;
    const { page, served, project, errors } = await open(home);
    let fileChoosers = 0;
    page.on('filechooser', () => fileChoosers++);
    try {
      const view = await openPhoto(page, home, p);
      await expectInpaintVisible(page);
      const layers = page.locator('[data-testid=layer]');
      const undoLabel = () => page.locator('[data-testid=undo]').getAttribute('aria-label');

      await page.keyboard.press('m');
      const d = dragFor(view, p.square.x, p.square.y, p.square.x + SQUARE, p.square.y + SQUARE);
      expect(d.exact).toBe(true);
      await drag(page, d.from, d.to);
      await expect.poll(() => maskPixels(page)).toBe(n);
      expect(await undoLabel()).toBe('Undo mask change');

      // Ctrl+Shift+I inverts the mask (and does not open the import picker, which is Ctrl+I).
      await page.keyboard.press('Control+Shift+I');
      await expect.poll(() => maskPixels(page)).toBe(W * H - n);
      // Undo / redo of the invert, then undo it again.
      await page.keyboard.press('Control+z');
      await expect.poll(() => maskPixels(page)).toBe(n);
      await page.keyboard.press('Control+Shift+Z');
      await expect.poll(() => maskPixels(page)).toBe(W * H - n);
      await page.keyboard.press('Control+z');
      await expect.poll(() => maskPixels(page)).toBe(n);

      // A brush stroke (B) elsewhere is one undo step, however many dabs it took.
      await page.keyboard.press('b');
      await expect.poll(() => page.locator('[data-testid=canvas]').getAttribute('data-tool')).toBe('brush');
      const at = (x: number, y: number) => ({ x: Math.round(view.ox + x * view.scale), y: Math.round(view.oy + y * view.scale) });
      await page.mouse.move(at(380, 250).x, at(380, 250).y);
      await page.mouse.down();
      await page.mouse.move(at(480, 300).x, at(480, 300).y, { steps: 12 });
      await page.mouse.move(at(560, 240).x, at(560, 240).y, { steps: 12 });
      await page.mouse.up();
      await expect.poll(() => maskPixels(page)).toBeGreaterThan(n + 2000);
      await page.keyboard.press('Control+z');
      await expect.poll(() => maskPixels(page)).toBe(n);
      // The rectangle too; with no mask change left, the buttons speak of the project again.
      await page.keyboard.press('Control+z');
      await expect.poll(() => maskPixels(page)).toBe(0);
      expect(await undoLabel()).toBe('Undo Import photo-640x427.png');
      await page.keyboard.press('Control+Shift+Z');
      await expect.poll(() => maskPixels(page)).toBe(n);
      expect(await layers.count()).toBe(1);

      // With the move tool, Ctrl+Z / Ctrl+Shift+Z are the project's even though the mask has steps to undo.
      await page.keyboard.press('v');
      await page.keyboard.press('Control+z');
      await expect.poll(() => layers.count()).toBe(0);
      await page.keyboard.press('Control+Shift+Z');
      await expect.poll(() => layers.count()).toBe(1);
      await expect.poll(() => maskPixels(page)).toBe(n);

      // What is left of all that is the rectangle, exactly: it is what the engine gets.
      await page.keyboard.press('m');
      await page.locator('[data-testid=inpaint]').click();
      await expect.poll(() => layers.count(), { timeout: 60_000 }).toBe(2);
      const { mask } = await readInpaint(project);
      expect(maskRect(mask, W, H)).toEqual({ x0: p.square.x, y0: p.square.y, x1: p.square.x + SQUARE, y1: p.square.y + SQUARE, n, filled: true });

      // The inpaint used the mask up: Ctrl+Z (move tool again) undoes the inpaint; with a mask tool and an empty
      // mask history, it undoes the import.
      await page.keyboard.press('Control+z');
      await expect.poll(() => layers.count()).toBe(1);
      await page.keyboard.press('m');
      expect(await maskPixels(page)).toBe(0);
      await page.keyboard.press('Control+z');
      await expect.poll(() => layers.count()).toBe(0);
      expect(fileChoosers).toBe(0);
      expect(errors).toEqual([]);
    } finally {
      await page.close();
      await served.stop();
    }
  });

  it('imports an .onnx inpainter dropped on the editor; the model picker offers it and inpainting uses it', async () => {
    const home = tempDir();
    const p = await photo(640, 427, { x: 400, y: 200 }, 5);
    const { page, served, project, errors } = await open(home);
    try {
      const view = await openPhoto(page, home, p);
      const picker = page.locator('[data-testid=inpaint-model]');
      await expect.poll(() => picker.inputValue()).toBe('inpaint256');

      const onnx = join(home, 'my-inpainter.onnx');
      const shipped = join(import.meta.dirname, '..', 'assets', 'models', 'inpaint256', 'inpainter.onnx');
      expect(existsSync(shipped)).toBe(true);
      copyFileSync(shipped, onnx);
      await dropFile(page, onnx);
      const options = () => picker.locator('option').evaluateAll((els) => els.map((e) => (e as HTMLOptionElement).value));
      await expect.poll(options, { timeout: 60_000 }).toEqual(expect.arrayContaining(['inpaint256', 'my-inpainter']));
      expect(await page.locator('[data-testid=layer]').count(), 'a model is not a layer').toBe(1);
      expect(existsSync(join(home, 'models', 'my-inpainter', 'model.json'))).toBe(true);
      // It is chosen on import; it can be chosen again after picking another.
      await expect.poll(() => picker.inputValue()).toBe('my-inpainter');
      await picker.selectOption('inpaint256');
      await picker.selectOption('my-inpainter');

      await page.keyboard.press('m');
      const d = dragFor(view, p.square.x, p.square.y, p.square.x + SQUARE, p.square.y + SQUARE);
      await drag(page, d.from, d.to);
      await expect.poll(() => maskPixels(page)).toBe(SQUARE * SQUARE);
      await page.locator('[data-testid=inpaint]').click();
      await expect.poll(() => page.locator('[data-testid=layer]').count(), { timeout: 60_000 }).toBe(2);
      const { op } = await readInpaint(project);
      expect(op.model.id).toBe('my-inpainter');
      expect(errors).toEqual([]);
    } finally {
      await page.close();
      await served.stop();
    }
  });
});
