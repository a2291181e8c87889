import { eager } from './eager-ops.js';
import { EqualizedDense, lrelu, normal, Seeds } from './layers.js';
import { Module } from './module.js';
import { expectShape, type NetOps } from './ops.js';
import { tf } from './tf.js';

export interface EqualizedConvConfig {
  cin: number;
  cout: number;
  kernel: number;
  activation: 'lrelu' | 'linear';
  /** Default true; the residual skip has none. */
  bias?: boolean;
  /** 2×2 average pooling after the conv. */
  down?: boolean;
}

/** Conv with equalized learning rate, optional 2×2 average-pool downsampling and lrelu. */
export class EqualizedConv extends Module {
  readonly weight: tf.Variable;
  readonly bias?: tf.Variable;
  private readonly gain: number;

  constructor(readonly config: EqualizedConvConfig, seeds: Seeds) {
    super();
    const { cin, cout, kernel: k } = config;
    this.weight = this.param('weight', normal([k, k, cin, cout], 1, seeds), 'conv');
    if (config.bias ?? true) this.bias = this.param('bias', tf.zeros([cout]));
    this.gain = 1 / Math.sqrt(cin * k * k);
  }

  apply<T>(ops: NetOps<T>, x: T): T {
    expectShape(ops, this.where, 'input', x, [null, this.config.cin, null, null]);
    let y = ops.conv2d(x, ops.mul(ops.param(this.weight), this.gain), { bias: this.bias && ops.param(this.bias) });
    if (this.config.down) y = ops.downsample2x(y);
    return this.config.activation === 'lrelu' ? lrelu(ops, y) : y;
  }
}

/** Residual block: conv → conv ↓, plus a 1×1 ↓ skip; the sum is scaled by 1/√2 to keep unit variance. */
export class DiscriminatorBlock extends Module {
  readonly conv0: EqualizedConv;
  readonly conv1: EqualizedConv;
  readonly skip: EqualizedConv;

  constructor(readonly config: { cin: number; cout: number }, seeds: Seeds) {
    super();
    const { cin, cout } = config;
    this.conv0 = this.child('conv0', new EqualizedConv({ cin, cout: cin, kernel: 3, activation: 'lrelu' }, seeds));
    this.conv1 = this.child('conv1', new EqualizedConv({ cin, cout, kernel: 3, activation: 'lrelu', down: true }, seeds));
    this.skip = this.child('skip', new EqualizedConv({ cin, cout, kernel: 1, activation: 'linear', bias: false, down: true }, seeds));
  }

  apply<T>(ops: NetOps<T>, x: T): T {
    return ops.mul(ops.add(this.skip.apply(ops, x), this.conv1.apply(ops, this.conv0.apply(ops, x))), Math.SQRT1_2);
  }
}

/**
 * Minibatch standard deviation (ProGAN): the mean std of features over groups of up to 4 samples, appended
 * as one more feature map, so D can see when G's samples lack variety.
 */
export function minibatchStddev<T>(ops: NetOps<T>, x: T, group = 4): T {
  const [b, c, h, w] = ops.shape(x) as number[];
  const g = Math.min(group, b!);
  const y = ops.reshape(x, [g, -1, c!, h!, w!]); // sample i of group member k is row k·(B/g) + i
  const centred = ops.sub(y, ops.mean(y, [0], true));
  const std = ops.sqrt(ops.add(ops.mean(ops.square(centred), [0]), 1e-8)); // [B/g, C, H, W]
  const stat = ops.reshape(ops.mean(std, [1, 2, 3]), [-1, 1, 1, 1]);
  return ops.concat([x, ops.tile(stat, [g, 1, h!, w!])], 1);
}

export interface DiscriminatorConfig { resolution: number; channels: Record<number, number> }

/** StyleGAN2's residual discriminator: fromRGB, residual blocks down to 4×4, minibatch std, conv, fc, fc → score. */
export class Discriminator extends Module {
  readonly fromrgb: EqualizedConv;
  readonly blocks: DiscriminatorBlock[];
  readonly conv: EqualizedConv;
  readonly fc: EqualizedDense;
  readonly out: EqualizedDense;

  constructor(readonly config: DiscriminatorConfig, seed = 0) {
    super();
    const seeds = new Seeds(seed * 1000 + 500);
    const ch = config.channels;
    this.fromrgb = this.child('fromrgb', new EqualizedConv({ cin: 3, cout: ch[config.resolution]!, kernel: 1, activation: 'lrelu' }, seeds));
    this.blocks = [];
    for (let r = config.resolution, i = 0; r > 4; r /= 2, i++) this.blocks.push(this.child(`blocks.${i}`, new DiscriminatorBlock({ cin: ch[r]!, cout: ch[r / 2]! }, seeds)));
    this.conv = this.child('conv', new EqualizedConv({ cin: ch[4]! + 1, cout: ch[4]!, kernel: 3, activation: 'lrelu' }, seeds));
    this.fc = this.child('fc', new EqualizedDense({ in: ch[4]! * 16, out: ch[4]!, activation: 'lrelu' }, seeds));
    this.out = this.child('out', new EqualizedDense({ in: ch[4]!, out: 1, activation: 'linear' }, seeds));
  }

  /** img[B, 3, H, W] in [-1, 1] → logits[B, 1]. */
  apply<T>(ops: NetOps<T>, img: T): T {
    const r = this.config.resolution;
    expectShape(ops, this.where, 'image', img, [null, 3, r, r]);
    let x = this.fromrgb.apply(ops, img);
    for (const block of this.blocks) x = block.apply(ops, x);
    expectShape(ops, this.where, 'features at 4×4', x, [null, this.config.channels[4]!, 4, 4]);
    x = this.conv.apply(ops, minibatchStddev(ops, x));
    // Flattened channel-major (the logical [B, C, H, W] order), as the PyTorch twin does, so weight files are shared.
    return this.out.apply(ops, this.fc.apply(ops, ops.reshape(x, [-1, this.config.channels[4]! * 16])));
  }

  /** img[B, H, W, 3] (NHWC) → logits[B, 1]. */
  forward(img: tf.Tensor4D): tf.Tensor2D {
    return eager.logical(this.apply(eager, eager.nhwc(img))) as tf.Tensor2D;
  }
}
