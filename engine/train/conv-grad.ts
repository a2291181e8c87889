import { tf } from '../nets/tf.js';

/**
 * A gradient for Conv2D built only from conv2d, slice and matMul, for backends without Conv2DBackpropFilter
 * (tfjs-backend-wasm). dX is a full convolution of dy with the flipped, transposed kernel; dW is one matMul
 * per kernel tap. Both are made of differentiable ops whose gradients route back through Conv2D itself, so
 * second-order gradients (the R1 penalty) work too. The nets use stride 1, dilation 1, 'valid' padding (they
 * pad explicitly) in every layer they train.
 */
function conv2dGrad(dy: tf.Tensor4D, x: tf.Tensor4D, filter: tf.Tensor4D): { x: () => tf.Tensor4D; filter: () => tf.Tensor4D } {
  const [kh, kw, cin, cout] = filter.shape;
  return {
    x: () => {
      const flipped = tf.transpose(tf.reverse(filter, [0, 1]), [0, 1, 3, 2]) as tf.Tensor4D; // [kh, kw, out, in]
      const padded = tf.pad(dy, [[0, 0], [kh - 1, kh - 1], [kw - 1, kw - 1], [0, 0]]);
      return tf.conv2d(padded, flipped, 1, 'valid');
    },
    filter: () => {
      const [b, ho, wo] = dy.shape;
      const dyFlat = tf.reshape(dy, [b * ho * wo, cout]);
      const taps: tf.Tensor[] = [];
      for (let i = 0; i < kh; i++) {
        for (let j = 0; j < kw; j++) {
          const xs = tf.reshape(tf.slice(x, [0, i, j, 0], [b, ho, wo, cin]), [b * ho * wo, cin]);
          taps.push(tf.matMul(xs, dyFlat, true, false));
        }
      }
      return tf.reshape(tf.stack(taps), [kh, kw, cin, cout]) as tf.Tensor4D;
    },
  };
}

let registered = false;

export function registerConvGradient(): void {
  if (registered) return;
  registered = true;
  tf.registerGradient({
    kernelName: 'Conv2D',
    inputsToSave: ['x', 'filter'],
    gradFunc: (dy, saved, attrs) => {
      const a = attrs as unknown as { strides: number | number[]; pad: unknown; dilations: number | number[]; dataFormat: string };
      const one = (v: number | number[]) => (Array.isArray(v) ? v.every((n) => n === 1) : v === 1);
      if (!one(a.strides) || !one(a.dilations) || a.pad !== 'valid' || a.dataFormat !== 'NHWC') {
        throw new Error('the training core differentiates only stride-1, dilation-1, valid-padded NHWC convolutions');
      }
      const [x, filter] = saved as [tf.Tensor4D, tf.Tensor4D];
      return conv2dGrad(dy as tf.Tensor4D, x, filter);
    },
  });
}
