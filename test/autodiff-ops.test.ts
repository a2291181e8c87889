import { describe, expect, it } from 'vitest';
import { tf } from '../engine/nets/tf.js';
import { compareGradients, type CompareOptions, type NetFn } from './autodiff-helpers.js';

/**
 * tfjs cannot differentiate a dilated conv, so its reference is the same conv with the kernel's taps spread out by
 * inserted zeros (dilation 2: a 5×5 kernel), written in plain tfjs, whose gradients tfjs has.
 */
function dilatedConvReference([x, w]: tf.Tensor[]): tf.Tensor {
  const [o, i, k] = w!.shape as number[];
  const hwio = tf.transpose(w!, [2, 3, 1, 0]); // [k, k, in, out]
  const spread = tf.pad(tf.reshape(hwio, [k!, 1, k!, 1, i!, o!]), [[0, 0], [0, 1], [0, 0], [0, 1], [0, 0], [0, 0]]);
  const kernel = tf.slice(tf.reshape(spread, [2 * k!, 2 * k!, i!, o!]), [0, 0, 0, 0], [2 * k! - 1, 2 * k! - 1, i!, o!]) as tf.Tensor4D;
  const pad = k! - 1;
  const nhwc = tf.pad(tf.transpose(x!, [0, 2, 3, 1]), [[0, 0], [pad, pad], [pad, pad], [0, 0]]) as tf.Tensor4D;
  return tf.transpose(tf.conv2d(nhwc, kernel, 1, 'valid'), [0, 3, 1, 2]);
}

/**
 * Each NetOps op (and the compositions the nets use), differentiated by the autodiff and emitted as ONNX, against
 * tf.grads of the eager tfjs interpreter on random inputs: value and every input gradient within 1e-5 relative.
 */
const cases: [string, NetFn, number[][], CompareOptions?][] = [
  ['add (broadcast)', (o, [a, b]) => o.add(a!, b!), [[2, 3, 4, 4], [1, 3, 1, 1]]],
  ['add scalar', (o, [a]) => o.add(a!, 0.7), [[3, 5]]],
  ['sub (broadcast, both sides)', (o, [a, b]) => o.sub(o.sub(a!, b!), o.sub(1.5, a!)), [[4, 6], [6]]],
  ['mul (broadcast)', (o, [a, b]) => o.mul(a!, b!), [[2, 3, 4, 4], [2, 3, 1, 1]]],
  ['div', (o, [a, b]) => o.div(a!, o.add(o.square(b!), 0.5)), [[3, 4], [3, 4]]],
  ['matmul', (o, [a, b]) => o.matmul(a!, b!), [[5, 7], [7, 3]]],
  ['square', (o, [a]) => o.square(a!), [[4, 5]]],
  ['sqrt', (o, [a]) => o.sqrt(o.add(o.square(a!), 0.3)), [[4, 5]]],
  ['rsqrt', (o, [a]) => o.rsqrt(o.add(o.square(a!), 0.3)), [[4, 5]]],
  ['sum (axes, keepDims)', (o, [a]) => o.add(o.sum(a!, [1, 3], true), o.sum(a!, [0, 2, 3], true)), [[2, 3, 4, 5]]],
  ['mean', (o, [a]) => o.mean(a!, [0, 2]), [[3, 4, 5]]],
  ['leakyRelu with gain', (o, [a]) => o.leakyRelu(a!, 0.2, Math.SQRT2), [[3, 4, 5]]],
  ['sigmoid', (o, [a]) => o.sigmoid(a!), [[4, 5]]],
  ['tanh', (o, [a]) => o.tanh(a!), [[4, 5]]],
  ['clip', (o, [a]) => o.clip(a!, -0.5, 0.8), [[6, 7]]],
  ['reshape', (o, [a]) => o.mul(o.reshape(a!, [-1, 6]), o.reshape(a!, [-1, 6])), [[2, 3, 2, 2]]],
  ['transpose', (o, [a]) => o.transpose(a!, [2, 0, 3, 1]), [[2, 3, 4, 5]]],
  ['concat', (o, [a, b]) => o.concat([a!, b!, a!], 1), [[2, 3, 4, 4], [2, 2, 4, 4]]],
  ['split', (o, [a]) => { const [p, q] = o.split(a!, 1, [2, 3]); return o.mul(o.sum(p!, [1], true), q!); }, [[2, 5, 3, 3]]],
  ['select', (o, [a]) => o.mul(o.select(a!, 1, 2), o.select(a!, 1, 0)), [[3, 4, 5]]],
  ['tile', (o, [a]) => o.tile(a!, [2, 1, 3, 2]), [[2, 3, 2, 2]]],
  ['broadcastBatch', (o, [a, b]) => o.add(o.broadcastBatch(a!, b!), b!), [[1, 3, 4, 4], [5, 3, 4, 4]]],
  ['conv2d 3×3 with bias', (o, [x, w, b]) => o.conv2d(x!, w!, { bias: b! }), [[2, 3, 8, 8], [4, 3, 3, 3], [4]]],
  ['conv2d 1×1', (o, [x, w]) => o.conv2d(x!, w!), [[2, 5, 6, 6], [3, 5, 1, 1]]],
  ['conv2d stride 2 (odd size)', (o, [x, w]) => o.conv2d(x!, w!, { stride: 2 }), [[2, 3, 9, 9], [4, 3, 3, 3]]],
  ['conv2d stride 2 (even size)', (o, [x, w]) => o.conv2d(x!, w!, { stride: 2 }), [[2, 3, 8, 8], [4, 3, 5, 5]]],
  ['conv2d dilation 2', (o, [x, w]) => o.conv2d(x!, w!, { dilation: 2 }), [[2, 3, 9, 9], [2, 3, 3, 3]], { reference: dilatedConvReference }],
  ['conv2d depthwise, edge padding', (o, [x, w]) => o.conv2d(x!, w!, { depthwise: true, padding: 'edge' }), [[2, 3, 6, 6], [3, 1, 3, 3]]],
  ['conv2d depthwise, zero padding', (o, [x, w]) => o.conv2d(x!, w!, { depthwise: true }), [[2, 4, 5, 5], [4, 1, 3, 3]]],
  ['upsample2x', (o, [x]) => o.upsample2x(x!), [[2, 3, 4, 5]]],
  ['downsample2x', (o, [x]) => o.downsample2x(x!), [[2, 3, 4, 6]]],
  // The loss' softplus is no NetOps op (losses are traced directly): its reference is tf.softplus.
  ['softplus (loss primitive)', (o, [x]) => x!, [[4, 5]], { reference: ([x]) => tf.softplus(tf.mul(x!, 3)), trace: (t, [x]) => t.softplus(t.mul(x!, 3)) }],
];

describe('autodiff: each op\'s gradient graph in onnxruntime equals tf.grads of the eager interpreter (≤ 1e-5 relative)', () => {
  it.each(cases)('%s', async (_name, f, shapes, options) => {
    const r = await compareGradients(f, shapes, 17, options);
    expect(r.y).toBeLessThanOrEqual(1e-5);
    r.grads.forEach((d, i) => {
      expect(r.gradScale[i]).toBeGreaterThan(1e-3); // a gradient that is all zeros would prove nothing
      expect(d, `input ${i}`).toBeLessThanOrEqual(1e-5);
    });
    console.log(`${_name}: value ${r.y.toExponential(1)}, grads ${r.grads.map((d) => d.toExponential(1)).join(' ')}`);
  });
});
