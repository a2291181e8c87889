import { tf } from './tf.js';

/**
 * A gradient for Conv2D built only from conv2d, pad, reverse and transpose, for backends without Conv2DBackpropFilter
 * (tfjs-backend-wasm). dX is a full convolution of dy with the flipped, transposed kernel; dW is a convolution
 * of the input with dy. Both are made of differentiable ops whose gradients route back through Conv2D itself, so
 * second-order gradients (the R1 penalty) work too. The nets use stride 1, dilation 1, 'valid' padding (they
 * pad explicitly) in every layer they train.
 */
function conv2dGrad(dy: tf.Tensor4D, x: tf.Tensor4D, filter: tf.Tensor4D): { x: () => tf.Tensor4D; filter: () => tf.Tensor4D } {
  const [kh, kw] = filter.shape;
  return {
    x: () => {
      const flipped = tf.transpose(tf.reverse(filter, [0, 1]), [0, 1, 3, 2]) as tf.Tensor4D; // [kh, kw, out, in]
      const padded = tf.pad(dy, [[0, 0], [kh - 1, kh - 1], [kw - 1, kw - 1], [0, 0]]);
      return tf.conv2d(padded, flipped, 1, 'valid');
    },
    filter: () => {
      // dW as one convolution: x as a batch of C single-channel images with B channels, convolved with dy as a
      // [Ho, Wo, B, O] kernel, gives [C, kh, kw, O]. XNNPACK runs this ~6× faster than nine transposed matMuls.
      const xT = tf.transpose(x, [3, 1, 2, 0]) as tf.Tensor4D;
      const dyK = tf.transpose(dy, [1, 2, 0, 3]) as tf.Tensor4D;
      return tf.transpose(tf.conv2d(xT, dyK, 1, 'valid'), [1, 2, 0, 3]) as tf.Tensor4D;
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
