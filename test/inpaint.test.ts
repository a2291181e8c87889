import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { decodeMask, encodeMaskPng, growCrop } from '../engine/edit/inpaint.js';
import { contextCrops, holeRegions } from '../engine/edit/mask-regions.js';
import { Engine } from '../engine/engine.js';
import { decodeRgba } from '../engine/image/composite.js';
import { writePackage } from '../engine/runtime/write-package.js';
import { ProjectStore } from '../engine/store/project-store.js';
import { tempDir } from './helpers.js';
import { tinyInpainter } from './tiny-nets.js';

const bin = join(import.meta.dirname, '..', 'bin', 'ganvas.js');

function maskWith(w: number, h: number, boxes: [number, number, number, number][]): Uint8Array {
  const m = new Uint8Array(w * h);
  for (const [x0, y0, x1, y1] of boxes) for (let y = y0; y < y1; y++) m.fill(1, y * w + x0, y * w + x1);
  return m;
}

function noisyRgba(w: number, h: number, alpha = 255) {
  const data = new Uint8Array(w * h * 4).map((_, i) => (i % 4 === 3 ? alpha : (i * 7919) % 251));
  return { data, width: w, height: h };
}

describe('mask regions', () => {
  it('finds each hole, merges holes whose context overlaps, and keeps crops inside the image', () => {
    const far = maskWith(400, 300, [[10, 10, 30, 30], [350, 250, 380, 280]]);
    const boxes = holeRegions(far, 400, 300);
    expect(boxes).toEqual([{ x0: 10, y0: 10, x1: 30, y1: 30 }, { x0: 350, y0: 250, x1: 380, y1: 280 }]);
    const crops = contextCrops(boxes, 400, 300, 0.5);
    expect(crops).toHaveLength(2);
    for (const c of crops) expect(c.x0 >= 0 && c.y0 >= 0 && c.x1 <= 400 && c.y1 <= 300).toBe(true);
    const near = contextCrops(holeRegions(maskWith(400, 300, [[100, 100, 140, 140], [150, 150, 190, 190]]), 400, 300), 400, 300, 0.5);
    expect(near).toHaveLength(1);
    expect(near[0]!.x0).toBeLessThanOrEqual(100);
    expect(near[0]!.x1).toBeGreaterThanOrEqual(190);
  });

  it('crops keep the hole\'s own aspect: a wide hole gets a wide crop', () => {
    const [c] = contextCrops(holeRegions(maskWith(1000, 600, [[300, 280, 700, 320]]), 1000, 600), 1000, 600, 0.25);
    expect(c).toEqual({ x0: 200, y0: 180, x1: 800, y1: 420 });
  });
});

describe('inpaint edits in a project', () => {
  async function setup() {
    const home = tempDir();
    const shipped = tempDir();
    writePackage(join(shipped, 'tiny-inp'), { id: 'tiny-inp', name: 'tiny', licence: 'CC0-1.0', data: 'none', provenance: { source: 'shipped', parent: null } }, { kind: 'inpainter', G: tinyInpainter() });
    const engine = new Engine({ host: 'cli', hostDetail: 'test', home, shippedModels: shipped });
    const file = join(home, 'p.ganvas');
    engine.projects.create('p', 10, 10, file);
    const png = new Uint8Array(await sharp(Buffer.from(noisyRgba(160, 120, 180).data), { raw: { width: 160, height: 120, channels: 4 } }).png().toBuffer());
    const state = await engine.layers.import('photo.png', png);
    return { engine, file, layer: state.layers[0]! };
  }

  it('adds the fill as a new layer above its source in one edit, re-renders identically, undoes, and survives reopening', async () => {
    const { engine, file, layer } = await setup();
    const maskPng = await encodeMaskPng(maskWith(160, 120, [[30, 30, 70, 80]]), 160, 120);
    const state = await engine.handlers['inpaint.run']({ layerId: layer.id, mask: maskPng, margin: 0.5, feather: 6 });
    expect(state.layers.map((l) => l.name)).toEqual(['photo.png', 'photo.png · inpainted']);
    expect(state.layers[0]).toEqual(layer); // the source layer is never modified
    expect(state.undoLabel).toBe('Inpaint photo.png');
    const re = await engine.handlers['history.rerender']({ editId: state.headEditId! });
    expect(re.identical).toBe(true);
    await expect(engine.handlers['history.rerender']({ editId: 1 })).rejects.toThrow(/only generated edits can be re-rendered/);
    const undone = await engine.handlers['history.undo']({});
    expect(undone.layers).toEqual([layer]);
    await engine.handlers['history.redo']({});
    engine.close();
    const store = ProjectStore.open(file);
    const { op } = store.edit(store.state().headEditId!);
    expect(op).toMatchObject({ kind: 'inpaint', sourceId: layer.id, model: { id: 'tiny-inp' }, params: { margin: 0.5, feather: 6 } });
    expect(store.models().map((m) => m.id)).toContain('tiny-inp');
    const src = await decodeRgba(store.getAsset(layer.assetHash).bytes);
    const res = await decodeRgba(store.getAsset(store.state().layers[1]!.assetHash).bytes);
    const mask = await decodeMask(store.getAsset((op as { maskHash: string }).maskHash).bytes, 160, 120);
    // The hole [30, 80) × [30, 70) is blended with its surroundings over 6 px; everything farther keeps its bytes.
    let leaked = 0;
    for (let i = 0; i < mask.length * 4; i++) {
      const x = (i >> 2) % 160, y = ((i >> 2) / 160) | 0;
      if ((x < 24 || x >= 76 || y < 24 || y >= 86) && res.data[i] !== src.data[i]) leaked++;
    }
    expect(leaked).toBe(0);
    store.close();
  });

  it('refuses a mask of another size and an empty mask, and records nothing', async () => {
    const { engine, layer } = await setup();
    const before = await engine.handlers['project.state']({});
    await expect(engine.handlers['inpaint.run']({ layerId: layer.id, mask: await encodeMaskPng(new Uint8Array(50 * 50).fill(1), 50, 50), margin: 0.5, feather: 6 }))
      .rejects.toThrow(/mask is 50×50 but the image is 160×120/);
    await expect(engine.handlers['inpaint.run']({ layerId: layer.id, mask: await encodeMaskPng(new Uint8Array(160 * 120), 160, 120), margin: 0.5, feather: 6 }))
      .rejects.toThrow(/the mask is empty/);
    await expect(engine.handlers['inpaint.run']({ layerId: layer.id, mask: new TextEncoder().encode('junk'), margin: 0.5, feather: 6 }))
      .rejects.toThrow(/mask is not an image/);
    expect(await engine.handlers['project.state']({})).toEqual(before);
    engine.close();
  });
});

describe('ganvas inpaint on files', () => {
  it('handles EXIF-rotated, grey, 16-bit, CMYK and alpha inputs, and folder mode', async () => {
    const home = tempDir();
    const dir = tempDir();
    const base = sharp({ create: { width: 64, height: 48, channels: 3, background: '#7a9cc2' } });
    // Stored 64×48 with orientation 6: shown (and inpainted) as 48×64.
    await base.clone().jpeg().withMetadata({ orientation: 6 }).toFile(join(dir, 'rotated.jpg'));
    await base.clone().greyscale().png().toFile(join(dir, 'grey.png'));
    await base.clone().png({ force: true }).toColourspace('rgb16').toFile(join(dir, 'deep.png'));
    await base.clone().toColourspace('cmyk').jpeg().toFile(join(dir, 'cmyk.jpg'));
    await base.clone().ensureAlpha(0.5).png().toFile(join(dir, 'alpha.png'));
    const hole = (w: number, h: number) => sharp({ create: { width: w, height: h, channels: 3, background: '#000' } })
      .composite([{ input: { create: { width: 16, height: 16, channels: 3, background: '#fff' } }, left: 8, top: 8 }]).png().toBuffer();
    const masks = join(dir, 'masks');
    mkdirSync(masks);
    writeFileSync(join(masks, 'rotated.png'), await hole(48, 64));
    for (const n of ['grey', 'deep', 'cmyk', 'alpha']) writeFileSync(join(masks, `${n}.png`), await hole(64, 48));
    writeFileSync(join(dir, 'unpaired.png'), await hole(30, 30));
    const out = join(tempDir(), 'out');
    const r = spawnSync(process.execPath, [bin, '--home', home, 'inpaint', dir, '--mask-dir', masks, '-o', out], { encoding: 'utf8' });
    expect(r.stderr).toMatch(/skipped unpaired\.png: no mask named like it/);
    expect(r.status, r.stderr).toBe(0);
    for (const [n, w, h] of [['rotated.jpg', 48, 64], ['grey.png', 64, 48], ['deep.png', 64, 48], ['cmyk.jpg', 64, 48], ['alpha.png', 64, 48]] as const) {
      const meta = await sharp(readFileSync(join(out, n))).metadata();
      expect([n, meta.width, meta.height]).toEqual([n, w, h]);
    }
    const alphaIn = await sharp(readFileSync(join(dir, 'alpha.png'))).ensureAlpha().raw().toBuffer();
    const alphaOut = await sharp(readFileSync(join(out, 'alpha.png'))).ensureAlpha().raw().toBuffer();
    expect(alphaIn[3]).toBeLessThan(255);
    expect(alphaOut[3 + 4 * (16 * 64 + 16)]).toBe(alphaIn[3 + 4 * (16 * 64 + 16)]); // inside the hole: alpha kept
    const wrong = spawnSync(process.execPath, [bin, '--home', home, 'inpaint', join(dir, 'grey.png'), '--mask', join(masks, 'rotated.png'), '-o', join(out, 'x.png')], { encoding: 'utf8' });
    expect(wrong.status).toBe(2);
    expect(wrong.stderr).toMatch(/rotated\.png is 48×64 but the image is 64×48/);
    expect(execFileSync(process.execPath, [bin, '--home', home, 'inpaint', join(dir, 'grey.png'), '--mask', join(masks, 'grey.png'), '-o', join(out, 'one.webp')], { encoding: 'utf8' })).toMatch(/wrote .*one\.webp \(64×48\) with inpaint256/);
  }, 60_000);
});

describe('object removal with the shipped inpainter', () => {
  /** A photo-like background with no red in it, and a pure red square pasted at (x, y). */
  async function photoWithRedSquare(w: number, h: number, x: number, y: number, side: number) {
    const px = new Uint8Array(w * h * 3);
    for (let j = 0; j < h; j++) for (let i = 0; i < w; i++) {
      const k = (j * w + i) * 3;
      px[k] = (60 + 40 * Math.sin(i / 40) + ((i * 7 + j * 3) % 9)) | 0;
      px[k + 1] = (110 + (60 * j) / h + 20 * Math.cos(j / 25)) | 0;
      px[k + 2] = (140 + (50 * i) / w) | 0;
    }
    for (let j = y; j < y + side; j++) for (let i = x; i < x + side; i++) px.set([255, 0, 0], (j * w + i) * 3);
    const mask = maskWith(w, h, [[x, y, x + side, y + side]]);
    return { png: new Uint8Array(await sharp(px, { raw: { width: w, height: h, channels: 3 } }).png().toBuffer()), mask, px };
  }

  for (const [w, h] of [[640, 427], [4000, 3000]] as const) {
    it(`removes a pasted red square from a ${w}×${h} photo: no red left, nothing changed beyond the 4 px band`, async () => {
      const home = tempDir();
      const engine = new Engine({ host: 'cli', hostDetail: 'test', home });
      engine.projects.create('p', w, h, join(home, 'p.ganvas'));
      const side = 80, x = Math.round(w * 0.47), y = Math.round(h * 0.41);
      const { png, mask, px } = await photoWithRedSquare(w, h, x, y, side);
      const layer = (await engine.layers.import('photo.png', png)).layers[0]!;
      const state = await engine.handlers['inpaint.run']({ layerId: layer.id, mask: await encodeMaskPng(mask, w, h), margin: 0.5, feather: 4 });
      const out = await decodeRgba((await engine.handlers['asset.get']({ hash: state.layers[1]!.assetHash })).bytes);
      let red = 0, changedBeyond = 0;
      const fill = [0, 0, 0], ring = [0, 0, 0];
      let nRing = 0;
      for (let j = 0; j < h; j++) for (let i = 0; i < w; i++) {
        const k = j * w + i;
        const [r, g, b] = [out.data[k * 4]!, out.data[k * 4 + 1]!, out.data[k * 4 + 2]!];
        if (r > 200 && g < 60 && b < 60) red++;
        const far = i < x - 5 || i >= x + side + 5 || j < y - 5 || j >= y + side + 5;
        if (far && (r !== px[k * 3] || g !== px[k * 3 + 1] || b !== px[k * 3 + 2])) changedBeyond++;
        if (mask[k]) [r, g, b].forEach((v, c) => (fill[c]! += v));
        else if (!far || (i >= x - 24 && i < x + side + 24 && j >= y - 24 && j < y + side + 24)) {
          if (far) { [px[k * 3]!, px[k * 3 + 1]!, px[k * 3 + 2]!].forEach((v, c) => (ring[c]! += v)); nRing++; }
        }
      }
      expect({ red, changedBeyond }).toEqual({ red: 0, changedBeyond: 0 });
      // The fill looks like its surroundings: its mean colour is near the mean of the ring around the hole.
      for (let c = 0; c < 3; c++) expect(Math.abs(fill[c]! / (side * side) - ring[c]! / nRing)).toBeLessThan(25);
      engine.close();
    }, 120_000);
  }
});

describe('crop sizing', () => {
  it('grows a crop to the net\'s multiple, or to a square for fixed-size models, inside the image', () => {
    const b = { x0: 100, y0: 50, x1: 203, y1: 110 };
    expect(growCrop(b, (w, h) => [Math.ceil(w / 8) * 8, Math.ceil(h / 8) * 8], 400, 300)).toEqual({ x0: 100, y0: 48, x1: 204, y1: 112 });
    expect(growCrop(b, (w, h) => [Math.max(w, h), Math.max(w, h)], 400, 300)).toEqual({ x0: 100, y0: 29, x1: 203, y1: 132 });
    // Against the image's edge the crop shifts inward; an image too small for the square keeps its own height.
    expect(growCrop({ x0: 0, y0: 0, x1: 50, y1: 20 }, (w, h) => [Math.max(w, h), Math.max(w, h)], 300, 30)).toEqual({ x0: 0, y0: 0, x1: 50, y1: 30 });
  });
});
