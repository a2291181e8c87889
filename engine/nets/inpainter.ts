import { conv, convOnnx, Seeds, upsample2x, upsample2xOnnx } from './layers.js';
import { Module } from './module.js';
import { GraphBuilder } from './onnx/graph.js';
import { read, tf } from './tf.js';

/** DeepFill v2's gated convolution: ELU features gated per pixel and channel by a learned sigmoid. */
export class GatedConv extends Module {
  readonly weight: tf.Variable;
  readonly bias: tf.Variable;

  constructor(readonly cin: number, readonly cout: number, readonly k: number, readonly stride: number, readonly dilation: number, seeds: Seeds) {
    super();
    this.weight = this.param('weight', tf.randomNormal([k, k, cin, 2 * cout], 0, Math.sqrt(2 / (cin * k * k)), 'float32', seeds.next()), 'conv');
    this.bias = this.param('bias', tf.zeros([2 * cout]));
  }

  forward(x: tf.Tensor4D): tf.Tensor4D {
    const y = tf.add(conv(x, this.weight as tf.Tensor4D, this.stride, this.dilation), this.bias) as tf.Tensor4D;
    const [f, g] = tf.split(y, 2, 3) as [tf.Tensor4D, tf.Tensor4D];
    return tf.mul(tf.elu(f), tf.sigmoid(g)) as tf.Tensor4D;
  }

  onnx(g: GraphBuilder, x: string, name: string): string {
    const w = tf.tidy(() => tf.transpose(this.weight, [3, 2, 0, 1]));
    const y = convOnnx(g, x, g.const(`${name}.w`, read(w), w.shape), this.k, g.const(`${name}.b`, read(this.bias), [2 * this.cout]), this.stride, this.dilation);
    w.dispose();
    const split = g.int64('split', [this.cout, this.cout]);
    const f = g.ops('Split', [y, split], { axis: 1 }, 2);
    return g.op('Mul', [g.op('Elu', [f[0]!]), g.op('Sigmoid', [f[1]!])]);
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
    const gc = (key: string, cin: number, cout: number, k = 3, stride = 1, dilation = 1) => this.child(key, new GatedConv(cin, cout, k, stride, dilation, seeds));
    this.enc = [gc('enc.0', 4, c, 5), gc('enc.1', c, 2 * c, 3, 2), gc('enc.2', 2 * c, 2 * c), gc('enc.3', 2 * c, 4 * c, 3, 2), gc('enc.4', 4 * c, 4 * c)];
    this.mid = [...[2, 4, 8, 16].map((d, i) => gc(`mid.${i}`, 4 * c, 4 * c, 3, 1, d)), gc('mid.4', 4 * c, 4 * c), gc('mid.5', 4 * c, 4 * c)];
    this.dec = [gc('dec.0', 4 * c, 2 * c), gc('dec.1', 2 * c, 2 * c), gc('dec.2', 2 * c, c), gc('dec.3', c, c / 2)];
    this.toRgb = this.param('to_rgb', tf.randomNormal([3, 3, c / 2, 3], 0, Math.sqrt(1 / ((c / 2) * 9)), 'float32', seeds.next()), 'conv');
    this.toRgbBias = this.param('to_rgb_bias', tf.zeros([3]));
  }

  /** image[B, H, W, 3] in [-1, 1], mask[B, H, W, 1] → [composited, raw fill]; H and W multiples of 4. */
  forward(image: tf.Tensor4D, mask: tf.Tensor4D): [tf.Tensor4D, tf.Tensor4D] {
    const known = tf.sub(1, mask);
    let x = tf.concat([this.config.prefill ? image : tf.mul(image, known), mask], 3) as tf.Tensor4D;
    for (const l of [...this.enc, ...this.mid]) x = l.forward(x);
    this.dec.forEach((l, i) => (x = l.forward(i === 0 || i === 2 ? upsample2x(x) : x)));
    const y = tf.add(conv(x, this.toRgb as tf.Tensor4D), this.toRgbBias);
    const fill = (this.config.prefill ? tf.clipByValue(tf.add(image, y), -1, 1) : tf.tanh(y)) as tf.Tensor4D;
    return [tf.add(tf.mul(image, known), tf.mul(fill, mask)) as tf.Tensor4D, fill];
  }

  /** Exported graph: image[B, 3, H, W] in [-1, 1] and mask[B, 1, H, W] (1 = hole) → image[B, 3, H, W]. */
  toOnnx(): Uint8Array {
    const g = new GraphBuilder('inpainter');
    const image = g.input('image', ['batch', 3, 'height', 'width']);
    const mask = g.input('mask', ['batch', 1, 'height', 'width']);
    const known = g.op('Sub', [g.scalar('one', 1), mask]);
    const hidden = g.op('Mul', [image, known]);
    let x = g.op('Concat', [this.config.prefill ? image : hidden, mask], { axis: 1 });
    this.enc.forEach((l, i) => (x = l.onnx(g, x, `enc${i}`)));
    this.mid.forEach((l, i) => (x = l.onnx(g, x, `mid${i}`)));
    this.dec.forEach((l, i) => (x = l.onnx(g, i === 0 || i === 2 ? upsample2xOnnx(g, x) : x, `dec${i}`)));
    const w = tf.tidy(() => tf.transpose(this.toRgb, [3, 2, 0, 1]));
    const y = convOnnx(g, x, g.const('to_rgb', read(w), w.shape), 3, g.const('to_rgb_bias', read(this.toRgbBias), [3]));
    const fill = this.config.prefill ? g.op('Clip', [g.op('Add', [image, y]), g.scalar('lo', -1), g.scalar('hi', 1)]) : g.op('Tanh', [y]);
    w.dispose();
    g.output(g.op('Add', [hidden, g.op('Mul', [fill, mask])]), 'output', ['batch', 3, 'height', 'width']);
    return g.toBytes('Ganvas gated-conv inpainter');
  }
}

/** A conv whose weight is divided by its largest singular value, estimated by one power iteration per step. */
export class SpectralNormConv extends Module {
  readonly weight: tf.Variable;
  readonly bias: tf.Variable;
  readonly u: tf.Variable;
  readonly v: tf.Variable;

  constructor(readonly cin: number, readonly cout: number, readonly k: number, readonly stride: number, seeds: Seeds) {
    super();
    this.weight = this.param('weight_orig', tf.randomNormal([k, k, cin, cout], 0, Math.sqrt(1 / (cin * k * k)), 'float32', seeds.next()), 'conv');
    this.bias = this.param('bias', tf.zeros([cout]));
    this.u = this.param('weight_u', tf.randomNormal([cout], 0, 1, 'float32', seeds.next()), 'plain', false);
    this.v = this.param('weight_v', tf.randomNormal([cin * k * k], 0, 1, 'float32', seeds.next()), 'plain', false);
  }

  /** W as the [out, in·k·k] matrix PyTorch's spectral_norm works on. */
  private matrix(): tf.Tensor2D {
    return tf.reshape(tf.transpose(this.weight, [3, 2, 0, 1]), [this.cout, -1]) as tf.Tensor2D;
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

  forward(x: tf.Tensor4D): tf.Tensor4D {
    const sigma = tf.sum(tf.mul(this.u, tf.reshape(tf.matMul(this.matrix(), tf.reshape(this.v, [-1, 1])), [-1])));
    const y = conv(x, tf.div(this.weight, sigma) as tf.Tensor4D, this.stride);
    return tf.add(y, this.bias) as tf.Tensor4D;
  }
}

/** SN-PatchGAN (DeepFill v2): five strided 5×5 spectral-norm convs over image + mask; one score per patch. */
export class PatchDiscriminator extends Module {
  readonly convs: SpectralNormConv[];

  constructor(channels: number, seed = 0) {
    super();
    const seeds = new Seeds(seed * 1000 + 900);
    const c = [4, channels, 2 * channels, 4 * channels, 4 * channels, 4 * channels];
    this.convs = Array.from({ length: 5 }, (_, i) => this.child(`convs.${i}`, new SpectralNormConv(c[i]!, c[i + 1]!, 5, 2, seeds)));
  }

  forward(image: tf.Tensor4D, mask: tf.Tensor4D): tf.Tensor4D {
    let x = tf.concat([image, mask], 3) as tf.Tensor4D;
    for (const l of this.convs) x = tf.leakyRelu(l.forward(x), 0.2);
    return x;
  }
}
