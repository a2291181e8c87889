import { tf } from '../nets/tf.js';

export type Augment = 'color' | 'translation' | 'cutout';

/**
 * DiffAugment (Zhao et al. 2020): the same differentiable augmentations on reals and fakes before D, so D
 * cannot memorise a small folder of images. Images are NHWC in [-1, 1]; `seed` makes every draw repeatable.
 */
export function diffAugment(x: tf.Tensor4D, policy: readonly Augment[], seed: number): tf.Tensor4D {
  const [b, h, w] = x.shape;
  let s = seed;
  const uniform = (shape: number[], lo = 0, hi = 1) => tf.randomUniform(shape, lo, hi, 'float32', s++);
  if (policy.includes('color')) {
    x = tf.add(x, uniform([b, 1, 1, 1], -0.5, 0.5)) as tf.Tensor4D; // brightness
    const meanC = tf.mean(x, 3, true);
    x = tf.add(tf.mul(tf.sub(x, meanC), uniform([b, 1, 1, 1], 0, 2)), meanC) as tf.Tensor4D; // saturation
    const mean = tf.mean(x, [1, 2, 3], true);
    x = tf.add(tf.mul(tf.sub(x, mean), uniform([b, 1, 1, 1], 0.5, 1.5)), mean) as tf.Tensor4D; // contrast
  }
  if (policy.includes('translation')) {
    // Shift each image by up to 1/8 of its size, filling with zeros: pad once, then slice per sample.
    const p = Math.max(1, Math.round(h / 8));
    const shifts = uniform([b, 2], 0, 2 * p + 1).dataSync();
    const padded = tf.pad(x, [[0, 0], [p, p], [p, p], [0, 0]]);
    const parts = Array.from({ length: b }, (_, i) =>
      tf.slice(padded, [i, Math.floor(shifts[2 * i]!), Math.floor(shifts[2 * i + 1]!), 0], [1, h, w, -1]));
    x = tf.concat(parts, 0) as tf.Tensor4D;
  }
  if (policy.includes('cutout')) {
    // Zero a square of half the image size at a random place in each image.
    const centres = uniform([b, 2], 0, 1).dataSync();
    const mask = new Float32Array(b * h * w).fill(1);
    const ch = Math.round(h / 2), cw = Math.round(w / 2);
    for (let i = 0; i < b; i++) {
      const y0 = Math.floor(centres[2 * i]! * (h + 1 - ch)), x0 = Math.floor(centres[2 * i + 1]! * (w + 1 - cw));
      for (let y = y0; y < y0 + ch; y++) mask.fill(0, (i * h + y) * w + x0, (i * h + y) * w + x0 + cw);
    }
    x = tf.mul(x, tf.tensor4d(mask, [b, h, w, 1])) as tf.Tensor4D;
  }
  return x;
}
