import type { GraphBuilder } from './onnx/graph.js';
import { readScaled, tf } from './tf.js';

const SQRT2 = Math.SQRT2;

/**
 * Fully connected layer with equalized learning rate (ProGAN): weights are stored N(0, 1/lrMul²) and scaled
 * by lrMul/√fanIn at run time, so Adam sees every layer at the same scale. `gain` √2 after leaky ReLU keeps
 * activations at unit variance (StyleGAN2's "lrelu" fc).
 */
export class EqualizedDense {
  readonly weight: tf.Variable;
  readonly bias: tf.Variable;
  private readonly wScale: number;

  constructor(
    readonly name: string,
    readonly inFeatures: number,
    readonly outFeatures: number,
    readonly activation: 'linear' | 'lrelu',
    readonly lrMul = 1,
    seed = 0,
  ) {
    this.weight = tf.variable(tf.randomNormal([inFeatures, outFeatures], 0, 1 / lrMul, 'float32', seed), true);
    this.bias = tf.variable(tf.zeros([outFeatures]), true);
    this.wScale = lrMul / Math.sqrt(inFeatures);
  }

  forward(x: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => {
      const y = tf.add(tf.matMul(x, tf.mul(this.weight, this.wScale)), tf.mul(this.bias, this.lrMul)) as tf.Tensor2D;
      return this.activation === 'lrelu' ? (tf.mul(tf.leakyRelu(y, 0.2), SQRT2) as tf.Tensor2D) : y;
    });
  }

  onnx(g: GraphBuilder, x: string): string {
    const w = g.const(`${this.name}.w`, readScaled(this.weight, this.wScale), [this.inFeatures, this.outFeatures]);
    const b = g.const(`${this.name}.b`, readScaled(this.bias, this.lrMul), [this.outFeatures]);
    const y = g.op('Gemm', [x, w, b]);
    if (this.activation === 'linear') return y;
    return g.op('Mul', [g.op('LeakyRelu', [y], { alpha: { float: 0.2 } }), g.scalar('sqrt2', SQRT2)]);
  }

  variables(): tf.Variable[] {
    return [this.weight, this.bias];
  }
}

/** Pixel norm over features (ProGAN), applied to z so its scale never matters. */
export const normalize2ndMoment = {
  forward: (x: tf.Tensor2D): tf.Tensor2D =>
    tf.tidy(() => tf.mul(x, tf.rsqrt(tf.add(tf.mean(tf.square(x), 1, true), 1e-8))) as tf.Tensor2D),

  onnx(g: GraphBuilder, x: string): string {
    const meanSq = g.op('ReduceMean', [g.op('Mul', [x, x])], { axes: { ints: [1] }, keepdims: 1 });
    return g.op('Div', [x, g.op('Sqrt', [g.op('Add', [meanSq, g.scalar('eps', 1e-8)])])]);
  },
};
