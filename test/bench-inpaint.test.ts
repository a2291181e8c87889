/** The object-removal bench's holes and metrics (bench/inpaint-holes.ts, bench/inpaint-metrics.ts). */
import { describe, expect, it } from 'vitest';
import { holeMask, holeRatio, MAX_HOLE, MIN_HOLE, objectMask, pasteForeign } from '../bench/inpaint-holes.js';
import { holeScores, holeTruth } from '../bench/inpaint-metrics.js';
import { mulberry32 } from '../engine/random.js';

describe('bench holes', () => {
  it('are seeded and cover 2–40 % of the photo in both families', () => {
    for (const family of ['strokes', 'objects'] as const) {
      for (let seed = 1; seed <= 4; seed++) {
        const a = holeMask(family, 240, 160, mulberry32(seed)), b = holeMask(family, 240, 160, mulberry32(seed));
        expect(a).toEqual(b);
        expect(holeRatio(a)).toBeGreaterThanOrEqual(MIN_HOLE);
        expect(holeRatio(a)).toBeLessThanOrEqual(MAX_HOLE);
      }
    }
    expect(objectMask(240, 160, mulberry32(1))).not.toEqual(objectMask(240, 160, mulberry32(2)));
  });

  it('paste the foreign object into the hole only', () => {
    const rgb = new Uint8Array(4 * 3).fill(10), donor = new Uint8Array(4 * 3).fill(200), mask = Uint8Array.from([0, 1, 1, 0]);
    expect([...pasteForeign(rgb, donor, mask)]).toEqual([10, 10, 10, 200, 200, 200, 200, 200, 200, 10, 10, 10]);
  });
});

describe('bench metrics', () => {
  const w = 48, h = 40, rand = mulberry32(9);
  const truth = Uint8Array.from({ length: w * h * 3 }, () => Math.floor(rand() * 256));
  const mask = new Uint8Array(w * h);
  for (let y = 10; y < 30; y++) mask.fill(1, y * w + 12, y * w + 36);

  it('are perfect for the truth itself', () => {
    expect(holeScores(holeTruth(truth, mask, w, h), truth)).toEqual({ l1: 0, psnr: 100, ssim: 1 });
  });

  it('read the hole only: changes outside it do not count for L1 and PSNR', () => {
    const out = new Uint8Array(truth);
    for (let i = 0; i < w * h; i++) if (!mask[i]) out[i * 3] = 255 - out[i * 3]!;
    const s = holeScores(holeTruth(truth, mask, w, h), out);
    expect(s.l1).toBe(0);
    expect(s.ssim).toBeLessThan(1); // windows centred near the hole's edge see outside it, as SSIM's should
  });

  it('give L1 and PSNR of a known error', () => {
    const out = Uint8Array.from(truth, (v, j) => (mask[Math.floor(j / 3)] ? (v < 128 ? v + 51 : v - 51) : v));
    const s = holeScores(holeTruth(truth, mask, w, h), out);
    expect(s.l1).toBeCloseTo(0.2, 10);
    expect(s.psnr).toBeCloseTo(10 * Math.log10(1 / 0.04), 8);
  });
});
