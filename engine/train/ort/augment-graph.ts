import type { Sym } from '../../nets/autodiff/sym.js';
import type { TraceOps } from '../../nets/autodiff/trace-ops.js';
import { tf } from '../../nets/tf.js';
import type { Augment } from '../augment.js';

/**
 * DiffAugment (engine/train/augment.ts) inside a step graph. Its random draws are made in JavaScript by the same
 * tfjs calls with the same seeds, in the same order, and fed as inputs named `<prefix>.<draw>`; the graph applies
 * them. Per-sample translation becomes a grouped conv with a one-hot kernel per sample (zero padding fills like
 * the original's pad-and-slice), so its backward is a conv adjoint the autodiff already has.
 */
export function traceAugment(t: TraceOps, x: Sym, policy: readonly Augment[], prefix: string): Sym {
  const [b, c, h, w] = x.shape as [number, number, number, number];
  if (policy.includes('color')) {
    const per = (name: string) => t.input(`${prefix}.${name}`, [b, 1, 1, 1]);
    x = t.add(x, per('brightness'));
    const meanC = t.mean(x, [1], true);
    x = t.add(t.mul(t.sub(x, meanC), per('saturation')), meanC);
    const mean = t.mean(x, [1, 2, 3], true);
    x = t.add(t.mul(t.sub(x, mean), per('contrast')), mean);
  }
  if (policy.includes('translation')) {
    const k = 2 * shiftOf(h) + 1;
    const kernel = t.input(`${prefix}.shift`, [b * c, 1, k, k]);
    const moved = t.conv(t.reshape(x, [1, b * c, h, w]), kernel, { stride: 1, dilation: 1, pad: shiftOf(h), group: b * c });
    x = t.reshape(moved, [b, c, h, w]);
  }
  if (policy.includes('cutout')) x = t.mul(x, t.input(`${prefix}.cutout`, [b, 1, h, w]));
  return x;
}

const shiftOf = (h: number) => Math.max(1, Math.round(h / 8));

/** The draws diffAugment(x, policy, seed) makes for a [b, c, h, w] batch, as the inputs traceAugment reads. */
export function augmentDraws(policy: readonly Augment[], [b, c, h, w]: number[], seed: number, prefix: string): Record<string, { data: Float32Array; dims: number[] }> {
  let s = seed;
  const uniform = (shape: number[], lo = 0, hi = 1) => {
    const u = tf.randomUniform(shape, lo, hi, 'float32', s++);
    const data = u.dataSync() as Float32Array;
    u.dispose();
    return data;
  };
  const out: Record<string, { data: Float32Array; dims: number[] }> = {};
  if (policy.includes('color')) {
    out[`${prefix}.brightness`] = { data: uniform([b!, 1, 1, 1], -0.5, 0.5), dims: [b!, 1, 1, 1] };
    out[`${prefix}.saturation`] = { data: uniform([b!, 1, 1, 1], 0, 2), dims: [b!, 1, 1, 1] };
    out[`${prefix}.contrast`] = { data: uniform([b!, 1, 1, 1], 0.5, 1.5), dims: [b!, 1, 1, 1] };
  }
  if (policy.includes('translation')) {
    // The original reads padded[y + sy, x + sx]; a cross-correlation reads xpad[y + i, x + j]: the one is at (sy, sx).
    const p = shiftOf(h!), k = 2 * p + 1;
    const shifts = uniform([b!, 2], 0, 2 * p + 1);
    const kernel = new Float32Array(b! * c! * k * k);
    for (let i = 0; i < b!; i++) for (let ch = 0; ch < c!; ch++) {
      kernel[(i * c! + ch) * k * k + Math.floor(shifts[2 * i]!) * k + Math.floor(shifts[2 * i + 1]!)] = 1;
    }
    out[`${prefix}.shift`] = { data: kernel, dims: [b! * c!, 1, k, k] };
  }
  if (policy.includes('cutout')) {
    const centres = uniform([b!, 2], 0, 1);
    const mask = new Float32Array(b! * h! * w!).fill(1);
    const ch = Math.round(h! / 2), cw = Math.round(w! / 2);
    for (let i = 0; i < b!; i++) {
      const y0 = Math.floor(centres[2 * i]! * (h! + 1 - ch)), x0 = Math.floor(centres[2 * i + 1]! * (w! + 1 - cw));
      for (let y = y0; y < y0 + ch; y++) mask.fill(0, (i * h! + y) * w! + x0, (i * h! + y) * w! + x0 + cw);
    }
    out[`${prefix}.cutout`] = { data: mask, dims: [b!, 1, h!, w!] };
  }
  return out;
}
