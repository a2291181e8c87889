import { layoutOf, LOGICAL_AXES } from './module.js';
import type { ConvOptions, NetOps, Shape } from './ops.js';
import { tf } from './tf.js';

/**
 * A tensor as the eager interpreter holds it: `t` in tfjs' memory order, where axis j of `t` is logical axis
 * `axes[j]` (null: the logical order). Feature maps live as NHWC, conv kernels as [kh, kw, in, out].
 */
export class Eager {
  constructor(readonly t: tf.Tensor, readonly axes: number[] | null) {}
}

const NHWC = [0, 2, 3, 1];
const KERNEL = LOGICAL_AXES.conv!;

const isIdentity = (p: number[]) => p.every((a, i) => a === i);
const inverse = (p: number[]) => p.reduce<number[]>((inv, a, j) => ((inv[a] = j), inv), []);

/** Transposes, or only reshapes when the axes that move all have size 1 (no data moves then). */
function permute(t: tf.Tensor, perm: number[]): tf.Tensor {
  if (isIdentity(perm)) return t;
  const big = perm.filter((a) => t.shape[a]! > 1);
  if (big.every((a, i) => i === 0 || a > big[i - 1]!)) return tf.reshape(t, perm.map((a) => t.shape[a]!));
  return tf.transpose(t, perm);
}

/** Renumbers the axes left after dropping some logical axes, keeping their memory order. */
function remaining(axes: number[] | null, rank: number, dropped: number[]): number[] | null {
  const kept = (axes ?? [...Array(rank).keys()]).filter((a) => !dropped.includes(a));
  const order = [...kept].sort((a, b) => a - b);
  const next = kept.map((a) => order.indexOf(a));
  return isIdentity(next) ? null : next;
}

/** The eager tfjs interpreter of NetOps: every op is a differentiable tfjs op, so gradients flow to parameters. */
export class EagerOps implements NetOps<Eager> {
  readonly kind = 'tfjs' as const;

  /** A feature map given as NHWC (how the engine's callers hold images). */
  nhwc(t: tf.Tensor4D): Eager {
    return new Eager(t, NHWC);
  }

  /** A tensor already in logical order (latents, styles, ws). */
  plain(t: tf.Tensor): Eager {
    return new Eager(t, null);
  }

  /** The value in logical order. */
  logical(x: Eager): tf.Tensor {
    return x.axes ? permute(x.t, inverse(x.axes)) : x.t;
  }

  /** A feature map as NHWC. */
  toNhwc(x: Eager): tf.Tensor4D {
    return this.arrange(x, NHWC, 4) as tf.Tensor4D;
  }

  /** x in memory order `axes` (rank `rank`, padding leading logical axes of size 1, as broadcasting does). */
  private arrange(x: Eager, axes: number[] | null, rank: number): tf.Tensor {
    const same = x.t.rank === rank && (x.axes ?? []).join() === (axes ?? []).join();
    if (same) return x.t;
    let l = this.logical(x);
    if (l.rank < rank) l = tf.reshape(l, [...Array(rank - l.rank).fill(1), ...l.shape]);
    return axes ? permute(l, axes) : l;
  }

  /** Rank-4 results are feature maps: stored NHWC. */
  private canonical(logical: tf.Tensor): Eager {
    return logical.rank === 4 ? new Eager(permute(logical, NHWC), NHWC) : new Eager(logical, null);
  }

  private physicalAxis(x: Eager, axis: number): number {
    return x.axes ? x.axes.indexOf(axis) : axis;
  }

  private binary(a: Eager | number, b: Eager | number, f: (a: tf.Tensor | number, b: tf.Tensor | number) => tf.Tensor): Eager {
    if (typeof a === 'number' && typeof b === 'number') return this.plain(f(a, b));
    if (typeof b === 'number') return new Eager(f((a as Eager).t, b), (a as Eager).axes);
    if (typeof a === 'number') return new Eager(f(a, b.t), b.axes);
    // The operand with more axes (or more elements) keeps its memory order; the other is arranged to match it.
    const aLeads = a.t.rank > b.t.rank || (a.t.rank === b.t.rank && a.t.size >= b.t.size);
    const lead = aLeads ? a : b;
    const other = this.arrange(aLeads ? b : a, lead.axes, lead.t.rank);
    return new Eager(aLeads ? f(lead.t, other) : f(other, lead.t), lead.axes);
  }

  param(v: tf.Variable): Eager {
    return new Eager(v, LOGICAL_AXES[layoutOf(v)]);
  }

  /** Constants are kernels and scalars, not feature maps: kept in logical order. */
  constant(data: Float32Array, shape: number[]): Eager {
    return this.plain(tf.tensor(data, shape));
  }

  shape(x: Eager): Shape {
    return x.axes ? inverse(x.axes).map((j) => x.t.shape[j]!) : [...x.t.shape];
  }

  add(a: Eager, b: Eager | number): Eager {
    return this.binary(a, b, tf.add);
  }
  sub(a: Eager | number, b: Eager | number): Eager {
    return this.binary(a, b, tf.sub);
  }
  mul(a: Eager, b: Eager | number): Eager {
    return this.binary(a, b, tf.mul);
  }
  div(a: Eager, b: Eager): Eager {
    return this.binary(a, b, tf.div);
  }
  matmul(a: Eager, b: Eager): Eager {
    return this.plain(tf.matMul(this.logical(a) as tf.Tensor2D, this.logical(b) as tf.Tensor2D));
  }

  private unary(x: Eager, f: (t: tf.Tensor) => tf.Tensor): Eager {
    return new Eager(f(x.t), x.axes);
  }
  square(x: Eager): Eager {
    return this.unary(x, tf.square);
  }
  sqrt(x: Eager): Eager {
    return this.unary(x, tf.sqrt);
  }
  rsqrt(x: Eager): Eager {
    return this.unary(x, tf.rsqrt);
  }
  elu(x: Eager): Eager {
    return this.unary(x, tf.elu);
  }
  sigmoid(x: Eager): Eager {
    return this.unary(x, tf.sigmoid);
  }
  tanh(x: Eager): Eager {
    return this.unary(x, tf.tanh);
  }
  clip(x: Eager, lo: number, hi: number): Eager {
    return this.unary(x, (t) => tf.clipByValue(t, lo, hi));
  }
  /**
   * Written as ((1+s)/2)·x + ((1−s)/2)·|x| because tfjs cannot take the second derivative of its LeakyRelu
   * kernel, which the R1 penalty needs.
   */
  leakyRelu(x: Eager, slope: number, gain = 1): Eager {
    return this.unary(x, (t) => tf.add(tf.mul(t, ((1 + slope) / 2) * gain), tf.mul(tf.abs(t), ((1 - slope) / 2) * gain)));
  }

  private reduce(x: Eager, axes: number[], keepDims: boolean, f: (t: tf.Tensor, axes: number[], keep: boolean) => tf.Tensor): Eager {
    const y = f(x.t, axes.map((a) => this.physicalAxis(x, a)), keepDims);
    return new Eager(y, keepDims ? x.axes : remaining(x.axes, x.t.rank, axes));
  }
  sum(x: Eager, axes: number[], keepDims = false): Eager {
    return this.reduce(x, axes, keepDims, tf.sum);
  }
  mean(x: Eager, axes: number[], keepDims = false): Eager {
    return this.reduce(x, axes, keepDims, tf.mean);
  }

  reshape(x: Eager, shape: number[]): Eager {
    return this.canonical(tf.reshape(this.logical(x), shape));
  }

  /** Only relabels axes: no data moves. */
  transpose(x: Eager, perm: number[]): Eager {
    const inv = inverse(perm);
    const axes = (x.axes ?? [...Array(x.t.rank).keys()]).map((a) => inv[a]!);
    return new Eager(x.t, isIdentity(axes) ? null : axes);
  }

  concat(xs: Eager[], axis: number): Eager {
    const [first] = xs;
    const parts = xs.map((x) => this.arrange(x, first!.axes, first!.t.rank));
    return new Eager(tf.concat(parts, this.physicalAxis(first!, axis)), first!.axes);
  }

  split(x: Eager, axis: number, sizes: number[]): Eager[] {
    return tf.split(x.t, sizes, this.physicalAxis(x, axis)).map((t) => new Eager(t, x.axes));
  }

  /** A slice, not a gather: its gradient (a pad) exists on every backend, WebAssembly included. */
  select(x: Eager, axis: number, index: number): Eager {
    const j = this.physicalAxis(x, axis);
    const begin = x.t.shape.map((_, i) => (i === j ? index : 0));
    const size = x.t.shape.map((d, i) => (i === j ? 1 : d));
    const t = tf.slice(x.t, begin, size);
    return new Eager(tf.reshape(t, t.shape.filter((_, i) => i !== j)), remaining(x.axes, x.t.rank, [axis]));
  }

  tile(x: Eager, reps: number[]): Eager {
    return new Eager(tf.tile(x.t, x.axes ? x.axes.map((a) => reps[a]!) : reps), x.axes);
  }

  broadcastBatch(x: Eager, like: Eager): Eager {
    const reps = this.shape(x).map((_, i) => (i === 0 ? (this.shape(like)[0] as number) : 1));
    return this.tile(x, reps);
  }

  conv2d(x: Eager, kernel: Eager, o: ConvOptions<Eager> = {}): Eager {
    const stride = o.stride ?? 1, dilation = o.dilation ?? 1;
    let k: tf.Tensor4D;
    if (o.depthwise) {
      // A full conv with a channel-diagonal kernel: the custom WebAssembly gradient (conv-grad.ts) covers Conv2D only.
      const [c, , kh, kw] = this.shape(kernel) as number[];
      const perChannel = tf.reshape(tf.transpose(this.logical(kernel), [2, 3, 0, 1]), [kh!, kw!, c!, 1]);
      k = tf.mul(perChannel, tf.reshape(tf.eye(c!), [1, 1, c!, c!])) as tf.Tensor4D;
    } else k = this.arrange(kernel, KERNEL, 4) as tf.Tensor4D;
    const pad = (dilation * (k.shape[0] - 1)) / 2;
    let input = this.toNhwc(x);
    if (pad > 0 && o.padding === 'edge') {
      // With a one-pixel border, 'symmetric' mirror padding repeats the edge pixel, which is edge padding.
      if (pad !== 1) throw new Error(`edge padding of ${pad} px is not supported (1 px only)`);
      input = tf.mirrorPad(input, [[0, 0], [1, 1], [1, 1], [0, 0]], 'symmetric');
    } else if (pad > 0) input = tf.pad(input, [[0, 0], [pad, pad], [pad, pad], [0, 0]]);
    let y: tf.Tensor = tf.conv2d(input, k, stride, 'valid', 'NHWC', dilation);
    if (o.bias) y = tf.add(y, this.arrange(o.bias, null, 1));
    return new Eager(y, NHWC);
  }

  upsample2x(x: Eager): Eager {
    const t = this.toNhwc(x);
    return new Eager(tf.image.resizeNearestNeighbor(t, [2 * t.shape[1], 2 * t.shape[2]], false, false), NHWC);
  }

  /** As reshape + mean, which (unlike AvgPool) tfjs can differentiate twice. */
  downsample2x(x: Eager): Eager {
    const [b, h, w, c] = this.toNhwc(x).shape;
    return new Eager(tf.mean(tf.reshape(this.toNhwc(x), [b, h / 2, 2, w / 2, 2, c]), [2, 4]), NHWC);
  }

  noise(like: Eager): Eager {
    const [b, , h, w] = this.shape(like) as number[];
    return new Eager(tf.randomNormal([b!, h!, w!, 1]), NHWC);
  }
}

/** The one eager interpreter (it holds no state). */
export const eager = new EagerOps();
