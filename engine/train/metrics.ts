/**
 * Sliced Wasserstein distance between two image sets at the levels of a Laplacian pyramid (Karras et al.,
 * ProGAN §5): 7×7 patches drawn from each level, normalised per channel, projected on random directions; the
 * distance is the mean gap between the sorted projections. Small at the coarsest level means the overall
 * structure matches; at the finest, the texture. Reported ×10³, as in the paper.
 */

export interface ImageSet { data: Float32Array; count: number; size: number } // NHWC RGB, any range

import { mulberry32, normals } from '../random.js';

const K1 = [1, 4, 6, 4, 1].map((v) => v / 16);

function blurDown(img: Float32Array, n: number, s: number): Float32Array {
  const h = s / 2;
  const out = new Float32Array(n * h * h * 3);
  const at = (b: number, y: number, x: number, c: number) => img[((b * s + Math.min(s - 1, Math.max(0, y))) * s + Math.min(s - 1, Math.max(0, x))) * 3 + c]!;
  for (let b = 0; b < n; b++) for (let y = 0; y < h; y++) for (let x = 0; x < h; x++) for (let c = 0; c < 3; c++) {
    let v = 0;
    for (let i = 0; i < 5; i++) for (let j = 0; j < 5; j++) v += K1[i]! * K1[j]! * at(b, 2 * y + i - 2, 2 * x + j - 2, c);
    out[((b * h + y) * h + x) * 3 + c] = v;
  }
  return out;
}

function upsample(img: Float32Array, n: number, h: number): Float32Array {
  const s = 2 * h;
  const out = new Float32Array(n * s * s * 3);
  for (let b = 0; b < n; b++) for (let y = 0; y < s; y++) for (let x = 0; x < s; x++) for (let c = 0; c < 3; c++) {
    out[((b * s + y) * s + x) * 3 + c] = img[((b * h + (y >> 1)) * h + (x >> 1)) * 3 + c]!;
  }
  return out;
}

/** Laplacian pyramid: `levels − 1` band-pass images, then the low-pass residual; finest first. */
function pyramid(set: ImageSet, levels: number): { data: Float32Array; size: number }[] {
  const out: { data: Float32Array; size: number }[] = [];
  let cur = set.data, s = set.size;
  for (let l = 0; l < levels - 1; l++) {
    const down = blurDown(cur, set.count, s);
    const up = upsample(down, set.count, s / 2);
    out.push({ data: cur.map((v, i) => v - up[i]!), size: s });
    cur = down;
    s /= 2;
  }
  out.push({ data: cur, size: s });
  return out;
}

function patches(level: { data: Float32Array; size: number }, count: number, perImage: number, rand: () => number): Float32Array {
  const P = 7, D = P * P * 3, s = level.size;
  const out = new Float32Array(count * perImage * D);
  let k = 0;
  for (let b = 0; b < count; b++) for (let p = 0; p < perImage; p++) {
    const y0 = Math.floor(rand() * (s - P + 1)), x0 = Math.floor(rand() * (s - P + 1));
    for (let y = 0; y < P; y++) for (let x = 0; x < P; x++) for (let c = 0; c < 3; c++) out[k++] = level.data[((b * s + y0 + y) * s + x0 + x) * 3 + c]!;
  }
  // Normalise each channel over all descriptors, as the paper does, so levels of different contrast compare.
  for (let c = 0; c < 3; c++) {
    let sum = 0, sq = 0, n = 0;
    for (let i = c; i < out.length; i += 3) { sum += out[i]!; sq += out[i]! * out[i]!; n++; }
    const mean = sum / n, std = Math.sqrt(Math.max(1e-12, sq / n - mean * mean));
    for (let i = c; i < out.length; i += 3) out[i] = (out[i]! - mean) / std;
  }
  return out;
}

function swd1(a: Float32Array, b: Float32Array, dims: number, rand: () => number, directions = 128, repeats = 4): number {
  const na = a.length / dims, nb = b.length / dims, n = Math.min(na, nb);
  let total = 0;
  for (let r = 0; r < repeats; r++) {
    for (let d = 0; d < directions; d++) {
      const dir = normals(rand, dims);
      const norm = Math.hypot(...dir);
      const pa = new Float32Array(n), pb = new Float32Array(n);
      for (let i = 0; i < n; i++) {
        let va = 0, vb = 0;
        for (let j = 0; j < dims; j++) { va += a[i * dims + j]! * dir[j]!; vb += b[i * dims + j]! * dir[j]!; }
        pa[i] = va / norm; pb[i] = vb / norm;
      }
      pa.sort(); pb.sort();
      let gap = 0;
      for (let i = 0; i < n; i++) gap += Math.abs(pa[i]! - pb[i]!);
      total += gap / n;
    }
  }
  return total / (repeats * directions);
}

/** SWD ×10³ per pyramid level, finest first (e.g. 64, 32, 16 px for 64 px images), and their mean. */
export function slicedWassersteinPyramid(a: ImageSet, b: ImageSet, levels = 3, perImage = 64, seed = 1): { levels: { size: number; swd: number }[]; mean: number } {
  if (a.size !== b.size) throw new Error('SWD needs image sets of the same size');
  const n = Math.min(a.count, b.count);
  const rand = mulberry32(seed);
  const pa = pyramid({ ...a, count: n, data: a.data.subarray(0, n * a.size * a.size * 3) }, levels);
  const pb = pyramid({ ...b, count: n, data: b.data.subarray(0, n * b.size * b.size * 3) }, levels);
  const out = pa.map((la, l) => ({
    size: la.size,
    swd: 1e3 * swd1(patches(la, n, perImage, rand), patches(pb[l]!, n, perImage, rand), 147, rand),
  }));
  return { levels: out, mean: out.reduce((s, l) => s + l.swd, 0) / out.length };
}
