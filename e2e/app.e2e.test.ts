/// <reference lib="dom" />
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makePng, tempDir } from '../test/helpers.js';
import { launchChromium, startServe, type Served } from './harness.js';

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

/** Drops files on the canvas the way a file manager does: a DataTransfer carried by real drag events. */
async function dropFiles(page: Page, files: { name: string; type: string; bytes: Uint8Array }[]) {
  const payload = files.map((f) => ({ ...f, bytes: Array.from(f.bytes) }));
  await page.locator('[data-testid=canvas]').evaluate((el, fs) => {
    const dt = new DataTransfer();
    for (const f of fs) dt.items.add(new File([new Uint8Array(f.bytes)], f.name, { type: f.type }));
    for (const type of ['dragenter', 'dragover', 'drop']) {
      el.dispatchEvent(new DragEvent(type, { bubbles: true, cancelable: true, dataTransfer: dt }));
    }
  }, payload);
}

async function openApp(served: Served): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(served.url);
  await page.locator('[data-testid=status]').waitFor();
  await expect.poll(() => page.locator('[data-testid=host]').textContent()).toMatch(/WebSocket 127\.0\.0\.1/);
  expect(errors).toEqual([]);
  return page;
}

const layerAttrs = (page: Page) =>
  page.locator('[data-testid=layer]').evaluateAll((els) =>
    els.map((e) => ({
      id: e.getAttribute('data-layer-id'),
      x: Number(e.getAttribute('data-x')),
      y: Number(e.getAttribute('data-y')),
      visible: e.getAttribute('data-visible') === 'true',
    })),
  );

describe('the editor in Chromium against the real engine', () => {
  it('imports by drop, moves and hides a layer, undoes, and finds that state after an engine restart', async () => {
    const home = tempDir();
    const project = join(home, 'e2e.ganvas');
    const shots = join(import.meta.dirname, '..', 'dist', 'e2e');
    mkdirSync(shots, { recursive: true });

    let served = await startServe(home, project);
    let page = await openApp(served);
    await expect.poll(() => page.locator('[data-testid=project-name]').textContent()).toBe('e2e');

    // Bad input first: a text file and a truncated PNG are refused visibly and change nothing.
    const png = await makePng(400, 300, 7);
    await dropFiles(page, [{ name: 'notes.txt', type: 'text/plain', bytes: new TextEncoder().encode('not an image') }]);
    await expect.poll(() => page.locator('[data-testid=toast-error]').first().textContent()).toMatch(/notes\.txt is not an image/);
    await dropFiles(page, [{ name: 'cut.png', type: 'image/png', bytes: png.slice(0, 600) }]);
    await expect.poll(() => page.locator('[data-testid=toast-error]').allTextContents()).toContainEqual(expect.stringMatching(/cut\.png could not be decoded/));
    expect(await page.locator('[data-testid=layer]').count()).toBe(0);
    await expect(page.locator('[data-testid=undo]').isDisabled()).resolves.toBe(true);

    // A file that is not a Ganvas project is refused by name, and the open project stays open.
    // (In the library folder: a page may open projects only there and in folders the user allowed.)
    mkdirSync(join(home, 'projects'), { recursive: true });
    const notProject = join(home, 'projects', 'notes.ganvas');
    writeFileSync(notProject, 'these are notes, not a project '.repeat(8));
    await page.locator('[data-testid=projects]').click();
    await page.locator('[data-testid=open-path]').fill(notProject);
    await page.locator('[data-testid=open-project]').click();
    await expect.poll(() => page.locator('[data-testid=toast-error]').allTextContents()).toContainEqual(expect.stringMatching(/notes\.ganvas is not a Ganvas project/));
    await page.keyboard.press('Escape');
    await expect.poll(() => page.locator('[data-testid=project-name]').textContent()).toBe('e2e');

    await dropFiles(page, [{ name: 'photo.png', type: 'image/png', bytes: png }]);
    await page.locator('[data-testid=layer]').first().waitFor();
    const [imported] = await layerAttrs(page);
    expect(imported).toMatchObject({ x: 0, y: 0, visible: true });

    // Drag the (selected) layer on the Konva canvas.
    const canvas = page.locator('[data-testid=canvas]');
    const box = (await canvas.boundingBox())!;
    const scale = Number(await canvas.getAttribute('data-scale'));
    const cx = box.x + box.width / 2, cy = box.y + box.height / 2;
    await page.mouse.move(cx, cy);
    await page.mouse.down();
    await page.mouse.move(cx + 60, cy + 30, { steps: 6 });
    await page.mouse.move(cx + 120, cy + 60, { steps: 6 });
    await page.mouse.up();
    await expect.poll(async () => (await layerAttrs(page))[0]!.x).not.toBe(0);
    const moved = (await layerAttrs(page))[0]!;
    expect(Math.abs(moved.x - 120 / scale)).toBeLessThanOrEqual(2);
    expect(Math.abs(moved.y - 60 / scale)).toBeLessThanOrEqual(2);
    await expect.poll(() => page.locator('[data-testid=layer-x]').inputValue()).toBe(String(moved.x));

    await page.locator('[data-testid=toggle-visible]').first().click();
    await expect.poll(async () => (await layerAttrs(page))[0]!.visible).toBe(false);

    await page.locator('body').click({ position: { x: 5, y: 400 } }); // focus the page, not an input
    await page.keyboard.press('Control+z');
    await expect.poll(async () => (await layerAttrs(page))[0]!.visible).toBe(true);
    const expected = await layerAttrs(page);
    expect(expected).toEqual([{ id: imported!.id, x: moved.x, y: moved.y, visible: true }]);
    expect(await page.locator('[data-testid=redo]').getAttribute('aria-label')).toBe('Redo Hide photo.png');
    await page.screenshot({ path: join(shots, 'editor.png') });
    await page.close();

    // Restart the engine: a new process, a new token; the old token no longer opens anything.
    const oldUrl = served.url;
    await served.stop();
    served = await startServe(home, project);
    expect(served.url).not.toBe(oldUrl);
    page = await openApp(served);
    await page.locator('[data-testid=layer]').first().waitFor();
    expect(await layerAttrs(page)).toEqual(expected);
    expect(await page.locator('[data-testid=redo]').isDisabled()).toBe(false);
    expect(await page.locator('[data-testid=undo]').getAttribute('aria-label')).toBe('Undo Move photo.png');
    await page.close();

    const stale = await browser.newPage();
    await stale.goto(oldUrl.replace(/:\d+\//, `:${new URL(served.url).port}/`));
    await expect.poll(() => stale.locator('.fatal').textContent()).toMatch(/could not reach its engine/);
    await stale.close();
    await served.stop();
  });
});
