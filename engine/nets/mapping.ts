import { EqualizedDense, normalize2ndMoment, Seeds } from './layers.js';
import { Module } from './module.js';
import { GraphBuilder } from './onnx/graph.js';
import { read, tf } from './tf.js';

export interface MappingConfig {
  zDim: number;
  wDim: number;
  layers: number;
  /** StyleGAN's 0.01: the mapping net learns 100× slower than synthesis. */
  lrMul: number;
}

/**
 * StyleGAN's mapping network: z → pixel norm → `layers` equalized fc + lrelu → w, then the truncation trick
 * w' = w_avg + ψ (w − w_avg). w_avg is a running mean of w tracked during training.
 */
export class MappingNetwork extends Module {
  readonly fcs: EqualizedDense[];
  readonly wAvg: tf.Variable;

  constructor(readonly config: MappingConfig, seed = 0) {
    super();
    const seeds = new Seeds(seed);
    this.fcs = Array.from({ length: config.layers }, (_, i) =>
      this.child(`fcs.${i}`, new EqualizedDense(i === 0 ? config.zDim : config.wDim, config.wDim, 'lrelu', seeds, config.lrMul)),
    );
    this.wAvg = this.param('w_avg', tf.zeros([config.wDim]), 'plain', false);
  }

  forward(z: tf.Tensor2D, psi = 1): tf.Tensor2D {
    let x = normalize2ndMoment.forward(z);
    for (const fc of this.fcs) x = fc.forward(x);
    if (psi === 1) return x;
    return tf.add(this.wAvg, tf.mul(tf.sub(x, this.wAvg), psi)) as tf.Tensor2D;
  }

  /** Moves w_avg towards the batch mean of w (StyleGAN's w_avg_beta = 0.995). */
  trackAverage(w: tf.Tensor2D, beta = 0.995): void {
    const next = tf.tidy(() => tf.add(tf.mul(tf.mean(w, 0), 1 - beta), tf.mul(this.wAvg, beta)));
    this.wAvg.assign(next);
    next.dispose();
  }

  /** Exported graph: inputs z[B, Z] and psi[1]; output w[B, W]. */
  toOnnx(): Uint8Array {
    const g = new GraphBuilder('mapping');
    const z = g.input('z', ['batch', this.config.zDim]);
    const psi = g.input('psi', [1]);
    let x = normalize2ndMoment.onnx(g, z);
    this.fcs.forEach((fc, i) => (x = fc.onnx(g, x, `fc${i}`)));
    const avg = g.const('w_avg', read(this.wAvg), [this.config.wDim]);
    const w = g.op('Add', [avg, g.op('Mul', [g.op('Sub', [x, avg]), psi])]);
    g.output(w, 'w', ['batch', this.config.wDim]);
    return g.toBytes('Ganvas StyleGAN2-like mapping network');
  }
}
