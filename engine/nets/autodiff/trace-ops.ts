import { layoutOf, type Layout, type Module } from '../module.js';
import type { ConvOptions, NetOps, Shape } from '../ops.js';
import type { tf } from '../tf.js';
import { broadcastShapes, convOut, showShape, Sym, type Attrs, type ConvGeometry, type Op } from './sym.js';

/** File (logical) axis j of a parameter is its tfjs axis FILE_AXES[layout][j] (module.ts keeps this table private). */
const FILE_AXES: Record<Layout, number[] | null> = { plain: null, conv: [3, 2, 0, 1], chw: [2, 0, 1] };

const prod = (s: number[]) => s.reduce((a, b) => a * b, 1);

/**
 * The third NetOps interpreter: running a net's `apply` against it records the forward pass as Syms (static
 * shapes: a training graph is built for one batch size and resolution). It also offers the primitives backward
 * passes are written in, so vjp.ts differentiates with the same recorder and its output can be differentiated again.
 */
export class TraceOps implements NetOps<Sym> {
  readonly kind = 'trace' as const;
  private readonly paramNames = new Map<tf.Variable, string>();
  private readonly params = new Map<tf.Variable, Sym>();
  private noiseCount = 0;
  /** The noise inputs asked for by `noise()`, in order: the caller feeds them. */
  readonly noiseInputs: Sym[] = [];

  /** Parameters of `net` become graph inputs named `prefix + name` (e.g. 'D.blocks.0.conv0.weight'). */
  bind(net: Module, prefix: string): this {
    for (const [name, p] of net.namedParams(prefix)) this.paramNames.set(p.variable, name);
    return this;
  }

  /** The param Sym of a variable, once traced. */
  paramSym(v: tf.Variable): Sym | undefined {
    return this.params.get(v);
  }

  input(name: string, shape: number[]): Sym {
    return new Sym('input', [], shape, { name });
  }

  private node(op: Op, inputs: Sym[], shape: number[], attrs: Attrs = {}): Sym {
    return new Sym(op, inputs, shape, attrs);
  }

  private operand(x: Sym | number): Sym {
    return typeof x === 'number' ? this.constant(new Float32Array([x]), []) : x;
  }

  // ---- NetOps ----

  param(v: tf.Variable): Sym {
    let s = this.params.get(v);
    if (!s) {
      const name = this.paramNames.get(v);
      if (!name) throw new Error('trace: a parameter of a module that was not bound (TraceOps.bind)');
      // Logical (file) layout, whatever tfjs' memory order: [out, in, kh, kw] kernels, [C, H, W] constants.
      const perm = FILE_AXES[layoutOf(v)];
      const shape = perm ? perm.map((a) => v.shape[a]!) : [...v.shape];
      s = new Sym('param', [], shape, { name });
      this.params.set(v, s);
    }
    return s;
  }

  constant(data: Float32Array, shape: number[]): Sym {
    if (data.length !== prod(shape)) throw new Error(`trace: ${data.length} values for shape ${showShape(shape)}`);
    return this.node('const', [], shape, { data });
  }

  shape(x: Sym): Shape {
    return [...x.shape];
  }

  private binary(op: Op, a: Sym | number, b: Sym | number): Sym {
    const sa = this.operand(a), sb = this.operand(b);
    return this.node(op, [sa, sb], broadcastShapes(sa.shape, sb.shape));
  }
  add(a: Sym, b: Sym | number): Sym {
    return this.binary('add', a, b);
  }
  sub(a: Sym | number, b: Sym | number): Sym {
    return this.binary('sub', a, b);
  }
  mul(a: Sym, b: Sym | number): Sym {
    return this.binary('mul', a, b);
  }
  div(a: Sym, b: Sym): Sym {
    return this.binary('div', a, b);
  }
  matmul(a: Sym, b: Sym): Sym {
    if (a.shape.length !== 2 || b.shape.length !== 2 || a.shape[1] !== b.shape[0]) throw new Error(`trace: matmul of ${showShape(a.shape)} and ${showShape(b.shape)}`);
    return this.node('matmul', [a, b], [a.shape[0]!, b.shape[1]!]);
  }
  square(x: Sym): Sym {
    return this.node('square', [x], x.shape);
  }
  sqrt(x: Sym): Sym {
    return this.node('sqrt', [x], x.shape);
  }
  rsqrt(x: Sym): Sym {
    return this.node('rsqrt', [x], x.shape);
  }
  sum(x: Sym, axes: number[], keepDims = false): Sym {
    const shape = x.shape.flatMap((d, i) => (axes.includes(i) ? (keepDims ? [1] : []) : [d]));
    return this.node('sum', [x], shape, { axes: [...axes].sort((a, b) => a - b), keepDims });
  }
  mean(x: Sym, axes: number[], keepDims = false): Sym {
    return this.mul(this.sum(x, axes, keepDims), 1 / prod(axes.map((a) => x.shape[a]!)));
  }
  leakyRelu(x: Sym, slope: number, gain = 1): Sym {
    return this.node('leakyRelu', [x], x.shape, { slope, gain });
  }
  elu(): Sym {
    throw new Error('trace: elu has no derivative here yet (only the inpainter uses it)');
  }
  sigmoid(x: Sym): Sym {
    return this.node('sigmoid', [x], x.shape);
  }
  tanh(x: Sym): Sym {
    return this.node('tanh', [x], x.shape);
  }
  clip(x: Sym, lo: number, hi: number): Sym {
    return this.node('clip', [x], x.shape, { lo, hi });
  }
  reshape(x: Sym, shape: number[]): Sym {
    const known = prod(shape.filter((d) => d !== -1));
    const resolved = shape.map((d) => (d === -1 ? x.size / known : d));
    if (prod(resolved) !== x.size || !resolved.every(Number.isInteger)) throw new Error(`trace: cannot reshape ${showShape(x.shape)} to ${showShape(shape)}`);
    return resolved.join() === x.shape.join() ? x : this.node('reshape', [x], resolved);
  }
  transpose(x: Sym, perm: number[]): Sym {
    return this.node('transpose', [x], perm.map((a) => x.shape[a]!), { perm });
  }
  concat(xs: Sym[], axis: number): Sym {
    if (xs.length === 1) return xs[0]!;
    const shape = xs[0]!.shape.map((d, i) => (i === axis ? xs.reduce((s, x) => s + x.shape[i]!, 0) : d));
    return this.node('concat', xs, shape, { axis });
  }
  split(x: Sym, axis: number, sizes: number[]): Sym[] {
    let begin = 0;
    return sizes.map((size) => this.slice(x, axis, (begin += size) - size, size));
  }
  select(x: Sym, axis: number, index: number): Sym {
    return this.reshape(this.slice(x, axis, index, 1), x.shape.filter((_, i) => i !== axis));
  }
  /** Tiling as a broadcast over interleaved repeat axes: broadcastTo's vjp (a sum) then covers it. */
  tile(x: Sym, reps: number[]): Sym {
    if (reps.every((r) => r === 1)) return x;
    const spread = this.reshape(x, x.shape.flatMap((d) => [1, d]));
    const tiled = this.broadcastTo(spread, x.shape.flatMap((d, i) => [reps[i]!, d]));
    return this.reshape(tiled, x.shape.map((d, i) => d * reps[i]!));
  }
  broadcastBatch(x: Sym, like: Sym): Sym {
    return this.tile(x, x.shape.map((_, i) => (i === 0 ? like.shape[0]! : 1)));
  }

  conv2d(x: Sym, kernel: Sym, o: ConvOptions<Sym> = {}): Sym {
    const stride = o.stride ?? 1, dilation = o.dilation ?? 1;
    const k = kernel.shape[2]!;
    let pad = (dilation * (k - 1)) / 2;
    let input = x;
    if (o.padding === 'edge' && pad > 0) {
      input = this.edgePad(x, pad);
      pad = 0;
    }
    const group = o.depthwise ? x.shape[1]! : 1;
    const y = this.conv(input, kernel, { stride, dilation, pad, group });
    return o.bias ? this.add(y, this.reshape(o.bias, [1, -1, 1, 1])) : y;
  }
  upsample2x(x: Sym): Sym {
    const [b, c, h, w] = x.shape;
    return this.node('upsample2x', [x], [b!, c!, 2 * h!, 2 * w!]);
  }
  downsample2x(x: Sym): Sym {
    const [b, c, h, w] = x.shape;
    return this.node('downsample2x', [x], [b!, c!, h! / 2, w! / 2]);
  }
  /** Noise becomes a graph input (`noise.0`, `noise.1`, … in call order), so runs are reproducible and comparable. */
  noise(like: Sym): Sym {
    const [b, , h, w] = like.shape;
    const s = this.input(`noise.${this.noiseCount++}`, [b!, 1, h!, w!]);
    this.noiseInputs.push(s);
    return s;
  }

  // ---- primitives beyond NetOps (losses and backward passes) ----

  softplus(x: Sym): Sym {
    return this.node('softplus', [x], x.shape);
  }
  neg(x: Sym): Sym {
    return this.mul(x, -1);
  }
  /** g · d leakyRelu(x)/dx: gain where x > 0, slope·gain elsewhere. */
  leakyReluGrad(x: Sym, g: Sym, slope: number, gain: number): Sym {
    return this.node('leakyReluGrad', [x, g], g.shape, { slope, gain });
  }
  /** g where lo < x < hi, 0 elsewhere. */
  clipGrad(x: Sym, g: Sym, lo: number, hi: number): Sym {
    return this.node('clipGrad', [x, g], g.shape, { lo, hi });
  }
  /** `size` entries from `begin` along `axis`. */
  slice(x: Sym, axis: number, begin: number, size: number): Sym {
    if (begin === 0 && size === x.shape[axis]) return x;
    return this.node('slice', [x], x.shape.map((d, i) => (i === axis ? size : d)), { axis, begin, size });
  }
  /** Zeros before and after along `axis`: slice's adjoint. */
  padZeros(x: Sym, axis: number, before: number, after: number): Sym {
    if (before === 0 && after === 0) return x;
    return this.node('padZeros', [x], x.shape.map((d, i) => (i === axis ? d + before + after : d)), { axis, before, after });
  }
  broadcastTo(x: Sym, shape: number[]): Sym {
    if (x.shape.join() === shape.join()) return x;
    broadcastShapes(x.shape, shape);
    return this.node('broadcastTo', [x], shape);
  }
  /** Sums g over the axes along which a value of `shape` was broadcast to g's shape: broadcasting's adjoint. */
  unbroadcast(g: Sym, shape: number[]): Sym {
    if (g.shape.join() === shape.join()) return g;
    const lead = g.shape.length - shape.length;
    const axes = g.shape.map((d, i) => i).filter((i) => i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1));
    const summed = axes.length ? this.sum(g, axes, true) : g;
    return this.reshape(summed, shape);
  }
  /** Edge replication by `pad` px, as concatenated slices, so its vjp needs nothing new. */
  edgePad(x: Sym, pad: number): Sym {
    let y = x;
    for (const axis of [2, 3]) {
      const n = y.shape[axis]!;
      const first = this.slice(y, axis, 0, 1), last = this.slice(y, axis, n - 1, 1);
      y = this.concat([...Array(pad).fill(first), y, ...Array(pad).fill(last)], axis);
    }
    return y;
  }
  conv(x: Sym, w: Sym, g: ConvGeometry): Sym {
    const [b, c, h, wd] = x.shape, [o, ci, k] = w.shape;
    if (ci! * g.group !== c) throw new Error(`trace: conv of ${showShape(x.shape)} with kernel ${showShape(w.shape)} (group ${g.group})`);
    return this.node('conv', [x, w], [b!, o!, convOut(h!, k!, g), convOut(wd!, k!, g)], { conv: g });
  }
  /** The adjoint of conv in its input: dy [B, O, Ho, Wo] → dx of shape `xShape`. */
  convTranspose(dy: Sym, w: Sym, g: ConvGeometry, xShape: number[]): Sym {
    return this.node('convTranspose', [dy, w], xShape, { conv: g });
  }
  /** The adjoint of conv in its kernel: x and dy → dw of shape `wShape`. */
  convWeightGrad(x: Sym, dy: Sym, g: ConvGeometry, wShape: number[]): Sym {
    return this.node('convWeightGrad', [x, dy], wShape, { conv: g });
  }
}
