import { tf } from './tf.js';

/**
 * Correct gradients for two tfjs kernels whose registered ones are wrong (found by the autodiff's equality tests,
 * test/autodiff-ops.test.ts, and checked against PyTorch):
 * - ResizeNearestNeighbor: tfjs' gradient kernel gives wrong values for batch > 1 or channels > 1 (the synthesis
 *   net's ×2 upsampling);
 * - MirrorPad: tfjs' gradient only slices out the interior, dropping what the mirrored border pixels received (the
 *   blur's edge padding).
 * Both are rewritten as products with 0/1 matrices that route each output pixel back to its source pixel, which
 * tfjs differentiates again (R1's double backward). Registering replaces the umbrella package's gradients.
 */

/** M[o, i] = 1 when output row o reads input row `source(o)` = i. */
function routing(outSize: number, inSize: number, source: (o: number) => number): tf.Tensor2D {
  const m = new Float32Array(outSize * inSize);
  for (let o = 0; o < outSize; o++) m[o * inSize + source(o)] = 1;
  return tf.tensor2d(m, [outSize, inSize]);
}

/** Σ over `axis` of dy routed back: moves `axis` last, multiplies by M [out, in], moves it back. */
function routeBack(dy: tf.Tensor, axis: number, m: tf.Tensor2D): tf.Tensor {
  const rank = dy.rank;
  const perm = [...Array(rank).keys()].filter((a) => a !== axis).concat(axis);
  const moved = tf.transpose(dy, perm);
  const flat = tf.reshape(moved, [-1, moved.shape[rank - 1]!]);
  const back = tf.reshape(tf.matMul(flat, m), [...moved.shape.slice(0, -1), m.shape[1]]);
  const inv = perm.reduce<number[]>((p, a, j) => ((p[a] = j), p), []);
  return tf.transpose(back, inv);
}

/** tfjs' own source-pixel rule for nearest resizing (cpu and wasm kernels agree on it). */
function nearestSource(inSize: number, outSize: number, alignCorners: boolean, halfPixelCenters: boolean) {
  const ratio = alignCorners && outSize > 1 ? (inSize - 1) / (outSize - 1) : inSize / outSize;
  return (o: number) => {
    const frac = halfPixelCenters ? ratio * (o + 0.5) : ratio * o;
    const s = Math.min(inSize - 1, alignCorners ? Math.round(frac) : Math.floor(frac));
    return halfPixelCenters ? Math.max(0, s) : s;
  };
}

tf.registerGradient({
  kernelName: 'ResizeNearestNeighbor',
  inputsToSave: ['images'],
  gradFunc: (dy, saved, attrs) => {
    const [images] = saved as [tf.Tensor4D];
    const { alignCorners, halfPixelCenters } = attrs as unknown as { alignCorners: boolean; halfPixelCenters: boolean };
    return {
      images: () => {
        const d = dy as tf.Tensor4D;
        const rows = routing(d.shape[1], images.shape[1], nearestSource(images.shape[1], d.shape[1], alignCorners, halfPixelCenters));
        const cols = routing(d.shape[2], images.shape[2], nearestSource(images.shape[2], d.shape[2], alignCorners, halfPixelCenters));
        return routeBack(routeBack(d, 1, rows), 2, cols);
      },
    };
  },
});

tf.registerGradient({
  kernelName: 'MirrorPad',
  inputsToSave: ['x'],
  gradFunc: (dy, saved, attrs) => {
    const [x] = saved as [tf.Tensor];
    const { paddings, mode } = attrs as unknown as { paddings: [number, number][]; mode: 'reflect' | 'symmetric' };
    const offset = mode === 'reflect' ? 0 : 1;
    return {
      x: () => {
        let g = dy as tf.Tensor;
        paddings.forEach(([before, after], axis) => {
          if (before === 0 && after === 0) return;
          const n = x.shape[axis]!;
          const source = (o: number) => {
            const i = o - before;
            if (i < 0) return -i - offset; // reflect: x[1] mirrors to x[-1]; symmetric: x[0] to x[-1]
            if (i >= n) return 2 * n - i - 2 + offset;
            return i;
          };
          g = routeBack(g, axis, routing(n + before + after, n, source));
        });
        return g;
      },
    };
  },
});
