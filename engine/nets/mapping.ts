import { eager } from './eager-ops.js';
import { EqualizedDense, normalize2ndMoment, Seeds } from './layers.js';
import { Module } from './module.js';
import { exportOnnx } from './onnx/onnx-ops.js';
import { expectShape, type NetOps } from './ops.js';
import { tf } from './tf.js';

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
      this.child(`fcs.${i}`, new EqualizedDense({ in: i === 0 ? config.zDim : config.wDim, out: config.wDim, activation: 'lrelu', lrMul: config.lrMul }, seeds)),
    );
    this.wAvg = this.param('w_avg', tf.zeros([config.wDim]), 'plain', false);
  }

  /** z[B, Z] → w[B, W]; ψ is a number (eager; 1 skips truncation) or a graph input. */
  apply<T>(ops: NetOps<T>, z: T, psi: T | number): T {
    expectShape(ops, this.where, 'z', z, [null, this.config.zDim]);
    let x = normalize2ndMoment(ops, z);
    for (const fc of this.fcs) x = fc.apply(ops, x);
    if (psi === 1) return x;
    const avg = ops.param(this.wAvg);
    return ops.add(avg, ops.mul(ops.sub(x, avg), psi));
  }

  forward(z: tf.Tensor2D, psi = 1): tf.Tensor2D {
    return eager.logical(this.apply(eager, eager.plain(z), psi)) as tf.Tensor2D;
  }

  /** Moves w_avg towards the batch mean of w (StyleGAN's w_avg_beta = 0.995). */
  trackAverage(w: tf.Tensor2D, beta = 0.995): void {
    const next = tf.tidy(() => tf.add(tf.mul(tf.mean(w, 0), 1 - beta), tf.mul(this.wAvg, beta)));
    this.wAvg.assign(next);
    next.dispose();
  }

  /** Exported graph: inputs z[B, Z] and psi[1]; output w[B, W]. */
  toOnnx(): Uint8Array {
    return exportOnnx('mapping', this, 'Ganvas StyleGAN2-like mapping network', (ops) => {
      const w = this.apply(ops, ops.input('z', ['batch', this.config.zDim]), ops.input('psi', [1]));
      ops.output(w, 'w', ['batch', this.config.wDim]);
    });
  }
}
