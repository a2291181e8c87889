/**
 * Push-pull pyramid fill (Gortler et al., "The Lumigraph", 1996): the classical smooth fill that the shipped
 * inpainter refines. Push: average the known colours and the known fraction down a 2× pyramid until nothing is
 * unknown. Pull: from the coarsest level up, each pixel is its own known colour where fully known, else a blend
 * of it and the bilinear upsample of the coarser level, weighted by how much of it was known.
 *
 * build/models/pyramid_fill.py is the PyTorch twin used in training (avg_pool2d ceil_mode + bilinear
 * interpolate, align_corners=False); test/pyramid-fill.test.ts holds the two equal.
 */
import { raster, type Raster } from '../image/raster.js';

interface Level { w: number; h: number; colour: Float32Array; known: Float32Array }

/** 2×2 means over in-bounds pixels (a ceil-mode average pool). */
function push(l: Level, channels: number): Level {
  const w = Math.ceil(l.w / 2), h = Math.ceil(l.h / 2);
  const colour = new Float32Array(w * h * channels), known = new Float32Array(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    let n = 0, k = 0;
    const acc = [0, 0, 0];
    for (let dy = 0; dy < 2; dy++) for (let dx = 0; dx < 2; dx++) {
      const sx = 2 * x + dx, sy = 2 * y + dy;
      if (sx >= l.w || sy >= l.h) continue;
      const s = sy * l.w + sx;
      n++;
      k += l.known[s]!;
      for (let c = 0; c < channels; c++) acc[c]! += l.colour[s * channels + c]!;
    }
    const d = y * w + x;
    known[d] = k / n;
    for (let c = 0; c < channels; c++) colour[d * channels + c] = acc[c]! / n;
  }
  return { w, h, colour, known };
}

/** Bilinear resampling of a coarse level to w × h, pixel centres aligned (PyTorch align_corners=False). */
function upsample(src: Float32Array, sw: number, sh: number, w: number, h: number, channels: number): Float32Array {
  const out = new Float32Array(w * h * channels);
  const axis = (n: number, sn: number) => Array.from({ length: n }, (_, i) => {
    const s = Math.max(0, (i + 0.5) * (sn / n) - 0.5);
    const i0 = Math.min(Math.floor(s), sn - 1);
    return { i0, i1: Math.min(i0 + 1, sn - 1), t: s - i0 };
  });
  const xs = axis(w, sw), ys = axis(h, sh);
  for (let y = 0; y < h; y++) {
    const { i0: y0, i1: y1, t: ty } = ys[y]!;
    for (let x = 0; x < w; x++) {
      const { i0: x0, i1: x1, t: tx } = xs[x]!;
      for (let c = 0; c < channels; c++) {
        const v = (yy: number, xx: number) => src[(yy * sw + xx) * channels + c]!;
        const top = v(y0, x0) * (1 - tx) + v(y0, x1) * tx;
        const bottom = v(y1, x0) * (1 - tx) + v(y1, x1) * tx;
        out[(y * w + x) * channels + c] = top * (1 - ty) + bottom * ty;
      }
    }
  }
  return out;
}

/** Fills the hole (non-zero in `hole`) of a 3-channel raster smoothly from its surroundings; known pixels are kept exactly. */
export function pyramidFill(rgb: Raster, hole: Raster): Raster {
  const { width: w, height: h } = rgb;
  if (rgb.channels !== 3 || hole.channels !== 1 || hole.width !== w || hole.height !== h) {
    throw new Error(`pyramidFill: needs RGB and a 1-channel hole of the same size (got ${rgb.channels} and ${hole.channels} channels)`);
  }
  const known = Float32Array.from(hole.data, (v) => (v ? 0 : 1));
  const colour = new Float32Array(w * h * 3);
  for (let i = 0; i < w * h; i++) for (let c = 0; c < 3; c++) colour[i * 3 + c] = rgb.data[i * 3 + c]! * known[i]!;
  const levels: Level[] = [{ w, h, colour, known }];
  // Push until a level has no unknown pixel left (or is 1 px); an image with nothing known stays grey.
  while (levels.at(-1)!.known.some((k) => k === 0) && (levels.at(-1)!.w > 1 || levels.at(-1)!.h > 1)) levels.push(push(levels.at(-1)!, 3));
  let filled: Float32Array | null = null;
  for (let li = levels.length - 1; li >= 0; li--) {
    const l = levels[li]!;
    const up = filled ? upsample(filled, levels[li + 1]!.w, levels[li + 1]!.h, l.w, l.h, 3) : null;
    const next = new Float32Array(l.w * l.h * 3);
    for (let i = 0; i < l.w * l.h; i++) {
      const k = l.known[i]!;
      for (let c = 0; c < 3; c++) {
        const own = k > 0 ? l.colour[i * 3 + c]! / k : 0;
        next[i * 3 + c] = up ? k * own + (1 - k) * up[i * 3 + c]! : (k > 0 ? own : 127.5);
      }
    }
    filled = next;
  }
  const out = new Uint8Array(w * h * 3);
  for (let i = 0; i < out.length; i++) out[i] = known[(i / 3) | 0] ? rgb.data[i]! : Math.max(0, Math.min(255, Math.round(filled![i]!)));
  return raster(out, w, h, 3);
}
