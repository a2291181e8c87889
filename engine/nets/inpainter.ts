import { eager } from './eager-ops.js';
import { Seeds } from './layers.js';
import { Module } from './module.js';
import { exportOnnx } from './onnx/onnx-ops.js';
import { expectShape, NetShapeError, type NetOps } from './ops.js';
import { tf } from './tf.js';

export interface GatedConvConfig { cin: number; cout: number; kernel: number; stride?: number; dilation?: number }

/** DeepFill v2's gated convolution: ELU features gated per pixel and channel by a learned sigmoid. */
export class GatedConv extends Module {
  readonly weight: tf.Variable;
  readonly bias: tf.Variable;

  constructor(readonly config: GatedConvConfig, seeds: Seeds) {
    super();
    const { cin, cout, kernel: k } = config;
    this.weight = this.param('weight', tf.randomNormal([k, k, cin, 2 * cout], 0, Math.sqrt(2 / (cin * k * k)), 'float32', seeds.next()), 'conv');
    this.bias = this.param('bias', tf.zeros([2 * cout]));
  }

  apply<T>(ops: NetOps<T>, x: T): T {
    const { cin, cout, stride, dilation } = this.config;
    expectShape(ops, this.where, 'input', x, [null, cin, null, null]);
    const y = ops.conv2d(x, ops.param(this.weight), { bias: ops.param(this.bias), stride, dilation });
    const [features, gate] = ops.split(y, 1, [cout, cout]);
    return ops.mul(ops.elu(features!), ops.sigmoid(gate!));
  }
}

export interface InpainterConfig {
  resolution: number;
  channels: number;
  /**
   * The hole arrives filled by the classical pyramid fill (engine/edit/pyramid-fill.ts) and the net adds a
   * correction: fill = clamp(prefilled + residual, -1, 1). Without it the hole arrives zeroed and fill = tanh(…).
   */
  prefill?: boolean;
  /** The longest side the net is run at (model.json inpainter.maxSide). */
  maxSide?: number;
}

/**
 * Single-stage DeepFill-style inpainter: gated encoder to ¼ size, a dilated gated middle (2, 4, 8, 16) that
 * reaches across large holes, and a nearest-upsampling gated decoder. Input is the image with the hole zeroed
 * (or pyramid-filled, with `prefill`) plus the mask (1 = hole); the known pixels are passed through exactly.
 */
export class Inpainter extends Module {
  readonly enc: GatedConv[];
  readonly mid: GatedConv[];
  readonly dec: GatedConv[];
  readonly toRgb: tf.Variable;
  readonly toRgbBias: tf.Variable;

  constructor(readonly config: InpainterConfig, seed = 0) {
    super();
    const c = config.channels;
    const seeds = new Seeds(seed * 1000 + 700);
    const gc = (key: string, cfg: GatedConvConfig) => this.child(key, new GatedConv(cfg, seeds));
    this.enc = [
      gc('enc.0', { cin: 4, cout: c, kernel: 5 }), gc('enc.1', { cin: c, cout: 2 * c, kernel: 3, stride: 2 }), gc('enc.2', { cin: 2 * c, cout: 2 * c, kernel: 3 }),
      gc('enc.3', { cin: 2 * c, cout: 4 * c, kernel: 3, stride: 2 }), gc('enc.4', { cin: 4 * c, cout: 4 * c, kernel: 3 }),
    ];
    this.mid = [
      ...[2, 4, 8, 16].map((dilation, i) => gc(`mid.${i}`, { cin: 4 * c, cout: 4 * c, kernel: 3, dilation })),
      gc('mid.4', { cin: 4 * c, cout: 4 * c, kernel: 3 }), gc('mid.5', { cin: 4 * c, cout: 4 * c, kernel: 3 }),
    ];
    this.dec = [
      gc('dec.0', { cin: 4 * c, cout: 2 * c, kernel: 3 }), gc('dec.1', { cin: 2 * c, cout: 2 * c, kernel: 3 }),
      gc('dec.2', { cin: 2 * c, cout: c, kernel: 3 }), gc('dec.3', { cin: c, cout: c / 2, kernel: 3 }),
    ];
    this.toRgb = this.param('to_rgb', tf.randomNormal([3, 3, c / 2, 3], 0, Math.sqrt(1 / ((c / 2) * 9)), 'float32', seeds.next()), 'conv');
    this.toRgbBias = this.param('to_rgb_bias', tf.zeros([3]));
  }

  /** image[B, 3, H, W] in [-1, 1] and mask[B, 1, H, W] (1 = hole) → [composited, raw fill]; H, W multiples of 4. */
  apply<T>(ops: NetOps<T>, image: T, mask: T): [T, T] {
    const c = this.config.channels;
    expectShape(ops, this.where, 'image', image, [null, 3, null, null]);
    expectShape(ops, this.where, 'mask', mask, [null, 1, null, null]);
    const [, , h = null, w = null] = ops.shape(image);
    if ((h !== null && h % 4) || (w !== null && w % 4)) throw new NetShapeError(`${this.where}: height and width must be multiples of 4, not ${h}×${w}`);
    const known = ops.sub(1, mask);
    const hidden = ops.mul(image, known);
    let x = ops.concat([this.config.prefill ? image : hidden, mask], 1);
    for (const l of [...this.enc, ...this.mid]) x = l.apply(ops, x);
    expectShape(ops, this.where, 'features at ¼ size', x, [null, 4 * c, h === null ? null : h / 4, w === null ? null : w / 4]);
    this.dec.forEach((l, i) => (x = l.apply(ops, i === 0 || i === 2 ? ops.upsample2x(x) : x)));
    const y = ops.conv2d(x, ops.param(this.toRgb), { bias: ops.param(this.toRgbBias) });
    const fill = this.config.prefill ? ops.clip(ops.add(image, y), -1, 1) : ops.tanh(y);
    return [ops.add(hidden, ops.mul(fill, mask)), fill];
  }

  /** image[B, H, W, 3], mask[B, H, W, 1] (NHWC) → [composited, raw fill], NHWC. */
  forward(image: tf.Tensor4D, mask: tf.Tensor4D): [tf.Tensor4D, tf.Tensor4D] {
    const [out, fill] = this.apply(eager, eager.nhwc(image), eager.nhwc(mask));
    return [eager.toNhwc(out), eager.toNhwc(fill)];
  }

  /** Exported graph: image[B, 3, H, W] in [-1, 1] and mask[B, 1, H, W] (1 = hole) → image[B, 3, H, W]. */
  toOnnx(): Uint8Array {
    return exportOnnx('inpainter', this, 'Ganvas gated-conv inpainter', (ops) => {
      const [out] = this.apply(ops, ops.input('image', ['batch', 3, 'height', 'width']), ops.input('mask', ['batch', 1, 'height', 'width']));
      ops.output(out, 'output', ['batch', 3, 'height', 'width']);
    });
  }
}

export interface SpectralNormConvConfig { cin: number; cout: number; kernel: number; stride: number }

/** A conv whose weight is divided by its largest singular value, estimated by one power iteration per step. */
export class SpectralNormConv extends Module {
  readonly weight: tf.Variable;
  readonly bias: tf.Variable;
  readonly u: tf.Variable;
  readonly v: tf.Variable;

  constructor(readonly config: SpectralNormConvConfig, seeds: Seeds) {
    super();
    const { cin, cout, kernel: k } = config;
    this.weight = this.param('weight_orig', tf.randomNormal([k, k, cin, cout], 0, Math.sqrt(1 / (cin * k * k)), 'float32', seeds.next()), 'conv');
    this.bias = this.param('bias', tf.zeros([cout]));
    this.u = this.param('weight_u', tf.randomNormal([cout], 0, 1, 'float32', seeds.next()), 'plain', false);
    this.v = this.param('weight_v', tf.randomNormal([cin * k * k], 0, 1, 'float32', seeds.next()), 'plain', false);
  }

  /** W as the [out, in·k·k] matrix PyTorch's spectral_norm works on. */
  private matrix(): tf.Tensor2D {
    return tf.reshape(tf.transpose(this.weight, [3, 2, 0, 1]), [this.config.cout, -1]) as tf.Tensor2D;
  }

  /** One power iteration (training only): u, v move towards W's leading singular vectors. */
  powerIteration(): void {
    const [u, v] = tf.tidy(() => {
      const w = this.matrix();
      const uw = tf.reshape(tf.matMul(tf.reshape(this.u, [1, -1]), w), [-1]);
      const v = tf.div(uw, tf.add(tf.norm(uw), 1e-12));
      const wv = tf.reshape(tf.matMul(w, tf.reshape(v, [-1, 1])), [-1]);
      return [tf.div(wv, tf.add(tf.norm(wv), 1e-12)), v];
    });
    this.u.assign(u);
    this.v.assign(v);
    u.dispose();
    v.dispose();
  }

  apply<T>(ops: NetOps<T>, x: T): T {
    const w = ops.param(this.weight);
    // σ = uᵀ W v, with u and v from the power iteration; gradients flow through W only, as in PyTorch.
    const wv = ops.matmul(ops.reshape(w, [this.config.cout, -1]), ops.reshape(ops.param(this.v), [-1, 1]));
    const sigma = ops.sum(ops.mul(ops.reshape(ops.param(this.u), [-1, 1]), wv), [0, 1]);
    return ops.conv2d(x, ops.div(w, sigma), { bias: ops.param(this.bias), stride: this.config.stride });
  }
}

/** SN-PatchGAN (DeepFill v2): five strided 5×5 spectral-norm convs over image + mask; one score per patch. */
export class PatchDiscriminator extends Module {
  readonly convs: SpectralNormConv[];

  constructor(channels: number, seed = 0) {
    super();
    const seeds = new Seeds(seed * 1000 + 900);
    const c = [4, channels, 2 * channels, 4 * channels, 4 * channels, 4 * channels];
    this.convs = Array.from({ length: 5 }, (_, i) => this.child(`convs.${i}`, new SpectralNormConv({ cin: c[i]!, cout: c[i + 1]!, kernel: 5, stride: 2 }, seeds)));
  }

  apply<T>(ops: NetOps<T>, image: T, mask: T): T {
    let x = ops.concat([image, mask], 1);
    for (const l of this.convs) x = ops.leakyRelu(l.apply(ops, x), 0.2);
    return x;
  }

  /** image[B, H, W, 3], mask[B, H, W, 1] (NHWC) → patch scores, NHWC. */
  forward(image: tf.Tensor4D, mask: tf.Tensor4D): tf.Tensor4D {
    return eager.toNhwc(this.apply(eager, eager.nhwc(image), eager.nhwc(mask)));
  }
}
