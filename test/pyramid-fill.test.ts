import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pyramidFill } from '../engine/edit/pyramid-fill.js';
import { raster } from '../engine/image/raster.js';
import { tempDir } from './helpers.js';

const python = '/usr/bin/python3';
const hasTorch = spawnSync(python, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;

function box(w: number, h: number, x0: number, y0: number, x1: number, y1: number) {
  const m = new Uint8Array(w * h);
  for (let y = y0; y < y1; y++) m.fill(255, y * w + x0, y * w + x1);
  return raster(m, w, h, 1);
}

describe('pyramid (push-pull) fill', () => {
  it('fills a hole in a flat colour with that colour and keeps every known pixel', () => {
    const w = 37, h = 23;
    const rgb = raster(new Uint8Array(w * h * 3).map((_, i) => [200, 30, 90][i % 3]!), w, h, 3);
    const hole = box(w, h, 5, 4, 30, 20);
    const out = pyramidFill(rgb, hole);
    expect(Buffer.compare(Buffer.from(out.data), Buffer.from(rgb.data))).toBe(0);
  });

  it('fills a hole that leaves one known pixel with that pixel\'s colour (the pyramid reaches 1 px)', () => {
    const w = 37, h = 23;
    const rgb = raster(new Uint8Array(w * h * 3).fill(99), w, h, 3);
    rgb.data.set([10, 200, 50], (11 * w + 30) * 3);
    const hole = raster(new Uint8Array(w * h).fill(255), w, h, 1);
    hole.data[11 * w + 30] = 0;
    const out = pyramidFill(rgb, hole);
    for (let i = 0; i < w * h; i++) expect(Array.from(out.data.subarray(i * 3, i * 3 + 3))).toEqual([10, 200, 50]);
  });

  it('fills between two colours with values between them, smoothly (no step larger than the contrast / 4)', () => {
    const w = 64, h = 16;
    const rgb = raster(new Uint8Array(w * h * 3).map((_, i) => (((i / 3) | 0) % w < 32 ? 0 : 240)), w, h, 3);
    const hole = box(w, h, 16, 0, 48, h);
    const out = pyramidFill(rgb, hole);
    for (let y = 0; y < h; y++) for (let x = 16; x < 48; x++) {
      const v = out.data[(y * w + x) * 3]!;
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThanOrEqual(240);
      if (x > 16) expect(Math.abs(v - out.data[(y * w + x - 1) * 3]!)).toBeLessThanOrEqual(60);
    }
    expect(out.data[(8 * w + 17) * 3]!).toBeLessThan(out.data[(8 * w + 46) * 3]!);
  });

  it.skipIf(!hasTorch)('equals its PyTorch twin (build/models/pyramid_fill.py) to ±1 level', () => {
    const w = 77, h = 51;
    const rgb = raster(new Uint8Array(w * h * 3).map((_, i) => (i * 7919 + ((i / 3 / w) | 0) * 13) % 256), w, h, 3);
    const m = new Uint8Array(w * h);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) if ((x - 30) ** 2 + (y - 25) ** 2 < 300 || (x > 50 && x < 70 && y > 5 && y < 45)) m[y * w + x] = 255;
    const out = pyramidFill(rgb, raster(m, w, h, 1));
    const dir = tempDir();
    writeFileSync(join(dir, 'rgb.u8'), rgb.data);
    writeFileSync(join(dir, 'mask.u8'), m);
    const script = [
      'import sys, numpy as np, torch', `sys.path.insert(0, ${JSON.stringify(join(import.meta.dirname, '..', 'build', 'models'))})`,
      'from pyramid_fill import pyramid_fill',
      `d = ${JSON.stringify(dir)}; w, h = ${w}, ${h}`,
      "img = torch.from_numpy(np.fromfile(d + '/rgb.u8', np.uint8).reshape(h, w, 3).astype(np.float32)).permute(2, 0, 1)[None]",
      "mask = torch.from_numpy((np.fromfile(d + '/mask.u8', np.uint8).reshape(h, w) > 0).astype(np.float32))[None, None]",
      "out = pyramid_fill(img, mask)[0].permute(1, 2, 0).round().clamp(0, 255).numpy().astype(np.uint8)",
      "out.tofile(d + '/out.u8')",
    ].join('\n');
    const r = spawnSync(python, ['-c', script], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const ref = readFileSync(join(dir, 'out.u8'));
    let worst = 0;
    for (let i = 0; i < ref.length; i++) worst = Math.max(worst, Math.abs(ref[i]! - out.data[i]!));
    expect(worst).toBeLessThanOrEqual(1);
  });
});
