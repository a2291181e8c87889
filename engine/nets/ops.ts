import type { tf } from './tf.js';

/**
 * The operations the nets are written in. Every layer's forward pass is written once, as `apply(ops, …)`, and run
 * by two interpreters: eager tfjs (`eager-ops.ts`: gradients, training, projection) and the ONNX graph builder
 * (`onnx/onnx-ops.ts`: the exported inference graphs). So the graph users run and the function training
 * differentiates cannot disagree.
 *
 * Layout: every tensor is seen in its logical layout, the one weight files, PyTorch and ONNX share: feature maps
 * are [B, C, H, W], conv kernels [out, in, kh, kw], fc weights [in, out]. The eager interpreter stores feature maps
 * as NHWC (what tfjs convolves fastest) and converts only where an op needs it; axes given here are always logical.
 */
export type Shape = (number | null)[]; // null: a size known only when the graph runs (batch, height, width)

export interface ConvOptions<T> {
  bias?: T;
  stride?: number;
  dilation?: number;
  /** 'same'-size zero padding (default) or edge replication (the generator's blur). */
  padding?: 'zeros' | 'edge';
  /** One k×k kernel per channel, given as [C, 1, k, k]: the generator's blur. */
  depthwise?: boolean;
}

export interface NetOps<T> {
  /** Which interpreter this is, for error messages. */
  readonly kind: 'tfjs' | 'onnx' | 'trace';
  /** A parameter of a Module: eager keeps the variable, so gradients reach it; export bakes its value in. */
  param(v: tf.Variable): T;
  constant(data: Float32Array, shape: number[]): T;
  shape(x: T): Shape;

  add(a: T, b: T | number): T;
  sub(a: T | number, b: T | number): T;
  mul(a: T, b: T | number): T;
  div(a: T, b: T): T;
  matmul(a: T, b: T): T;
  square(x: T): T;
  sqrt(x: T): T;
  rsqrt(x: T): T;
  sum(x: T, axes: number[], keepDims?: boolean): T;
  mean(x: T, axes: number[], keepDims?: boolean): T;

  /** max(x, slope·x) × gain. */
  leakyRelu(x: T, slope: number, gain?: number): T;
  elu(x: T): T;
  sigmoid(x: T): T;
  tanh(x: T): T;
  clip(x: T, lo: number, hi: number): T;

  /** -1 stands for the one size inferred from the others (the batch, in exported graphs). */
  reshape(x: T, shape: number[]): T;
  transpose(x: T, perm: number[]): T;
  concat(xs: T[], axis: number): T;
  split(x: T, axis: number, sizes: number[]): T[];
  /** x[…, index, …] along `axis`, which is dropped. */
  select(x: T, axis: number, index: number): T;
  tile(x: T, reps: number[]): T;
  /** x (batch 1) repeated to the batch of `like`. */
  broadcastBatch(x: T, like: T): T;

  /** Stride-s, dilated conv of a feature map with 'same' padding (dilation·(k−1)/2 on each side). */
  conv2d(x: T, kernel: T, options?: ConvOptions<T>): T;
  /** Nearest-neighbour ×2: output pixel (y, x) is input pixel (⌊y/2⌋, ⌊x/2⌋). */
  upsample2x(x: T): T;
  /** 2×2 average pooling. */
  downsample2x(x: T): T;
  /** Standard normal noise [B, 1, H, W] for the batch and size of feature map `like` (training only). */
  noise(like: T): T;
}

export class NetShapeError extends Error {}

const show = (s: Shape) => `[${s.map((d) => (d === null ? '?' : d)).join(', ')}]`;

/** Checks a block's input or output; null in `expected` (or in the actual shape, when exporting) matches any size. */
export function expectShape<T>(ops: NetOps<T>, where: string, what: string, x: T, expected: Shape): void {
  const actual = ops.shape(x);
  const ok = actual.length === expected.length && expected.every((d, i) => d === null || actual[i] === null || actual[i] === d);
  if (!ok) throw new NetShapeError(`${where}: ${what} should be ${show(expected)} but is ${show(actual)} (${ops.kind})`);
}

/** A per-channel vector [C] (or per-sample [B, C]) as a map that broadcasts over a [B, C, H, W] feature map. */
export const channelMap = <T>(ops: NetOps<T>, v: T): T => {
  const s = ops.shape(v);
  return s.length === 1 ? ops.reshape(v, [1, -1, 1, 1]) : ops.reshape(v, [-1, s[1] ?? -1, 1, 1]);
};
