import { Module } from './module.js';
import type { GraphBuilder } from './onnx/graph.js';
import { readScaled, tf } from './tf.js';

const SQRT2 = Math.SQRT2;

/** Deterministic initialisation: each layer draws its weights from the next seed. */
export class Seeds {
  constructor(private seed: number) {}
  next(): number {
    return this.seed++;
  }
}

export const normal = (shape: number[], std: number, seeds: Seeds) => tf.randomNormal(shape, 0, std, 'float32', seeds.next());

/**
 * StyleGAN's activation: leaky ReLU (0.2) with gain √2 so activations keep unit variance. Written as
 * 0.6x + 0.4|x| because tfjs cannot take the second derivative of its LeakyRelu kernel, which R1 needs.
 */
export function lrelu<T extends tf.Tensor>(x: T): T {
  return tf.add(tf.mul(x, 0.6 * SQRT2), tf.mul(tf.abs(x), 0.4 * SQRT2)) as T;
}

/** 2×2 average pooling as reshape + mean, which (unlike AvgPool) tfjs can differentiate twice. */
export function downsample2x(x: tf.Tensor4D): tf.Tensor4D {
  const [b, h, w, c] = x.shape;
  return tf.mean(tf.reshape(x, [b, h / 2, 2, w / 2, 2, c]), [2, 4]) as tf.Tensor4D;
}
export function lreluOnnx(g: GraphBuilder, x: string): string {
  return g.op('Mul', [g.op('LeakyRelu', [x], { alpha: { float: 0.2 } }), g.scalar('sqrt2', SQRT2)]);
}

/**
 * Fully connected layer with equalized learning rate (ProGAN): weights are stored N(0, 1/lrMul²) and scaled
 * by lrMul/√fanIn at run time, so Adam sees every layer at the same scale.
 */
export class EqualizedDense extends Module {
  readonly weight: tf.Variable;
  readonly bias: tf.Variable;
  private readonly wScale: number;

  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    readonly activation: 'linear' | 'lrelu',
    seeds: Seeds,
    readonly lrMul = 1,
    biasInit = 0,
  ) {
    super();
    this.weight = this.param('weight', normal([inFeatures, outFeatures], 1 / lrMul, seeds));
    this.bias = this.param('bias', tf.fill([outFeatures], biasInit));
    this.wScale = lrMul / Math.sqrt(inFeatures);
  }

  forward(x: tf.Tensor2D): tf.Tensor2D {
    const y = tf.add(tf.matMul(x, tf.mul(this.weight, this.wScale)), tf.mul(this.bias, this.lrMul)) as tf.Tensor2D;
    return this.activation === 'lrelu' ? lrelu(y) : y;
  }

  onnx(g: GraphBuilder, x: string, name: string): string {
    const w = g.const(`${name}.w`, readScaled(this.weight, this.wScale), [this.inFeatures, this.outFeatures]);
    const b = g.const(`${name}.b`, readScaled(this.bias, this.lrMul), [this.outFeatures]);
    const y = g.op('Gemm', [x, w, b]);
    return this.activation === 'linear' ? y : lreluOnnx(g, y);
  }
}

/** Pixel norm over features (ProGAN), applied to z so its scale never matters. */
export const normalize2ndMoment = {
  forward: (x: tf.Tensor2D): tf.Tensor2D => tf.mul(x, tf.rsqrt(tf.add(tf.mean(tf.square(x), 1, true), 1e-8))) as tf.Tensor2D,

  onnx(g: GraphBuilder, x: string): string {
    const meanSq = g.op('ReduceMean', [g.op('Mul', [x, x])], { axes: { ints: [1] }, keepdims: 1 });
    return g.op('Div', [x, g.op('Sqrt', [g.op('Add', [meanSq, g.scalar('eps', 1e-8)])])]);
  },
};

/** Convolution on NHWC tensors with 'same' padding (tfjs), matching ONNX Conv with explicit pads on NCHW. */
export function conv(x: tf.Tensor4D, w: tf.Tensor4D, stride = 1, dilation = 1): tf.Tensor4D {
  const k = w.shape[0];
  const pad = (dilation * (k - 1)) / 2;
  const padded = pad > 0 ? tf.pad(x, [[0, 0], [pad, pad], [pad, pad], [0, 0]]) : x;
  return tf.conv2d(padded, w, stride, 'valid', 'NHWC', dilation);
}

export function convOnnx(g: GraphBuilder, x: string, w: string, k: number, b?: string, stride = 1, dilation = 1): string {
  const pad = (dilation * (k - 1)) / 2;
  return g.op('Conv', b ? [x, w, b] : [x, w], {
    kernel_shape: { ints: [k, k] }, pads: { ints: [pad, pad, pad, pad] }, strides: { ints: [stride, stride] }, dilations: { ints: [dilation, dilation] },
  });
}

/** Nearest-neighbour ×2 upsampling: pixel (y, x) of the output is pixel (⌊y/2⌋, ⌊x/2⌋) of the input, as in ONNX Resize below. */
export function upsample2x(x: tf.Tensor4D): tf.Tensor4D {
  const [, h, w] = x.shape;
  return tf.image.resizeNearestNeighbor(x, [2 * h, 2 * w], false, false);
}
export function upsample2xOnnx(g: GraphBuilder, x: string): string {
  return g.op('Resize', [x, '', g.const('scales', new Float32Array([1, 1, 2, 2]), [4])], {
    mode: 'nearest', coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor',
  });
}

/** 3×3 binomial blur per channel with edge padding: smooths the nearest-upsampled RGB skip of the generator. */
function blurKernel(c: number): Float32Array {
  const k1 = [1, 2, 1];
  const k = new Float32Array(9 * c * c); // tfjs layout [3, 3, c, c], diagonal in channels
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) for (let ch = 0; ch < c; ch++) k[((i * 3 + j) * c + ch) * c + ch] = (k1[i]! * k1[j]!) / 16;
  return k;
}
export function blur(x: tf.Tensor4D): tf.Tensor4D {
  const c = x.shape[3];
  // With a one-pixel border, 'symmetric' mirror padding repeats the edge pixel: the same as ONNX's 'edge'.
  const padded = tf.mirrorPad(x, [[0, 0], [1, 1], [1, 1], [0, 0]], 'symmetric');
  return tf.conv2d(padded, tf.tensor4d(blurKernel(c), [3, 3, c, c]), 1, 'valid');
}
export function blurOnnx(g: GraphBuilder, x: string, c: number): string {
  const k = new Float32Array(9 * c); // ONNX grouped layout [c, 1, 3, 3]
  const k1 = [1, 2, 1];
  for (let ch = 0; ch < c; ch++) for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) k[ch * 9 + i * 3 + j] = (k1[i]! * k1[j]!) / 16;
  const padded = g.op('Pad', [x, g.int64('pads', [0, 0, 1, 1, 0, 0, 1, 1])], { mode: 'edge' });
  return g.op('Conv', [padded, g.const('blur', k, [c, 1, 3, 3])], { group: c, kernel_shape: { ints: [3, 3] } });
}
