/**
 * The hole metrics of the object-removal bench, computed here once for every method from the RGB image each
 * method returns, against the photo as it was before the foreign object was pasted in.
 *
 *  - L1: mean |a − b| over hole pixels and the 3 channels, in [0, 1] units.
 *  - PSNR: 10·log10(1 / MSE) with the MSE over hole pixels and the 3 channels, in [0, 1] units.
 *  - SSIM: Wang et al.'s SSIM on luma (Y = 0.299 R + 0.587 G + 0.114 B, in [0, 1]; C1 = 0.01², C2 = 0.03²)
 *    with the standard 11×11 Gaussian window (σ = 1.5), computed on the whole image (the image's edge pixels
 *    repeated outside it) and averaged over the windows whose centre is a hole pixel.
 */

export interface HoleScores { l1: number; psnr: number; ssim: number }

const WINDOW = (() => {
  const g = Array.from({ length: 11 }, (_, i) => Math.exp(-((i - 5) ** 2) / (2 * 1.5 ** 2)));
  const s = g.reduce((a, b) => a + b, 0);
  return Float64Array.from(g, (v) => v / s);
})();

/** The bounding box of the hole pixels, half-open; null when there are none. */
function holeBox(mask: Uint8Array, w: number, h: number): { x0: number; y0: number; x1: number; y1: number } | null {
  let x0 = w, y0 = h, x1 = 0, y1 = 0;
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    if (!mask[y * w + x]) continue;
    if (x < x0) x0 = x;
    if (x >= x1) x1 = x + 1;
    if (y < y0) y0 = y;
    if (y >= y1) y1 = y + 1;
  }
  return x1 > x0 ? { x0, y0, x1, y1 } : null;
}

/** The truth's side of the metrics, computed once per photo and hole and shared by every method. */
export interface HoleTruth {
  truth: Uint8Array;
  mask: Uint8Array;
  w: number;
  h: number;
  /** The hole's box grown by the window's radius (clamped to the image): all that windows centred in the hole read. */
  box: { x0: number; y0: number; x1: number; y1: number } | null;
  /** Hole pixels as offsets into the box, and the truth's blurred luma moments there. */
  at: Int32Array;
  mean: Float64Array;
  sq: Float64Array;
  /** The truth's luma over the box plus the window's radius on every side. */
  luma: Float64Array;
}

const R = 5;

/** Luma of the box plus R px on every side, the image's edge pixels repeated where it runs out. */
function padLuma(rgb: Uint8Array, t: Pick<HoleTruth, 'w' | 'h'>, box: NonNullable<HoleTruth['box']>): Float64Array {
  const bw = box.x1 - box.x0, bh = box.y1 - box.y0, pw = bw + 2 * R, ph = bh + 2 * R;
  const out = new Float64Array(pw * ph);
  for (let y = 0; y < ph; y++) {
    const sy = Math.min(t.h - 1, Math.max(0, box.y0 - R + y));
    for (let x = 0; x < pw; x++) {
      const s = (sy * t.w + Math.min(t.w - 1, Math.max(0, box.x0 - R + x))) * 3;
      out[y * pw + x] = (0.299 * rgb[s]! + 0.587 * rgb[s + 1]! + 0.114 * rgb[s + 2]!) / 255;
    }
  }
  return out;
}

/** The 11×11 Gaussian of a padded field, at the hole pixels only: a row pass over the box, then columns. */
function blurAt(f: Float64Array, bw: number, bh: number, at: Int32Array): Float64Array {
  const pw = bw + 2 * R, ph = bh + 2 * R;
  const rows = new Float64Array(bw * ph);
  for (let y = 0; y < ph; y++) for (let x = 0; x < bw; x++) {
    let v = 0;
    const o = y * pw + x;
    for (let k = 0; k < 11; k++) v += WINDOW[k]! * f[o + k]!;
    rows[y * bw + x] = v;
  }
  const out = new Float64Array(at.length);
  for (let j = 0; j < at.length; j++) {
    let v = 0;
    for (let k = 0; k < 11; k++) v += WINDOW[k]! * rows[at[j]! + k * bw]!;
    out[j] = v;
  }
  return out;
}

export function holeTruth(truth: Uint8Array, mask: Uint8Array, w: number, h: number): HoleTruth {
  if (truth.length !== w * h * 3 || mask.length !== w * h) throw new Error('holeTruth: size mismatch');
  const hb = holeBox(mask, w, h);
  if (!hb) return { truth, mask, w, h, box: null, at: new Int32Array(0), mean: new Float64Array(0), sq: new Float64Array(0), luma: new Float64Array(0) };
  const box = { x0: Math.max(0, hb.x0 - R), y0: Math.max(0, hb.y0 - R), x1: Math.min(w, hb.x1 + R), y1: Math.min(h, hb.y1 + R) };
  const bw = box.x1 - box.x0, bh = box.y1 - box.y0;
  const at: number[] = [];
  for (let y = 0; y < bh; y++) for (let x = 0; x < bw; x++) if (mask[(box.y0 + y) * w + box.x0 + x]) at.push(y * bw + x);
  const idx = Int32Array.from(at);
  const luma = padLuma(truth, { w, h }, box);
  return { truth, mask, w, h, box, at: idx, luma, mean: blurAt(luma, bw, bh, idx), sq: blurAt(luma.map((v) => v * v), bw, bh, idx) };
}

/**
 * SSIM averaged over windows centred in the hole. Only the hole's box grown by the window's radius is blurred:
 * that is all the windows centred in the hole ever read, so the figure is the whole-image computation's.
 */
export function holeSsim(t: HoleTruth, out: Uint8Array): number {
  if (!t.box) return NaN;
  const bw = t.box.x1 - t.box.x0, bh = t.box.y1 - t.box.y0;
  const B = padLuma(out, t, t.box);
  const mb = blurAt(B, bw, bh, t.at), sbb = blurAt(B.map((v) => v * v), bw, bh, t.at), sab = blurAt(B.map((v, i) => v * t.luma[i]!), bw, bh, t.at);
  const c1 = 0.01 ** 2, c2 = 0.03 ** 2;
  let sum = 0;
  for (let j = 0; j < t.at.length; j++) {
    const mA = t.mean[j]!, mB = mb[j]!;
    const va = t.sq[j]! - mA * mA, vb = sbb[j]! - mB * mB, cov = sab[j]! - mA * mB;
    sum += ((2 * mA * mB + c1) * (2 * cov + c2)) / ((mA * mA + mB * mB + c1) * (va + vb + c2));
  }
  return sum / t.at.length;
}

/** L1, PSNR and SSIM of `out` (RGB, the truth's size) against the truth over the hole (mask non-zero). */
export function holeScores(t: HoleTruth, out: Uint8Array): HoleScores {
  const { truth, mask } = t;
  if (out.length !== truth.length) throw new Error('holeScores: size mismatch');
  let l1 = 0, se = 0, n = 0;
  for (let i = 0; i < mask.length; i++) {
    if (!mask[i]) continue;
    for (let c = 0; c < 3; c++) {
      const d = (out[i * 3 + c]! - truth[i * 3 + c]!) / 255;
      l1 += Math.abs(d);
      se += d * d;
    }
    n += 3;
  }
  return { l1: l1 / n, psnr: 10 * Math.log10(1 / Math.max(se / n, 1e-10)), ssim: holeSsim(t, out) };
}
