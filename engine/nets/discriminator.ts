import { conv, downsample2x, EqualizedDense, lrelu, normal, Seeds } from './layers.js';
import { Module } from './module.js';
import { tf } from './tf.js';

/** Conv with equalized learning rate, optional 2×2 average-pool downsampling and lrelu. */
export class EqualizedConv extends Module {
  readonly weight: tf.Variable;
  readonly bias?: tf.Variable;
  private readonly gain: number;

  constructor(cin: number, readonly cout: number, readonly k: number, readonly activation: 'lrelu' | 'linear', seeds: Seeds, withBias = true, readonly down = false) {
    super();
    this.weight = this.param('weight', normal([k, k, cin, cout], 1, seeds), 'conv');
    if (withBias) this.bias = this.param('bias', tf.zeros([cout]));
    this.gain = 1 / Math.sqrt(cin * k * k);
  }

  forward(x: tf.Tensor4D): tf.Tensor4D {
    let y = conv(x, tf.mul(this.weight, this.gain) as tf.Tensor4D);
    if (this.bias) y = tf.add(y, this.bias) as tf.Tensor4D;
    if (this.down) y = downsample2x(y);
    return this.activation === 'lrelu' ? lrelu(y) : y;
  }
}

/** Residual block: conv → conv ↓, plus a 1×1 ↓ skip; the sum is scaled by 1/√2 to keep unit variance. */
export class DiscriminatorBlock extends Module {
  readonly conv0: EqualizedConv;
  readonly conv1: EqualizedConv;
  readonly skip: EqualizedConv;

  constructor(cin: number, cout: number, seeds: Seeds) {
    super();
    this.conv0 = this.child('conv0', new EqualizedConv(cin, cin, 3, 'lrelu', seeds));
    this.conv1 = this.child('conv1', new EqualizedConv(cin, cout, 3, 'lrelu', seeds, true, true));
    this.skip = this.child('skip', new EqualizedConv(cin, cout, 1, 'linear', seeds, false, true));
  }

  forward(x: tf.Tensor4D): tf.Tensor4D {
    return tf.mul(tf.add(this.skip.forward(x), this.conv1.forward(this.conv0.forward(x))), Math.SQRT1_2) as tf.Tensor4D;
  }
}

/**
 * Minibatch standard deviation (ProGAN): the mean std of features over groups of up to 4 samples, appended
 * as one more feature map, so D can see when G's samples lack variety.
 */
export function minibatchStddev(x: tf.Tensor4D, group = 4): tf.Tensor4D {
  const [b, h, w, c] = x.shape;
  const g = Math.min(group, b);
  const y = tf.reshape(x, [g, b / g, h, w, c]);
  const centred = tf.sub(y, tf.mean(y, 0));
  const std = tf.sqrt(tf.add(tf.mean(tf.square(centred), 0), 1e-8));
  const stat = tf.reshape(tf.mean(std, [1, 2, 3]), [b / g, 1, 1, 1]);
  return tf.concat([x, tf.tile(stat, [g, h, w, 1])], 3) as tf.Tensor4D;
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
    this.fromrgb = this.child('fromrgb', new EqualizedConv(3, ch[config.resolution]!, 1, 'lrelu', seeds));
    this.blocks = [];
    for (let r = config.resolution, i = 0; r > 4; r /= 2, i++) this.blocks.push(this.child(`blocks.${i}`, new DiscriminatorBlock(ch[r]!, ch[r / 2]!, seeds)));
    this.conv = this.child('conv', new EqualizedConv(ch[4]! + 1, ch[4]!, 3, 'lrelu', seeds));
    this.fc = this.child('fc', new EqualizedDense(ch[4]! * 16, ch[4]!, 'lrelu', seeds));
    this.out = this.child('out', new EqualizedDense(ch[4]!, 1, 'linear', seeds));
  }

  /** img[B, H, W, 3] in [-1, 1] → logits[B, 1]. */
  forward(img: tf.Tensor4D): tf.Tensor2D {
    let x = this.fromrgb.forward(img);
    for (const block of this.blocks) x = block.forward(x);
    x = this.conv.forward(minibatchStddev(x));
    // Flatten in channel-major order, as the PyTorch twin (NCHW) does, so weight files are shared.
    const flat = tf.reshape(tf.transpose(x, [0, 3, 1, 2]), [x.shape[0], -1]) as tf.Tensor2D;
    return this.out.forward(this.fc.forward(flat));
  }
}
