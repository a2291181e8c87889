import { eager } from './eager-ops.js';
import { addBias, blur, EqualizedDense, lrelu, normal, Seeds } from './layers.js';
import { Module } from './module.js';
import { exportOnnx } from './onnx/onnx-ops.js';
import { channelMap, expectShape, type NetOps } from './ops.js';
import { tf } from './tf.js';

export type NoiseMode = 'const' | 'random';

export interface ModulatedConvConfig {
  wDim: number;
  cin: number;
  cout: number;
  kernel: number;
  /** Normalise each output channel to unit expected variance (every conv but toRGB). */
  demodulate: boolean;
  /** Nearest ×2 upsampling before the conv (the first conv of each block above 4×4). */
  up: boolean;
}

/**
 * StyleGAN2's modulated convolution, computed as scale inputs by the style → shared conv → demodulate outputs.
 * That equals convolving with per-sample weights w'' = w·s / ‖w·s‖ but needs no grouped conv, so tfjs and
 * ONNX run it with their plain conv.
 */
export class ModulatedConv extends Module {
  readonly affine: EqualizedDense;
  readonly weight: tf.Variable;
  private readonly gain: number;

  constructor(readonly config: ModulatedConvConfig, seeds: Seeds) {
    super();
    const { wDim, cin, cout, kernel: k } = config;
    this.affine = this.child('affine', new EqualizedDense({ in: wDim, out: cin, activation: 'linear', biasInit: 1 }, seeds));
    this.weight = this.param('weight', normal([k, k, cin, cout], 1, seeds), 'conv');
    this.gain = 1 / Math.sqrt(cin * k * k);
  }

  /** x[B, cin, H, W] and w[B, W] → [B, cout, H, W] (2H × 2W when `up`). */
  apply<T>(ops: NetOps<T>, x: T, w: T): T {
    const { cin, cout, up, demodulate } = this.config;
    expectShape(ops, this.where, 'input', x, [null, cin, null, null]);
    const s = this.affine.apply(ops, w); // [B, cin]: one style per input channel
    const weight = ops.mul(ops.param(this.weight), this.gain); // [cout, cin, k, k]
    if (up) x = ops.upsample2x(x);
    const y = ops.conv2d(ops.mul(x, channelMap(ops, s)), weight);
    if (!demodulate) return y;
    // σ of each output channel for unit inputs: √(Σ over cin, kh, kw of (w·s)²) = √(s² · Σ_k w²).
    const wsq = ops.transpose(ops.sum(ops.square(weight), [2, 3]), [1, 0]); // [cin, cout]
    const d = ops.rsqrt(ops.add(ops.matmul(ops.square(s), wsq), 1e-8)); // [B, cout]
    return ops.mul(y, channelMap(ops, d));
  }
}

/** A synthesis layer: modulated 3×3 conv, per-pixel noise × learned strength, bias, lrelu. */
export class SynthesisLayer extends Module {
  readonly conv: ModulatedConv;
  readonly noiseStrength: tf.Variable;
  readonly noiseConst: tf.Variable;
  readonly bias: tf.Variable;

  constructor(readonly config: { wDim: number; cin: number; cout: number; res: number; up: boolean }, seeds: Seeds) {
    super();
    const { wDim, cin, cout, res, up } = config;
    this.conv = this.child('conv', new ModulatedConv({ wDim, cin, cout, kernel: 3, demodulate: true, up }, seeds));
    this.noiseStrength = this.param('noise_strength', tf.zeros([1]));
    this.noiseConst = this.param('noise_const', normal([res, res], 1, seeds), 'plain', false);
    this.bias = this.param('bias', tf.zeros([cout]));
  }

  apply<T>(ops: NetOps<T>, x: T, w: T, noise: NoiseMode): T {
    const { res } = this.config;
    const y = this.conv.apply(ops, x, w);
    const n = noise === 'const' ? ops.reshape(ops.param(this.noiseConst), [1, 1, res, res]) : ops.noise(y);
    return lrelu(ops, addBias(ops, ops.add(y, ops.mul(n, ops.param(this.noiseStrength))), this.bias));
  }
}

/** toRGB: a modulated 1×1 conv without demodulation, plus bias. */
export class ToRGB extends Module {
  readonly conv: ModulatedConv;
  readonly bias: tf.Variable;

  constructor(readonly config: { wDim: number; cin: number }, seeds: Seeds) {
    super();
    this.conv = this.child('conv', new ModulatedConv({ wDim: config.wDim, cin: config.cin, cout: 3, kernel: 1, demodulate: false, up: false }, seeds));
    this.bias = this.param('bias', tf.zeros([3]));
  }

  apply<T>(ops: NetOps<T>, x: T, w: T): T {
    return addBias(ops, this.conv.apply(ops, x, w), this.bias);
  }
}

export interface SynthesisBlockConfig { wDim: number; cin: number; cout: number; res: number }

/** One resolution: the 4×4 constant or an upsampling conv, a second conv, and toRGB added to the upsampled skip. */
export class SynthesisBlock extends Module {
  readonly constInput?: tf.Variable;
  readonly conv0?: SynthesisLayer;
  readonly conv1: SynthesisLayer;
  readonly torgb: ToRGB;
  /** How many rows of ws this block's convs consume (its toRGB shares the next block's first row). */
  readonly numConv: number;

  constructor(readonly config: SynthesisBlockConfig, seeds: Seeds) {
    super();
    const { wDim, cin, cout, res } = config;
    if (res === 4) this.constInput = this.param('const', normal([4, 4, cout], 1, seeds), 'chw');
    else this.conv0 = this.child('conv0', new SynthesisLayer({ wDim, cin, cout, res, up: true }, seeds));
    this.conv1 = this.child('conv1', new SynthesisLayer({ wDim, cin: cout, cout, res, up: false }, seeds));
    this.torgb = this.child('torgb', new ToRGB({ wDim, cin: cout }, seeds));
    this.numConv = res === 4 ? 1 : 2;
  }

  /** `ws` holds this block's rows: numConv for the convs, then one for toRGB. Returns [features, image so far]. */
  apply<T>(ops: NetOps<T>, x: T | null, img: T | null, ws: T[], noise: NoiseMode): [T, T] {
    const { cout, res } = this.config;
    let i = 0;
    if (this.constInput) x = ops.broadcastBatch(ops.reshape(ops.param(this.constInput), [1, cout, 4, 4]), ws[0]!);
    else x = this.conv0!.apply(ops, x!, ws[i++]!, noise);
    x = this.conv1.apply(ops, x, ws[i++]!, noise);
    const y = this.torgb.apply(ops, x, ws[i]!);
    const out = img ? ops.add(blur(ops, ops.upsample2x(img)), y) : y;
    expectShape(ops, this.where, 'features', x, [null, cout, res, res]);
    expectShape(ops, this.where, 'image', out, [null, 3, res, res]);
    return [x, out];
  }
}

export interface SynthesisConfig { wDim: number; resolution: number; channels: Record<number, number> }

/** ws[B, L, W] → image[B, 3, H, W] in about [-1, 1]; L = 2·log2(resolution) − 2 rows, coarse to fine. */
export class SynthesisNetwork extends Module {
  readonly blocks: SynthesisBlock[];
  readonly numWs: number;

  constructor(readonly config: SynthesisConfig, seeds: Seeds) {
    super();
    const resolutions: number[] = [];
    for (let r = 4; r <= config.resolution; r *= 2) resolutions.push(r);
    this.blocks = resolutions.map((res, i) =>
      this.child(`blocks.${i}`, new SynthesisBlock({ wDim: config.wDim, cin: config.channels[res === 4 ? 4 : res / 2]!, cout: config.channels[res]!, res }, seeds)),
    );
    this.numWs = 2 * resolutions.length;
  }

  apply<T>(ops: NetOps<T>, ws: T, noise: NoiseMode): T {
    expectShape(ops, this.where, 'ws', ws, [null, this.numWs, this.config.wDim]);
    const rows = Array.from({ length: this.numWs }, (_, l) => ops.select(ws, 1, l));
    let x: T | null = null;
    let img: T | null = null;
    let first = 0;
    for (const block of this.blocks) {
      [x, img] = block.apply(ops, x, img, rows.slice(first, first + block.numConv + 1), noise);
      first += block.numConv;
    }
    return img!;
  }

  /** ws[B, L, W] → image[B, H, W, 3] (NHWC, as tfjs callers hold images). */
  forward(ws: tf.Tensor3D, noise: NoiseMode = 'const'): tf.Tensor4D {
    return eager.toNhwc(this.apply(eager, eager.plain(ws), noise));
  }

  /** Exported graph: input ws[B, L, W]; output image[B, 3, H, W]. Noise is the stored constant, so renders repeat. */
  toOnnx(): Uint8Array {
    return exportOnnx('synthesis', this, 'Ganvas StyleGAN2-like synthesis network', (ops) => {
      const image = this.apply(ops, ops.input('ws', ['batch', this.numWs, this.config.wDim]), 'const');
      ops.output(image, 'image', ['batch', 3, this.config.resolution, this.config.resolution]);
    });
  }
}
