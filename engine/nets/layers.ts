import { Module } from './module.js';
import { channelMap, expectShape, type NetOps } from './ops.js';
import { tf } from './tf.js';

/** Deterministic initialisation: each layer draws its weights from the next seed. */
export class Seeds {
  constructor(private seed: number) {}
  next(): number {
    return this.seed++;
  }
}

export const normal = (shape: number[], std: number, seeds: Seeds) => tf.randomNormal(shape, 0, std, 'float32', seeds.next());

/** StyleGAN's activation: leaky ReLU (0.2) with gain √2, so activations keep unit variance. */
export const lrelu = <T>(ops: NetOps<T>, x: T): T => ops.leakyRelu(x, 0.2, Math.SQRT2);

export interface DenseConfig {
  in: number;
  out: number;
  activation: 'linear' | 'lrelu';
  /** Learning-rate multiplier: StyleGAN's mapping net uses 0.01. */
  lrMul?: number;
  /** The bias' initial value (1 for the style affines, so styles start near 1). */
  biasInit?: number;
}

/**
 * Fully connected layer with equalized learning rate (ProGAN): weights are stored N(0, 1/lrMul²) and scaled
 * by lrMul/√fanIn at run time, so Adam sees every layer at the same scale.
 */
export class EqualizedDense extends Module {
  readonly weight: tf.Variable;
  readonly bias: tf.Variable;
  private readonly wScale: number;
  private readonly lrMul: number;

  constructor(readonly config: DenseConfig, seeds: Seeds) {
    super();
    this.lrMul = config.lrMul ?? 1;
    this.weight = this.param('weight', normal([config.in, config.out], 1 / this.lrMul, seeds));
    this.bias = this.param('bias', tf.fill([config.out], config.biasInit ?? 0));
    this.wScale = this.lrMul / Math.sqrt(config.in);
  }

  /** x[B, in] → [B, out]. */
  apply<T>(ops: NetOps<T>, x: T): T {
    expectShape(ops, this.where, 'input', x, [null, this.config.in]);
    const y = ops.add(ops.matmul(x, ops.mul(ops.param(this.weight), this.wScale)), ops.mul(ops.param(this.bias), this.lrMul));
    return this.config.activation === 'lrelu' ? lrelu(ops, y) : y;
  }
}

/** Pixel norm over features (ProGAN), applied to z so its scale never matters. */
export const normalize2ndMoment = <T>(ops: NetOps<T>, x: T): T => ops.mul(x, ops.rsqrt(ops.add(ops.mean(ops.square(x), [1], true), 1e-8)));

/** The 3×3 binomial kernel [1 2 1]ᵀ[1 2 1]/16, one per channel ([C, 1, 3, 3]). */
function binomial3x3(c: number): Float32Array {
  const k1 = [1, 2, 1];
  const k = new Float32Array(9 * c);
  for (let ch = 0; ch < c; ch++) for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) k[ch * 9 + i * 3 + j] = (k1[i]! * k1[j]!) / 16;
  return k;
}

/** 3×3 binomial blur per channel with edge padding: smooths the nearest-upsampled RGB skip of the generator. */
export function blur<T>(ops: NetOps<T>, x: T): T {
  const c = ops.shape(x)[1] as number;
  return ops.conv2d(x, ops.constant(binomial3x3(c), [c, 1, 3, 3]), { depthwise: true, padding: 'edge' });
}

/** A per-channel bias added to a feature map. */
export const addBias = <T>(ops: NetOps<T>, x: T, bias: tf.Variable): T => ops.add(x, channelMap(ops, ops.param(bias)));
