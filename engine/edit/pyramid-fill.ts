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
  for (let y = 0; y < h; y++) {
    const y0 = 2 * y, y1 = Math.min(2 * y + 1, l.h - 1);
    for (let x = 0; x < w; x++) {
      const x0 = 2 * x, x1 = Math.min(2 * x + 1, l.w - 1);
      // Up to four source pixels; a duplicate index (odd edge) is counted once.
      const n = (x1 > x0 ? 2 : 1) * (y1 > y0 ? 2 : 1);
      const a = y0 * l.w + x0, b = y0 * l.w + x1, c = y1 * l.w + x0, e = y1 * l.w + x1;
      const d = y * w + x;
      if (n === 4) {
        known[d] = (l.known[a]! + l.known[b]! + l.known[c]! + l.known[e]!) / 4;
        for (let k = 0; k < channels; k++) colour[d * channels + k] = (l.colour[a * channels + k]! + l.colour[b * channels + k]! + l.colour[c * channels + k]! + l.colour[e * channels + k]!) / 4;
      } else if (n === 2) {
        const o = x1 > x0 ? b : c;
        known[d] = (l.known[a]! + l.known[o]!) / 2;
        for (let k = 0; k < channels; k++) colour[d * channels + k] = (l.colour[a * channels + k]! + l.colour[o * channels + k]!) / 2;
      } else {
        known[d] = l.known[a]!;
        for (let k = 0; k < channels; k++) colour[d * channels + k] = l.colour[a * channels + k]!;
      }
    }
  }
  return { w, h, colour, known };
}

/** Bilinear resampling of a coarse level to w × h, pixel centres aligned (PyTorch align_corners=False). */
export function upsample(src: Float32Array, sw: number, sh: number, w: number, h: number, channels: number): Float32Array {
  const out = new Float32Array(w * h * channels);
  const at = upsampler(src, sw, sh, w, h, channels);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let c = 0; c < channels; c++) out[(y * w + x) * channels + c] = at(x, y, c);
  return out;
}

/** Relaxation sweeps per pyramid level: a few on the coarse levels (they set the large scale cheaply), more on the finest. */
export const RELAX_COARSE = 8, RELAX_FINE = 40;
const OMEGA = 1.8;

/**
 * Red-black successive over-relaxation of Laplace's equation on the pixels of a level that are not wholly known,
 * the wholly known ones held fixed: it turns the push-pull guess into (nearly) the harmonic fill, the smoothest
 * surface that meets the hole's edge, which is what a thin stroke should be filled with.
 */
function relax(f: Float32Array, known: Float32Array, w: number, h: number, sweeps: number): void {
  if (w * h === 1) return; // a 1 px level has no neighbours to average
  const free: number[] = [];
  for (let i = 0; i < w * h; i++) if (known[i]! < 1) free.push(i);
  if (free.length === 0) return;
  const parity = free.map((i) => ((i % w) + ((i / w) | 0)) & 1);
  for (let s = 0; s < sweeps; s++) for (let colour = 0; colour < 2; colour++) {
    for (let j = 0; j < free.length; j++) {
      if (parity[j] !== colour) continue;
      const i = free[j]!, x = i % w, y = (i - x) / w;
      const l = x > 0 ? i - 1 : -1, r = x < w - 1 ? i + 1 : -1, u = y > 0 ? i - w : -1, d = y < h - 1 ? i + w : -1;
      const n = (l >= 0 ? 1 : 0) + (r >= 0 ? 1 : 0) + (u >= 0 ? 1 : 0) + (d >= 0 ? 1 : 0);
      for (let c = 0; c < 3; c++) {
        const sum = (l >= 0 ? f[l * 3 + c]! : 0) + (r >= 0 ? f[r * 3 + c]! : 0) + (u >= 0 ? f[u * 3 + c]! : 0) + (d >= 0 ? f[d * 3 + c]! : 0);
        const v = f[i * 3 + c]!;
        f[i * 3 + c] = v + OMEGA * (sum / n - v);
      }
    }
  }
}

/** A bilinear sampler of a coarse level at the pixels of a finer one, pixel by pixel (align_corners=False). */
function upsampler(src: Float32Array, sw: number, sh: number, w: number, h: number, channels = 3): (x: number, y: number, c: number) => number {
  const axis = (n: number, sn: number) => {
    const i0 = new Int32Array(n), i1 = new Int32Array(n), t = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const s = Math.max(0, (i + 0.5) * (sn / n) - 0.5);
      i0[i] = Math.min(Math.floor(s), sn - 1);
      i1[i] = Math.min(i0[i]! + 1, sn - 1);
      t[i] = s - i0[i]!;
    }
    return { i0, i1, t };
  };
  const xs = axis(w, sw), ys = axis(h, sh);
  return (x, y, c) => {
    const r0 = ys.i0[y]! * sw, r1 = ys.i1[y]! * sw, ty = ys.t[y]!, x0 = xs.i0[x]!, x1 = xs.i1[x]!, tx = xs.t[x]!;
    const top = src[(r0 + x0) * channels + c]! * (1 - tx) + src[(r0 + x1) * channels + c]! * tx;
    const bottom = src[(r1 + x0) * channels + c]! * (1 - tx) + src[(r1 + x1) * channels + c]! * tx;
    return top * (1 - ty) + bottom * ty;
  };
}

/** Fills the hole (non-zero in `hole`) of a 3-channel raster smoothly from its surroundings; known pixels are kept exactly. */
export function pyramidFill(rgb: Raster, hole: Raster): Raster {
  const { width: w, height: h } = rgb;
  if (rgb.channels !== 3 || hole.channels !== 1 || hole.width !== w || hole.height !== h) {
    throw new Error(`pyramidFill: needs RGB and a 1-channel hole of the same size (got ${rgb.channels} and ${hole.channels} channels)`);
  }
  const n = w * h;
  const known = new Float32Array(n), colour = new Float32Array(n * 3);
  let unknown = 0;
  for (let i = 0; i < n; i++) {
    if (hole.data[i]) { unknown++; continue; }
    known[i] = 1;
    colour[i * 3] = rgb.data[i * 3]!; colour[i * 3 + 1] = rgb.data[i * 3 + 1]!; colour[i * 3 + 2] = rgb.data[i * 3 + 2]!;
  }
  if (unknown === 0) return rgb;
  const levels: Level[] = [{ w, h, colour, known }];
  const hasUnknown = (l: Level) => { for (let i = 0; i < l.known.length; i++) if (l.known[i] === 0) return true; return false; };
  // Push until a level has no unknown pixel left (or is 1 px); an image with nothing known stays grey.
  while (hasUnknown(levels.at(-1)!) && (levels.at(-1)!.w > 1 || levels.at(-1)!.h > 1)) levels.push(push(levels.at(-1)!, 3));
  let filled: Float32Array | null = null;
  for (let li = levels.length - 1; li >= 0; li--) {
    const l = levels[li]!;
    const next = new Float32Array(l.w * l.h * 3);
    if (!filled) {
      for (let i = 0; i < l.w * l.h; i++) for (let c = 0; c < 3; c++) next[i * 3 + c] = l.known[i]! > 0 ? l.colour[i * 3 + c]! / l.known[i]! : 127.5;
    } else {
      // Only pixels not wholly known take anything from the coarser level: sample it bilinearly there alone.
      const coarse = levels[li + 1]!, up = upsampler(filled, coarse.w, coarse.h, l.w, l.h);
      for (let y = 0; y < l.h; y++) for (let x = 0; x < l.w; x++) {
        const i = y * l.w + x, k = l.known[i]!;
        if (k === 1) {
          next[i * 3] = l.colour[i * 3]!; next[i * 3 + 1] = l.colour[i * 3 + 1]!; next[i * 3 + 2] = l.colour[i * 3 + 2]!;
          continue;
        }
        for (let c = 0; c < 3; c++) next[i * 3 + c] = (k > 0 ? l.colour[i * 3 + c]! : 0) + (1 - k) * up(x, y, c);
      }
    }
    relax(next, l.known, l.w, l.h, li === 0 ? RELAX_FINE : RELAX_COARSE);
    filled = next;
  }
  const out = new Uint8Array(w * h * 3);
  for (let i = 0; i < out.length; i++) out[i] = known[(i / 3) | 0] ? rgb.data[i]! : Math.max(0, Math.min(255, Math.round(filled![i]!)));
  return raster(out, w, h, 3);
}
