/// <reference lib="dom" />
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makePng, tempDir } from '../test/helpers.js';
import { launchChromium, startServe, type Served } from './harness.js';

/**
 * The editor's behaviour as issue 15 asks, in Chromium against the real `ganvas serve`: the view stays where the
 * user put it across edits, a layer drag right after a Space-drag pan moves the layer on the first try, undo and
 * redo work from a focused slider, Ctrl+Shift+I inverts the mask, panels fold, and the menu lists the commands.
 */

const VIEWPORT = { width: 1440, height: 900 };
const shots = join(import.meta.dirname, '..', 'dist', 'e2e');

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
  mkdirSync(shots, { recursive: true });
});
afterAll(async () => {
  await browser?.close();
});

async function open(home: string): Promise<{ page: Page; served: Served; errors: string[] }> {
  const served = await startServe(home, join(home, 'editor.ganvas'));
  const page = await browser.newPage({ viewport: VIEWPORT });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(served.url);
  await page.locator('[data-testid=status]').waitFor();
  await expect.poll(() => page.locator('[data-testid=project-name]').textContent()).toBe('editor');
  return { page, served, errors };
}

async function dropPng(page: Page, name: string, bytes: Uint8Array) {
  const before = await page.locator('[data-testid=layer]').count();
  await page.locator('[data-testid=canvas]').evaluate((el, f) => {
    const dt = new DataTransfer();
    dt.items.add(new File([new Uint8Array(f.bytes)], f.name, { type: 'image/png' }));
    for (const type of ['dragenter', 'dragover', 'drop']) el.dispatchEvent(new DragEvent(type, { bubbles: true, cancelable: true, dataTransfer: dt }));
  }, { name, bytes: Array.from(bytes) });
  await expect.poll(() => page.locator('[data-testid=layer]').count(), { timeout: 30_000 }).toBe(before + 1);
}

const view = async (page: Page) => {
  const c = page.locator('[data-testid=canvas]');
  const [scale, x, y] = await Promise.all([c.getAttribute('data-scale'), c.getAttribute('data-x'), c.getAttribute('data-y')]);
  return { scale: Number(scale), x: Number(x), y: Number(y) };
};

const layer = async (page: Page, i = 0) => {
  const l = page.locator('[data-testid=layer]').nth(i);
  const [x, y, visible, opacity] = await Promise.all([l.getAttribute('data-x'), l.getAttribute('data-y'), l.getAttribute('data-visible'), l.getAttribute('data-opacity')]);
  return { x: Number(x), y: Number(y), visible: visible === 'true', opacity: Number(opacity) };
};

const maskPixels = async (page: Page) => Number(await page.locator('[data-testid=canvas]').getAttribute('data-mask-pixels'));

describe('the editor keeps the view, the keys and the panels as users expect (issue 15)', () => {
  it('keeps zoom and pan across hide, move, inpaint and undo; a drag right after a Space-drag pan moves the layer at once', async () => {
    const home = tempDir();
    const { page, served, errors } = await open(home);
    try {
      // Two layers: a 400×300 photo and a 200×150 patch on its top-left quarter (selected, being the newest).
      await dropPng(page, 'photo.png', await makePng(400, 300, 11));
      await dropPng(page, 'patch.png', await makePng(200, 150, 12));
      const canvas = page.locator('[data-testid=canvas]');
      const box = (await canvas.boundingBox())!;
      const cx = Math.round(box.x + box.width / 2), cy = Math.round(box.y + box.height / 2);
      const fitted = await view(page);

      // Zoom in around the centre with the wheel.
      await page.mouse.move(cx, cy);
      await page.mouse.wheel(0, -300);
      await expect.poll(async () => (await view(page)).scale).toBeGreaterThan(fitted.scale * 1.5);

      // Pan with Space held.
      const zoomed = await view(page);
      await page.keyboard.down('Space');
      await page.mouse.move(cx, cy);
      await page.mouse.down();
      await page.mouse.move(cx - 40, cy - 20, { steps: 5 });
      await page.mouse.move(cx - 80, cy - 40, { steps: 5 });
      await page.mouse.up();
      await page.keyboard.up('Space');
      await expect.poll(async () => (await view(page)).x).toBeCloseTo(zoomed.x - 80, 0);
      const panned = await view(page);
      expect(panned.scale).toBe(zoomed.scale);
      expect(panned.y).toBeCloseTo(zoomed.y - 40, 0);

      // The very next drag, on the photo (not the selected layer), moves the photo on the first try and leaves
      // the view alone.
      const photo = () => layer(page, 1);
      const start = await photo();
      // A point of the photo outside the patch: document (345, 200), on screen through the view.
      const [px, py] = [Math.round(box.x + panned.x + 345 * panned.scale), Math.round(box.y + panned.y + 200 * panned.scale)];
      expect(px).toBeLessThan(box.x + box.width - 70);
      expect(py).toBeLessThan(box.y + box.height - 40);
      await page.mouse.move(px, py);
      await page.mouse.down();
      await page.mouse.move(px + 30, py + 15, { steps: 5 });
      await page.mouse.move(px + 60, py + 30, { steps: 5 });
      await page.mouse.up();
      await expect.poll(async () => (await photo()).x, { timeout: 5000 }).not.toBe(start.x);
      const moved = await photo();
      expect(Math.abs(moved.x - start.x - 60 / panned.scale)).toBeLessThanOrEqual(1);
      expect(Math.abs(moved.y - start.y - 30 / panned.scale)).toBeLessThanOrEqual(1);
      await expect.poll(() => page.locator('[data-testid=undo]').getAttribute('aria-label')).toBe('Undo Move photo.png');
      expect(await page.locator('[data-testid=layer].selected').getAttribute('data-name')).toBe('photo.png');
      expect(await view(page)).toEqual(panned);
      // A click that does not move a layer records no edit.
      await page.mouse.click(px, py);
      await page.waitForTimeout(300);
      expect(await page.locator('[data-testid=undo]').getAttribute('aria-label')).toBe('Undo Move photo.png');

      // Hide and show: the view stays.
      await page.locator('[data-testid=toggle-visible]').first().click();
      await expect.poll(async () => (await layer(page, 0)).visible).toBe(false);
      expect(await view(page)).toEqual(panned);
      await page.locator('[data-testid=toggle-visible]').first().click();
      await expect.poll(async () => (await layer(page, 0)).visible).toBe(true);
      expect(await view(page)).toEqual(panned);

      // Inpaint a rectangle dragged on the zoomed view (Enter): a new layer, and the view has not moved.
      await page.keyboard.press('m');
      await page.mouse.move(cx - 30, cy - 30);
      await page.mouse.down();
      await page.mouse.move(cx + 30, cy + 30, { steps: 4 });
      await page.mouse.up();
      await expect.poll(() => maskPixels(page)).toBeGreaterThan(0);
      await page.keyboard.press('Enter');
      await expect.poll(() => page.locator('[data-testid=layer]').count(), { timeout: 120_000 }).toBe(3);
      await expect.poll(() => page.locator('[data-testid=undo]').getAttribute('aria-label')).toMatch(/^Undo Inpaint/);
      expect(await view(page)).toEqual(panned);
      await page.screenshot({ path: join(shots, 'view-kept.png') });

      // Undo the inpaint: still the same view.
      await page.keyboard.press('Control+z');
      await expect.poll(() => page.locator('[data-testid=layer]').count()).toBe(2);
      expect(await view(page)).toEqual(panned);

      // Ctrl+0 is what fits.
      await page.keyboard.press('Control+0');
      await expect.poll(async () => (await view(page)).scale).toBeCloseTo(fitted.scale, 6);
      expect(errors).toEqual([]);
    } finally {
      await page.close();
      await served.stop();
    }
  });

  it('undoes and redoes from a focused slider, inverts the mask with Ctrl+Shift+I (not the file picker), folds panels, lists commands in the menu', async () => {
    const home = tempDir();
    const { page, served, errors } = await open(home);
    let fileChoosers = 0;
    page.on('filechooser', () => fileChoosers++);
    try {
      await dropPng(page, 'photo.png', await makePng(320, 240, 5));
      const focused = () => page.evaluate(() => document.activeElement?.getAttribute('data-testid') ?? null);

      // Opacity to about 50% by clicking the slider: it keeps the focus, and Ctrl+Z / Ctrl+Shift+Z still work.
      const opacity = page.locator('[data-testid=layer-opacity]');
      await opacity.click();
      await expect.poll(async () => (await layer(page)).opacity).toBeCloseTo(0.5, 1);
      expect(await focused()).toBe('layer-opacity');
      await page.keyboard.press('Control+z');
      await expect.poll(async () => (await layer(page)).opacity).toBe(1);
      await page.keyboard.press('Control+Shift+Z');
      await expect.poll(async () => (await layer(page)).opacity).toBeCloseTo(0.5, 1);
      await page.keyboard.press('Control+y');
      await page.keyboard.press('Control+z');
      await expect.poll(async () => (await layer(page)).opacity).toBe(1);
      expect(await focused()).toBe('layer-opacity');

      // Space-drag pans from the focused slider too, and leaves the slider's value alone.
      const cbox = (await page.locator('[data-testid=canvas]').boundingBox())!;
      const v0 = await view(page);
      await page.keyboard.down('Space');
      await page.mouse.move(cbox.x + 300, cbox.y + 300);
      await page.mouse.down();
      await page.mouse.move(cbox.x + 350, cbox.y + 320, { steps: 5 });
      await page.mouse.up();
      await page.keyboard.up('Space');
      await expect.poll(async () => (await view(page)).x).toBeCloseTo(v0.x + 50, 0);
      expect((await layer(page)).opacity).toBe(1);

      // Tool keys work from a slider too; a rectangle mask, then Ctrl+Shift+I from the focused brush-size slider.
      await page.keyboard.press('m');
      await expect.poll(() => page.locator('[data-testid=canvas]').getAttribute('data-tool')).toBe('rect');
      const box = (await page.locator('[data-testid=canvas]').boundingBox())!;
      const v = await view(page);
      const at = (x: number, y: number) => [Math.round(box.x + v.x + x * v.scale), Math.round(box.y + v.y + y * v.scale)] as const;
      await page.mouse.move(...at(40.5, 30.5));
      await page.mouse.down();
      await page.mouse.move(...at(100.5, 90.5), { steps: 4 });
      await page.mouse.up();
      const n = await maskPixels(page);
      expect(n).toBeGreaterThan(3000);
      await page.locator('[data-testid=brush-size]').click();
      expect(await focused()).toBe('brush-size');
      await page.keyboard.press('Control+Shift+I');
      await expect.poll(() => maskPixels(page)).toBe(320 * 240 - n);
      await page.keyboard.press('Control+z');
      await expect.poll(() => maskPixels(page)).toBe(n);
      await page.keyboard.press('Control+Shift+Z');
      await expect.poll(() => maskPixels(page)).toBe(320 * 240 - n);
      expect(fileChoosers).toBe(0);

      // Tooltips and the menu read the command table.
      expect(await page.locator('[data-testid=mask-invert]').getAttribute('data-tip')).toBe('Invert mask  (Ctrl+Shift+I)');
      expect(await page.locator('[data-testid=undo]').getAttribute('data-tip')).toBe('Undo mask change  (Ctrl+Z)');
      await page.locator('[data-testid=menu]').click();
      const item = page.locator('[data-testid=menu-list] [data-command="mask.invert"]');
      expect(await item.textContent()).toBe('Invert maskCtrl+Shift+I');
      await page.screenshot({ path: join(shots, 'menu.png') });
      await item.click();
      await expect.poll(() => maskPixels(page)).toBe(n);
      await expect.poll(() => page.locator('[data-testid=menu-list]').count()).toBe(0);

      // Panels fold away and come back; the state survives a reload.
      await page.locator('[data-testid=fold-props]').click();
      await expect.poll(() => page.locator('[data-testid=panel-props]').getAttribute('data-open')).toBe('false');
      expect(await page.locator('[data-testid=layer-opacity]').count()).toBe(0);
      await page.reload();
      await page.locator('[data-testid=layer]').first().waitFor();
      expect(await page.locator('[data-testid=panel-props]').getAttribute('data-open')).toBe('false');
      await page.locator('[data-testid=fold-props]').click();
      await expect.poll(() => page.locator('[data-testid=layer-opacity]').count()).toBe(1);

      // Ctrl+I (no Shift) is the import picker.
      await page.locator('body').click({ position: { x: 5, y: 400 } });
      const chooser = page.waitForEvent('filechooser');
      await page.keyboard.press('Control+i');
      await chooser;
      expect(fileChoosers).toBe(1);
      expect(errors).toEqual([]);
    } finally {
      await page.close();
      await served.stop();
    }
  });

  it('latent studio: typed and stepped seeds, samples placed apart, ±3σ sliders, undo from a direction slider, compare shows the previous state, directions follow the project', async () => {
    const home = tempDir();
    const { page, served, errors } = await open(home);
    try {
      const samples = page.locator('[data-testid=sample]');
      await expect.poll(() => samples.count(), { timeout: 30_000 }).toBe(8);

      // Type a seed; step back and forth a page of 8.
      await page.locator('[data-testid=seed-input]').fill('42');
      await page.locator('[data-testid=seed-input]').press('Enter');
      await expect.poll(() => samples.first().getAttribute('data-seed'), { timeout: 20_000 }).toBe('42');
      await page.locator('[data-testid=seed-prev]').click();
      await expect.poll(() => samples.first().getAttribute('data-seed'), { timeout: 20_000 }).toBe('34');
      await page.locator('[data-testid=more-samples]').click();
      await expect.poll(() => samples.first().getAttribute('data-seed'), { timeout: 20_000 }).toBe('42');
      expect(await page.locator('[data-testid=seed-input]').inputValue()).toBe('42');

      // Three samples and a variation: four layers, no two at the same spot, all inside the document.
      const layers = page.locator('[data-testid=layer]');
      for (const [i, seed] of [42, 43, 44].entries()) {
        await page.locator(`[data-testid=sample][data-seed="${seed}"]`).dblclick();
        await expect.poll(() => layers.count(), { timeout: 20_000 }).toBe(i + 1);
      }
      await page.locator('[data-testid=variations]').click();
      await expect.poll(() => page.locator('[data-testid=variation]').count(), { timeout: 20_000 }).toBe(4);
      await page.locator('[data-testid=variation]').first().click();
      await expect.poll(() => layers.count(), { timeout: 20_000 }).toBe(4);
      const spots = () => layers.evaluateAll((els) => els.map((e) => ['x', 'y', 'width', 'height'].map((k) => Number(e.getAttribute(`data-${k}`))) as [number, number, number, number]));
      await expect.poll(async () => new Set((await spots()).map(([x, y]) => `${x},${y}`)).size, { timeout: 10_000 }).toBe(4);
      const size = await page.locator('[data-testid=status]').textContent();
      const [W, H] = size!.match(/(\d+)×(\d+)/)!.slice(1).map(Number) as [number, number];
      const rects = await spots();
      for (const [i, [x, y, w, h]] of rects.entries()) {
        for (const [X, Y, Wd, Ht] of rects.slice(i + 1)) expect(Math.min(x + w, X + Wd) <= Math.max(x, X) || Math.min(y + h, Y + Ht) <= Math.max(y, Y), `${[x, y]} overlaps ${[X, Y]}`).toBe(true);
        expect(x).toBeGreaterThanOrEqual(0);
        expect(y).toBeGreaterThanOrEqual(0);
        expect(x + w).toBeLessThanOrEqual(W);
        expect(y + h).toBeLessThanOrEqual(H);
      }

      // The selected (top) layer's pixels on the canvas, on a 7×7 grid inside it.
      const top = layers.first();
      const onCanvas = async () => {
        const v = await view(page);
        const [x, y, w, h] = (await spots())[0]!;
        return page.evaluate(({ x0, y0, s }) => {
          const g = document.querySelector<HTMLCanvasElement>('[data-testid=canvas] canvas')!.getContext('2d')!;
          const out: number[] = [];
          for (let j = 1; j < 8; j++) for (let i = 1; i < 8; i++) out.push(...g.getImageData(Math.round(x0 + (s * i) / 8), Math.round(y0 + (s * j) / 8), 1, 1).data.slice(0, 3));
          return out.join(',');
        }, { x0: v.x + x * v.scale, y0: v.y + y * v.scale, s: Math.min(w, h) * v.scale });
      };
      // Drawn once most of the grid is no longer the empty document's checkerboard.
      const checker = (px: string) => (px.match(/(?:^|,)(?:58,58,64|46,46,51)(?=,|$)/g) ?? []).length;
      await expect.poll(async () => checker(await onCanvas()), { timeout: 10_000 }).toBeLessThan(10);
      const placed = await onCanvas();

      // Directions: sliders run ±3σ by default, further on request.
      await page.locator('[data-testid=find-ganspace]').click();
      const sliders = page.locator('[data-testid=direction-slider]');
      await expect.poll(() => sliders.count(), { timeout: 30_000 }).toBe(5);
      expect([await sliders.first().getAttribute('min'), await sliders.first().getAttribute('max')]).toEqual(['-3', '3']);
      await page.locator('[data-testid=slider-range]').selectOption('5');
      expect(await sliders.first().getAttribute('max')).toBe('5');
      await page.locator('[data-testid=slider-range]').selectOption('3');
      await page.locator('[data-testid=show-extremes]').click();
      await expect.poll(() => page.locator('[data-testid=extreme]').count(), { timeout: 30_000 }).toBe(10);
      expect((await page.locator('[data-testid=extreme]').first().boundingBox())!.width).toBeGreaterThanOrEqual(44);
      // Hover enlarges a preview to 192 px beside the panel.
      await page.locator('[data-testid=extreme]').first().hover();
      await expect.poll(async () => (await page.locator('[data-testid=zoom-preview]').boundingBox())?.width).toBe(192);
      await page.screenshot({ path: join(shots, 'latent-hover.png') });

      // Drag the first slider: one edit; the layer keeps its id and gets new pixels.
      const hash = await top.getAttribute('data-asset');
      const undoLabel = () => page.locator('[data-testid=undo]').getAttribute('aria-label');
      const labelBefore = await undoLabel();
      const slider = sliders.first();
      await slider.scrollIntoViewIfNeeded();
      const sb = (await slider.boundingBox())!;
      await page.mouse.move(sb.x + sb.width / 2, sb.y + sb.height / 2);
      await page.mouse.down();
      for (let i = 1; i <= 12; i++) await page.mouse.move(sb.x + sb.width / 2 + i * (sb.width / 28), sb.y + sb.height / 2);
      await page.mouse.up();
      await expect.poll(undoLabel, { timeout: 20_000 }).toMatch(/^Undo GANSpace 1 \(coarse\) \+[\d.]+σ/);
      const edited = await top.getAttribute('data-asset');
      expect(edited).not.toBe(hash);
      await expect.poll(onCanvas, { timeout: 10_000 }).not.toBe(placed);
      const after = await onCanvas();

      // Undo and redo with the focus still on the direction slider.
      expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('direction-slider');
      await page.keyboard.press('Control+z');
      await expect.poll(() => top.getAttribute('data-asset')).toBe(hash);
      expect(await undoLabel()).toBe(labelBefore);
      await page.keyboard.press('Control+Shift+Z');
      await expect.poll(() => top.getAttribute('data-asset')).toBe(edited);

      // Hold \ : the canvas shows the layer as it was before the slider edit (not the layers under it).
      await page.keyboard.down('Backslash');
      await expect.poll(() => page.locator('[data-testid=canvas]').getAttribute('data-compare')).toBe('previous');
      await expect.poll(onCanvas, { timeout: 10_000 }).toBe(placed);
      await page.screenshot({ path: join(shots, 'compare-latent.png') });
      await page.keyboard.up('Backslash');
      await expect.poll(onCanvas).toBe(after);

      // Undo from the focused ψ slider.
      await page.locator('[data-testid=latent-psi]').click();
      await page.keyboard.press('Control+z');
      await expect.poll(() => top.getAttribute('data-asset')).toBe(hash);
      await page.keyboard.press('Control+Shift+Z');
      await expect.poll(() => top.getAttribute('data-asset')).toBe(edited);
      await page.screenshot({ path: join(shots, 'latent-panel.png') });

      // Another project: no sliders from the last one; directions found there are its own and work.
      const first = await page.locator('[data-testid=status] .path').textContent();
      await page.keyboard.press('Control+o');
      await page.locator('[data-testid=new-name]').fill('second');
      await page.locator('[data-testid=create-project]').click();
      await expect.poll(() => page.locator('[data-testid=project-name]').textContent()).toBe('second');
      await expect.poll(() => layers.count()).toBe(0);
      await samples.first().dblclick();
      await expect.poll(() => layers.count(), { timeout: 20_000 }).toBe(1);
      await page.locator('[data-testid=find-sefa]').waitFor();
      expect(await sliders.count()).toBe(0);
      await page.locator('[data-testid=find-sefa]').click();
      await expect.poll(() => sliders.count(), { timeout: 30_000 }).toBe(5);
      const s2 = (await sliders.first().boundingBox())!;
      await page.mouse.click(s2.x + s2.width * 0.7, s2.y + s2.height / 2);
      await expect.poll(undoLabel, { timeout: 20_000 }).toMatch(/^Undo SeFa 1/);
      await expect.poll(() => page.locator('[data-testid=toast-error]').count()).toBe(0);

      // Back to the first project: its own five GANSpace directions.
      await page.keyboard.press('Control+o');
      await page.locator(`[data-testid=recent-project][data-path="${first}"]`).click();
      await expect.poll(() => page.locator('[data-testid=project-name]').textContent()).toBe('editor');
      await expect.poll(() => sliders.count(), { timeout: 20_000 }).toBe(5);
      expect(await page.locator('[data-testid=panel-latent-edit] .slider span').first().textContent()).toMatch(/^GANSpace 1/);
      expect(errors).toEqual([]);
    } finally {
      await page.close();
      await served.stop();
    }
  });
});
