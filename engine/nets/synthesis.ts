import { blur, blurOnnx, conv, convOnnx, EqualizedDense, lrelu, lreluOnnx, normal, Seeds, upsample2x, upsample2xOnnx } from './layers.js';
import { Module } from './module.js';
import { GraphBuilder } from './onnx/graph.js';
import { read, readScaled, tf } from './tf.js';

export type NoiseMode = 'const' | 'random';

/**
 * StyleGAN2's modulated convolution, computed as scale inputs by the style → shared conv → demodulate outputs.
 * That equals convolving with per-sample weights w'' = w·s / ‖w·s‖ but needs no grouped conv, so tfjs and
 * ONNX run it with their plain conv.
 */
export class ModulatedConv extends Module {
  readonly affine: EqualizedDense;
  readonly weight: tf.Variable;
  private readonly gain: number;

  constructor(wDim: number, readonly cin: number, readonly cout: number, readonly k: number, readonly demodulate: boolean, readonly up: boolean, seeds: Seeds) {
    super();
    this.affine = this.child('affine', new EqualizedDense(wDim, cin, 'linear', seeds, 1, 1));
    this.weight = this.param('weight', normal([k, k, cin, cout], 1, seeds), 'conv');
    this.gain = 1 / Math.sqrt(cin * k * k);
  }

  forward(x: tf.Tensor4D, w: tf.Tensor2D): tf.Tensor4D {
    const s = this.affine.forward(w);
    const b = s.shape[0];
    const weight = tf.mul(this.weight, this.gain) as tf.Tensor4D;
    if (this.up) x = upsample2x(x);
    let y = conv(tf.mul(x, tf.reshape(s, [b, 1, 1, this.cin])) as tf.Tensor4D, weight);
    if (this.demodulate) {
      const wsq = tf.reshape(tf.sum(tf.square(weight), [0, 1]), [this.cin, this.cout]);
      const d = tf.rsqrt(tf.add(tf.matMul(tf.square(s), wsq), 1e-8));
      y = tf.mul(y, tf.reshape(d, [b, 1, 1, this.cout])) as tf.Tensor4D;
    }
    return y;
  }

  onnx(g: GraphBuilder, x: string, w: string, name: string): string {
    const s = this.affine.onnx(g, w, `${name}.affine`);
    const asMap = (v: string) => g.op('Reshape', [v, g.int64('nc11', [0, -1, 1, 1])]);
    if (this.up) x = upsample2xOnnx(g, x);
    const weight = tf.tidy(() => tf.transpose(tf.mul(this.weight, this.gain), [3, 2, 0, 1]));
    const wc = g.const(`${name}.weight`, read(weight), weight.shape);
    let y = convOnnx(g, g.op('Mul', [x, asMap(s)]), wc, this.k);
    if (this.demodulate) {
      const wsq = tf.tidy(() => tf.reshape(tf.sum(tf.square(tf.mul(this.weight, this.gain)), [0, 1]), [this.cin, this.cout]));
      const d = g.op('Reciprocal', [g.op('Sqrt', [g.op('Add', [g.op('MatMul', [g.op('Mul', [s, s]), g.const(`${name}.wsq`, read(wsq), [this.cin, this.cout])]), g.scalar('eps', 1e-8)])])]);
      y = g.op('Mul', [y, asMap(d)]);
      wsq.dispose();
    }
    weight.dispose();
    return y;
  }
}

/** A synthesis layer: modulated 3×3 conv, per-pixel noise × learned strength, bias, lrelu. */
export class SynthesisLayer extends Module {
  readonly conv: ModulatedConv;
  readonly noiseStrength: tf.Variable;
  readonly noiseConst: tf.Variable;
  readonly bias: tf.Variable;

  constructor(wDim: number, cin: number, readonly cout: number, readonly res: number, up: boolean, seeds: Seeds) {
    super();
    this.conv = this.child('conv', new ModulatedConv(wDim, cin, cout, 3, true, up, seeds));
    this.noiseStrength = this.param('noise_strength', tf.zeros([1]));
    this.noiseConst = this.param('noise_const', normal([res, res], 1, seeds), 'plain', false);
    this.bias = this.param('bias', tf.zeros([cout]));
  }

  forward(x: tf.Tensor4D, w: tf.Tensor2D, noise: NoiseMode): tf.Tensor4D {
    const y = this.conv.forward(x, w);
    const n = noise === 'const' ? tf.reshape(this.noiseConst, [1, this.res, this.res, 1]) : tf.randomNormal([y.shape[0], this.res, this.res, 1]);
    return lrelu(tf.add(tf.add(y, tf.mul(n, this.noiseStrength)), this.bias) as tf.Tensor4D);
  }

  onnx(g: GraphBuilder, x: string, w: string, name: string): string {
    const y = this.conv.onnx(g, x, w, `${name}.conv`);
    const noise = g.const(`${name}.noise`, readScaled(this.noiseConst, read(this.noiseStrength)[0]!), [1, 1, this.res, this.res]);
    const bias = g.const(`${name}.bias`, read(this.bias), [1, this.cout, 1, 1]);
    return lreluOnnx(g, g.op('Add', [g.op('Add', [y, noise]), bias]));
  }
}

/** toRGB: a modulated 1×1 conv without demodulation, plus bias. */
export class ToRGB extends Module {
  readonly conv: ModulatedConv;
  readonly bias: tf.Variable;

  constructor(wDim: number, cin: number, seeds: Seeds) {
    super();
    this.conv = this.child('conv', new ModulatedConv(wDim, cin, 3, 1, false, false, seeds));
    this.bias = this.param('bias', tf.zeros([3]));
  }

  forward(x: tf.Tensor4D, w: tf.Tensor2D): tf.Tensor4D {
    return tf.add(this.conv.forward(x, w), this.bias) as tf.Tensor4D;
  }

  onnx(g: GraphBuilder, x: string, w: string, name: string): string {
    return g.op('Add', [this.conv.onnx(g, x, w, `${name}.conv`), g.const(`${name}.bias`, read(this.bias), [1, 3, 1, 1])]);
  }
}

/** One resolution: the 4×4 constant or an upsampling conv, a second conv, and toRGB added to the upsampled skip. */
export class SynthesisBlock extends Module {
  readonly constInput?: tf.Variable;
  readonly conv0?: SynthesisLayer;
  readonly conv1: SynthesisLayer;
  readonly torgb: ToRGB;
  /** How many rows of ws this block's convs consume (its toRGB shares the next block's first row). */
  readonly numConv: number;

  constructor(wDim: number, cin: number, readonly cout: number, readonly res: number, seeds: Seeds) {
    super();
    if (res === 4) this.constInput = this.param('const', normal([4, 4, cout], 1, seeds), 'chw');
    else this.conv0 = this.child('conv0', new SynthesisLayer(wDim, cin, cout, res, true, seeds));
    this.conv1 = this.child('conv1', new SynthesisLayer(wDim, cout, cout, res, false, seeds));
    this.torgb = this.child('torgb', new ToRGB(wDim, cout, seeds));
    this.numConv = res === 4 ? 1 : 2;
  }

  /** `ws` holds this block's rows: numConv for the convs, then one for toRGB. */
  forward(x: tf.Tensor4D | null, img: tf.Tensor4D | null, ws: tf.Tensor2D[], noise: NoiseMode): [tf.Tensor4D, tf.Tensor4D] {
    let i = 0;
    if (this.constInput) x = tf.tile(tf.expandDims(this.constInput, 0), [ws[0]!.shape[0], 1, 1, 1]) as tf.Tensor4D;
    else x = this.conv0!.forward(x!, ws[i++]!, noise);
    x = this.conv1.forward(x, ws[i++]!, noise);
    const y = this.torgb.forward(x, ws[i]!);
    return [x, img ? (tf.add(blur(upsample2x(img)), y) as tf.Tensor4D) : y];
  }

  onnx(g: GraphBuilder, x: string | null, img: string | null, ws: string[], name: string): [string, string] {
    let i = 0;
    if (this.constInput) {
      const c = tf.tidy(() => tf.transpose(this.constInput!, [2, 0, 1]));
      const batch = g.op('Slice', [g.op('Shape', [ws[0]!]), g.int64('zero', [0]), g.int64('one', [1])]);
      const reps = g.op('Concat', [batch, g.int64('ones', [1, 1, 1])], { axis: 0 });
      x = g.op('Tile', [g.const(`${name}.const`, read(c), [1, this.cout, 4, 4]), reps]);
      c.dispose();
    } else x = this.conv0!.onnx(g, x!, ws[i++]!, `${name}.conv0`);
    x = this.conv1.onnx(g, x, ws[i++]!, `${name}.conv1`);
    const y = this.torgb.onnx(g, x, ws[i]!, `${name}.torgb`);
    return [x, img ? g.op('Add', [blurOnnx(g, upsample2xOnnx(g, img), 3), y]) : y];
  }
}

export interface SynthesisConfig { wDim: number; resolution: number; channels: Record<number, number> }

/** ws[B, L, W] → image[B, H, W, 3] in about [-1, 1]; L = 2·log2(resolution) − 2 rows, coarse to fine. */
export class SynthesisNetwork extends Module {
  readonly blocks: SynthesisBlock[];
  readonly numWs: number;

  constructor(readonly config: SynthesisConfig, seeds: Seeds) {
    super();
    const resolutions: number[] = [];
    for (let r = 4; r <= config.resolution; r *= 2) resolutions.push(r);
    this.blocks = resolutions.map((res, i) =>
      this.child(`blocks.${i}`, new SynthesisBlock(config.wDim, config.channels[res === 4 ? 4 : res / 2]!, config.channels[res]!, res, seeds)),
    );
    this.numWs = 2 * resolutions.length;
  }

  forward(ws: tf.Tensor3D, noise: NoiseMode = 'const'): tf.Tensor4D {
    const rows = tf.unstack(ws, 1) as tf.Tensor2D[];
    let x: tf.Tensor4D | null = null;
    let img: tf.Tensor4D | null = null;
    let first = 0;
    for (const block of this.blocks) {
      [x, img] = block.forward(x, img, rows.slice(first, first + block.numConv + 1), noise);
      first += block.numConv;
    }
    return img!;
  }

  /** Exported graph: input ws[B, L, W]; output image[B, 3, H, W]. Noise is the stored constant, so renders repeat. */
  toOnnx(): Uint8Array {
    const g = new GraphBuilder('synthesis');
    const ws = g.input('ws', ['batch', this.numWs, this.config.wDim]);
    const rows = Array.from({ length: this.numWs }, (_, l) => g.op('Gather', [ws, g.int64('row', [l], [])], { axis: 1 }));
    let x: string | null = null;
    let img: string | null = null;
    let first = 0;
    this.blocks.forEach((block, i) => {
      [x, img] = block.onnx(g, x, img, rows.slice(first, first + block.numConv + 1), `b${block.res}`);
      first += block.numConv;
      void i;
    });
    g.output(img!, 'image', ['batch', 3, this.config.resolution, this.config.resolution]);
    return g.toBytes('Ganvas StyleGAN2-like synthesis network');
  }
}
