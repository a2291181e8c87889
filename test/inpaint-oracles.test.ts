/**
 * Known-answer tests of the inpainting pipeline: oracle ONNX inpainters (test/oracle-inpainters.ts) run through
 * the real registry, adapter and pipeline, on non-square photos whose crops run at scale 1, scaled down and
 * scaled up. Every expected pixel is computed here, independently of the engine: the hole at the working size
 * from the photo's hole pixels, distances by brute force, resampling with sharp itself.
 */
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { inpaintRaster } from '../engine/edit/inpaint.js';
import { inpaintModel, type InpaintModel } from '../engine/edit/inpaint-model.js';
import { pyramidFill } from '../engine/edit/pyramid-fill.js';
import { raster, type Raster } from '../engine/image/raster.js';
import { ModelRegistry } from '../engine/runtime/registry.js';
import { tempDir } from './helpers.js';
import { writeOraclePackage, type Oracle } from './oracle-inpainters.js';

/** A photo-like RGBA test image: smooth gradients plus texture, alpha 200 so that keeping alpha is checked. */
function photo(w: number, h: number): Raster {
  const d = new Uint8Array(w * h * 4);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    const i = (y * w + x) * 4;
    d[i] = (40 + (x * 150) / w + 30 * Math.sin(y / 7)) | 0;
    d[i + 1] = (60 + (y * 120) / h + ((x * 13 + y * 7) % 17)) | 0;
    d[i + 2] = (90 + 60 * Math.cos((x + y) / 23) + ((x * y) % 11)) | 0;
    d[i + 3] = 200;
  }
  return raster(d, w, h, 4);
}

/** A hole: an ellipse and a tilted bar (non-rectangular, so the band is not a box). */
function holeMask(w: number, h: number, cx: number, cy: number, r: number): Uint8Array {
  const m = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    const e = ((x - cx) / r) ** 2 + ((y - cy) / (0.7 * r)) ** 2 <= 1;
    const bar = Math.abs((x - cx) - 0.5 * (y - cy)) < r / 6 && Math.abs(y - cy) < 1.3 * r;
    if (e || bar) m[y * w + x] = 1;
  }
  return m;
}

/** Reference: working pixel (X, Y) is hole iff some photo hole pixel's footprint [x, x+1) maps onto it. */
function holeAtSizeReference(mask: Uint8Array, w: number, h: number, W: number, H: number): Uint8Array {
  const out = new Uint8Array(W * H);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    if (!mask[y * w + x]) continue;
    const X0 = Math.floor((x * W) / w), X1 = Math.max(X0 + 1, Math.ceil(((x + 1) * W) / w));
    const Y0 = Math.floor((y * H) / h), Y1 = Math.max(Y0 + 1, Math.ceil(((y + 1) * H) / h));
    for (let Y = Y0; Y < Math.min(Y1, H); Y++) for (let X = X0; X < Math.min(X1, W); X++) out[Y * W + X] = 255;
  }
  return out;
}

/** Brute-force Euclidean distance from every pixel to the nearest hole pixel, up to `reach` (farther: Infinity). */
function distances(mask: Uint8Array, w: number, h: number, reach: number): Float64Array {
  const d = new Float64Array(w * h).fill(Infinity);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    if (mask[y * w + x]) { d[y * w + x] = 0; continue; }
    for (let dy = -reach; dy <= reach; dy++) for (let dx = -reach; dx <= reach; dx++) {
      const xx = x + dx, yy = y + dy;
      if (xx < 0 || yy < 0 || xx >= w || yy >= h || !mask[yy * w + xx]) continue;
      d[y * w + x] = Math.min(d[y * w + x]!, Math.sqrt(dx * dx + dy * dy));
    }
  }
  return d;
}

async function sharpResize(rgb: Uint8Array, w: number, h: number, W: number, H: number): Promise<Uint8Array> {
  if (w === W && h === H) return rgb;
  return new Uint8Array(await sharp(rgb, { raw: { width: w, height: h, channels: 3 } }).resize(W, H, { fit: 'fill', kernel: 'cubic' }).raw().toBuffer());
}

const rgbOf = (r: Raster) => Uint8Array.from({ length: r.width * r.height * 3 }, (_, i) => r.data[((i / 3) | 0) * 4 + (i % 3)]!);

/** What the oracle returns for the whole image seen at W × H, scaled back to w × h (the whole image is one crop). */
async function expectedFill(kind: Oracle, img: Raster, mask: Uint8Array, W: number, H: number): Promise<Uint8Array> {
  const { width: w, height: h } = img;
  if (kind === 'white') return new Uint8Array(w * h * 3).fill(255);
  if (kind === 'negative') {
    const seen = await sharpResize(rgbOf(img), w, h, W, H);
    return sharpResize(seen.map((v) => 255 - v), W, H, w, h);
  }
  const small = holeAtSizeReference(mask, w, h, W, H);
  return sharpResize(Uint8Array.from({ length: W * H * 3 }, (_, i) => small[(i / 3) | 0]!), W, H, w, h);
}

/** Wraps a model to record what the pipeline hands it. */
function spy(model: InpaintModel): InpaintModel & { calls: { rgb: Raster; hole: Raster }[] } {
  const calls: { rgb: Raster; hole: Raster }[] = [];
  return { ...model, calls, fill: (rgb, hole) => { calls.push({ rgb, hole }); return model.fill(rgb, hole); } };
}

async function oracle(kind: Oracle, maxSide: number, multiple = 4, prefill = false) {
  const shipped = tempDir();
  const id = writeOraclePackage(shipped, kind, { maxSide, multiple, prefill });
  return spy(inpaintModel(await new ModelRegistry(tempDir(), shipped).get(id)));
}

const FEATHER = 4;

/** Compares every pixel with the reference: the hole, the band and beyond each counted apart. */
function compare(out: Uint8Array, img: Raster, mask: Uint8Array, fill: Uint8Array) {
  const { width: w, height: h } = img;
  const d = distances(mask, w, h, FEATHER + 1);
  const wrong = { hole: 0, band: 0, beyond: 0, alpha: 0 };
  let bandPixels = 0;
  for (let i = 0; i < w * h; i++) {
    // The pipeline keeps distances and weights in float32; the reference rounds the same way.
    const a = d[i] === 0 ? 1 : Math.fround(Math.max(0, 1 - Math.fround(d[i]!) / FEATHER));
    if (a > 0 && a < 1) bandPixels++;
    for (let c = 0; c < 3; c++) {
      const p = img.data[i * 4 + c]!, f = fill[i * 3 + c]!;
      const want = a === 1 ? f : a === 0 ? p : Math.round(p * (1 - a) + f * a);
      if (out[i * 4 + c] !== want) wrong[a === 1 ? 'hole' : a === 0 ? 'beyond' : 'band']++;
    }
    if (out[i * 4 + 3] !== img.data[i * 4 + 3]) wrong.alpha++;
  }
  expect(bandPixels).toBeGreaterThan(0);
  return wrong;
}

const none = { hole: 0, band: 0, beyond: 0, alpha: 0 };

describe('inpainting pipeline: oracle models give the exact expected pixels', () => {
  const cases = [
    { name: 'not resized (300×200, cap 512)', w: 300, h: 200, maxSide: 512, multiple: 4, W: 300, H: 200 },
    { name: 'scaled down (900×600, cap 256)', w: 900, h: 600, maxSide: 256, multiple: 4, W: 256, H: 172 },
    { name: 'scaled up (150×90 to multiples of 32)', w: 150, h: 90, maxSide: 512, multiple: 32, W: 160, H: 96 },
  ];
  for (const c of cases) {
    for (const kind of ['white', 'negative', 'mask-echo'] as const) {
      it(`${kind}: ${c.name}`, async () => {
        const img = photo(c.w, c.h);
        const mask = holeMask(c.w, c.h, c.w * 0.45, c.h * 0.5, c.h * 0.2);
        const model = await oracle(kind, c.maxSide, c.multiple);
        // A margin this wide makes the whole photo the one crop, so the working size is known here.
        const out = await inpaintRaster(img, mask, model, { margin: 4, feather: FEATHER });
        expect(model.calls).toHaveLength(1);
        const { rgb, hole } = model.calls[0]!;
        expect([rgb.width, rgb.height, rgb.channels, hole.width, hole.height, hole.channels]).toEqual([c.W, c.H, 3, c.W, c.H, 1]);
        // The model is handed exactly the painted hole at the size it runs at, and the photo resampled there.
        expect(Buffer.compare(Buffer.from(hole.data), Buffer.from(holeAtSizeReference(mask, c.w, c.h, c.W, c.H)))).toBe(0);
        expect(Buffer.compare(Buffer.from(rgb.data), Buffer.from(await sharpResize(rgbOf(img), c.w, c.h, c.W, c.H)))).toBe(0);
        expect(compare(out, img, mask, await expectedFill(kind, img, mask, c.W, c.H))).toEqual(none);
      });
    }
  }

  it('several holes far apart: one crop each, each fill pasted at its own place, progress per region', async () => {
    const w = 640, h = 360;
    const img = photo(w, h);
    const mask = new Uint8Array(w * h);
    const a = holeMask(w, h, 90, 80, 30), b = holeMask(w, h, 500, 260, 40);
    for (let i = 0; i < mask.length; i++) mask[i] = a[i]! | b[i]!;
    const model = await oracle('negative', 1024);
    const progress: [number, number][] = [];
    const out = await inpaintRaster(img, mask, model, { margin: 0.5, feather: FEATHER }, (d, t) => progress.push([d, t]));
    expect(model.calls.length).toBe(2);
    expect(progress).toEqual([[0, 2], [1, 2], [2, 2]]);
    // At scale 1 the negative oracle's fill is 255 − the photo pixel at the same place, wherever the crop lies.
    const fill = rgbOf(img).map((v) => 255 - v);
    expect(compare(out, img, mask, fill)).toEqual(none);
  });

  it('a net that refines the pyramid fill, run scaled down: full-resolution fill plus its correction (identity net: the fill itself)', async () => {
    const w = 700, h = 420;
    const img = photo(w, h);
    const mask = holeMask(w, h, 300, 200, 60);
    const model = await oracle('identity', 256, 4, true);
    const out = await inpaintRaster(img, mask, model, { margin: 4, feather: FEATHER });
    expect([model.calls[0]!.rgb.width, model.calls[0]!.rgb.height]).toEqual([256, 152]);
    // The net is handed the resampled photo with the classical fill already in its hole.
    const seen = raster(await sharpResize(rgbOf(img), w, h, 256, 152), 256, 152, 3);
    const seenHole = raster(holeAtSizeReference(mask, w, h, 256, 152), 256, 152, 1);
    expect(Buffer.from(model.calls[0]!.rgb.data).equals(Buffer.from(pyramidFill(seen, seenHole).data))).toBe(true);
    // The net changed nothing, so the hole holds the pyramid fill of the photo at its own resolution, not an
    // upscaled 256 px one.
    const full = pyramidFill(raster(rgbOf(img), w, h, 3), raster(Uint8Array.from(mask, (v) => v * 255), w, h, 1));
    expect(compare(out, img, mask, full.data)).toEqual(none);
  });

  it('a feather of 0 replaces exactly the hole and nothing else', async () => {
    const img = photo(200, 120);
    const mask = holeMask(200, 120, 100, 60, 25);
    const out = await inpaintRaster(img, mask, await oracle('white', 512), { margin: 0.5, feather: 0 });
    let changedOutside = 0, keptInside = 0;
    for (let i = 0; i < mask.length; i++) for (let c = 0; c < 3; c++) {
      if (!mask[i] && out[i * 4 + c] !== img.data[i * 4 + c]) changedOutside++;
      if (mask[i] && out[i * 4 + c] !== 255) keptInside++;
    }
    expect([changedOutside, keptInside]).toEqual([0, 0]);
  });
});
