import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';

// Production mode: no per-op debug checks, and no console banner suggesting tfjs-node on every CLI run.
tf.enableProdMode();

export { tf };

/** Values that a layer reads at run time; exported graphs bake the same numbers in as constants. */
export const read = (t: tf.Tensor): Float32Array => t.dataSync() as Float32Array;

/** The values of `t × k`, without leaving the product tensor behind. */
export function readScaled(t: tf.Tensor, k: number): Float32Array {
  const scaled = tf.mul(t, k);
  try {
    return read(scaled);
  } finally {
    scaled.dispose();
  }
}
