import { Eager, EagerOps } from '../eager-ops.js';
import type { Module } from '../module.js';
import type { ConvOptions, NetOps, Shape } from '../ops.js';
import { tf } from '../tf.js';
import { GraphBuilder, type Dim } from './graph.js';

/**
 * A value while exporting: a constant known now (parameters and anything computed from parameters alone, kept as
 * an eager tensor and folded, so the graph holds w·gain rather than w and a Mul), or a node of the graph.
 */
export type OnnxValue =
  | { kind: 'const'; value: Eager; label: string }
  | { kind: 'node'; name: string; shape: Shape };

const broadcast = (a: Shape, b: Shape): Shape => {
  const n = Math.max(a.length, b.length);
  const pa = [...Array(n - a.length).fill(1), ...a], pb = [...Array(n - b.length).fill(1), ...b];
  return pa.map((d, i) => (d === 1 ? pb[i]! : pb[i] === 1 ? d : d ?? pb[i]!));
};
const known = (s: Shape): s is number[] => s.every((d) => d !== null);

/**
 * The ONNX interpreter of NetOps: the nets' `apply` run against it writes their inference graph (IR 8, opset 17)
 * through GraphBuilder. Feature maps are NCHW, the logical layout, so no transposes appear in the graph.
 */
export class OnnxOps implements NetOps<OnnxValue> {
  readonly kind = 'onnx' as const;
  readonly g: GraphBuilder;
  /** Constant folding runs on the eager interpreter: the same arithmetic, done once at export. */
  private readonly fold = new EagerOps();
  private readonly names = new Map<tf.Variable, string>();
  private readonly materialised = new WeakMap<Eager, string>();

  constructor(graphName: string, net: Module) {
    this.g = new GraphBuilder(graphName);
    for (const [name, p] of net.namedParams()) this.names.set(p.variable, name);
  }

  input(name: string, dims: Dim[]): OnnxValue {
    return { kind: 'node', name: this.g.input(name, dims), shape: dims.map((d) => (typeof d === 'number' ? d : null)) };
  }

  output(x: OnnxValue, name: string, dims: Dim[]): void {
    this.g.output(this.name(x), name, dims);
  }

  /** The graph's value name for x; constants become initializers (once each). */
  name(x: OnnxValue): string {
    if (x.kind === 'node') return x.name;
    let name = this.materialised.get(x.value);
    if (!name) {
      const t = this.fold.logical(x.value);
      name = this.g.const(x.label, t.dataSync() as Float32Array, t.shape);
      this.materialised.set(x.value, name);
    }
    return name;
  }

  private operand(x: OnnxValue | number): string {
    return typeof x === 'number' ? this.g.scalar('k', x) : this.name(x);
  }

  private node(op: string, inputs: (OnnxValue | number | string)[], shape: Shape, attrs: Parameters<GraphBuilder['op']>[2] = {}): OnnxValue {
    const names = inputs.map((x) => (typeof x === 'string' ? x : this.operand(x)));
    return { kind: 'node', name: this.g.op(op, names, attrs), shape };
  }

  /** Folds when every operand is constant, else writes a node. */
  private either(inputs: (OnnxValue | number)[], folded: (...v: (Eager | number)[]) => Eager, emit: () => OnnxValue): OnnxValue {
    if (inputs.every((x) => typeof x === 'number' || x.kind === 'const')) {
      const label = inputs.find((x): x is Extract<OnnxValue, { kind: 'const' }> => typeof x !== 'number')?.label ?? 'const';
      return { kind: 'const', value: folded(...inputs.map((x) => (typeof x === 'number' ? x : (x as { value: Eager }).value))), label };
    }
    return emit();
  }

  param(v: tf.Variable): OnnxValue {
    return { kind: 'const', value: this.fold.param(v), label: this.names.get(v) ?? 'param' };
  }

  constant(data: Float32Array, shape: number[]): OnnxValue {
    return { kind: 'const', value: this.fold.plain(tf.tensor(data, shape)), label: 'const' };
  }

  shape(x: OnnxValue): Shape {
    return x.kind === 'const' ? this.fold.shape(x.value) : x.shape;
  }

  private binary(op: 'Add' | 'Sub' | 'Mul' | 'Div', a: OnnxValue | number, b: OnnxValue | number, f: (a: Eager | number, b: Eager | number) => Eager): OnnxValue {
    const s = (x: OnnxValue | number) => (typeof x === 'number' ? [] : this.shape(x));
    return this.either([a, b], f, () => this.node(op, [a, b], broadcast(s(a), s(b))));
  }
  add(a: OnnxValue, b: OnnxValue | number) {
    return this.binary('Add', a, b, (x, y) => this.fold.add(x as Eager, y));
  }
  sub(a: OnnxValue | number, b: OnnxValue | number) {
    return this.binary('Sub', a, b, (x, y) => this.fold.sub(x, y));
  }
  mul(a: OnnxValue, b: OnnxValue | number) {
    return this.binary('Mul', a, b, (x, y) => this.fold.mul(x as Eager, y));
  }
  div(a: OnnxValue, b: OnnxValue) {
    return this.binary('Div', a, b, (x, y) => this.fold.div(x as Eager, y as Eager));
  }
  matmul(a: OnnxValue, b: OnnxValue) {
    return this.either([a, b], (x, y) => this.fold.matmul(x as Eager, y as Eager), () => this.node('MatMul', [a, b], [this.shape(a)[0]!, this.shape(b)[1]!]));
  }

  private unary(x: OnnxValue, folded: (v: Eager) => Eager, emit: () => OnnxValue): OnnxValue {
    return this.either([x], (v) => folded(v as Eager), emit);
  }
  square(x: OnnxValue) {
    return this.unary(x, (v) => this.fold.square(v), () => this.node('Mul', [x, x], this.shape(x)));
  }
  sqrt(x: OnnxValue) {
    return this.unary(x, (v) => this.fold.sqrt(v), () => this.node('Sqrt', [x], this.shape(x)));
  }
  rsqrt(x: OnnxValue) {
    return this.unary(x, (v) => this.fold.rsqrt(v), () => this.node('Reciprocal', [this.sqrt(x)], this.shape(x)));
  }
  elu(x: OnnxValue) {
    return this.unary(x, (v) => this.fold.elu(v), () => this.node('Elu', [x], this.shape(x)));
  }
  sigmoid(x: OnnxValue) {
    return this.unary(x, (v) => this.fold.sigmoid(v), () => this.node('Sigmoid', [x], this.shape(x)));
  }
  tanh(x: OnnxValue) {
    return this.unary(x, (v) => this.fold.tanh(v), () => this.node('Tanh', [x], this.shape(x)));
  }
  clip(x: OnnxValue, lo: number, hi: number) {
    return this.unary(x, (v) => this.fold.clip(v, lo, hi), () => this.node('Clip', [x, lo, hi], this.shape(x)));
  }
  leakyRelu(x: OnnxValue, slope: number, gain = 1) {
    return this.unary(x, (v) => this.fold.leakyRelu(v, slope, gain), () => {
      const y = this.node('LeakyRelu', [x], this.shape(x), { alpha: { float: slope } });
      return gain === 1 ? y : this.node('Mul', [y, gain], this.shape(x));
    });
  }

  private reduced(x: OnnxValue, axes: number[], keepDims: boolean): Shape {
    return this.shape(x).flatMap((d, i) => (axes.includes(i) ? (keepDims ? [1] : []) : [d]));
  }
  sum(x: OnnxValue, axes: number[], keepDims = false) {
    // ReduceSum takes its axes as an input from opset 13 on; ReduceMean still as an attribute in opset 17.
    return this.unary(x, (v) => this.fold.sum(v, axes, keepDims), () => this.node('ReduceSum', [x, this.g.int64('axes', axes)], this.reduced(x, axes, keepDims), { keepdims: keepDims ? 1 : 0 }));
  }
  mean(x: OnnxValue, axes: number[], keepDims = false) {
    return this.unary(x, (v) => this.fold.mean(v, axes, keepDims), () => this.node('ReduceMean', [x], this.reduced(x, axes, keepDims), { axes: { ints: axes }, keepdims: keepDims ? 1 : 0 }));
  }

  reshape(x: OnnxValue, shape: number[]) {
    return this.unary(x, (v) => this.fold.reshape(v, shape), () => {
      const from = this.shape(x);
      const rest = shape.filter((d) => d !== -1).reduce((p, d) => p * d, 1);
      const inferred = known(from) ? from.reduce((p, d) => p * d, 1) / rest : null;
      return this.node('Reshape', [x, this.g.int64('shape', shape)], shape.map((d) => (d === -1 ? inferred : d)));
    });
  }
  transpose(x: OnnxValue, perm: number[]) {
    return this.unary(x, (v) => this.fold.transpose(v, perm), () => this.node('Transpose', [x], perm.map((a) => this.shape(x)[a]!), { perm: { ints: perm } }));
  }
  concat(xs: OnnxValue[], axis: number) {
    const shape = this.shape(xs[0]!).map((d, i) => (i !== axis ? d : xs.reduce<number | null>((s, x) => (s === null || this.shape(x)[i] === null ? null : s + this.shape(x)[i]!), 0)));
    return this.either(xs, (...v) => this.fold.concat(v as Eager[], axis), () => this.node('Concat', xs, shape, { axis }));
  }
  split(x: OnnxValue, axis: number, sizes: number[]): OnnxValue[] {
    if (x.kind === 'const') return this.fold.split(x.value, axis, sizes).map((value) => ({ kind: 'const', value, label: x.label }));
    const outs = this.g.ops('Split', [this.name(x), this.g.int64('split', sizes)], { axis }, sizes.length);
    return outs.map((name, k) => ({ kind: 'node', name, shape: this.shape(x).map((d, i) => (i === axis ? sizes[k]! : d)) }));
  }
  select(x: OnnxValue, axis: number, index: number) {
    return this.unary(x, (v) => this.fold.select(v, axis, index), () =>
      this.node('Gather', [x, this.g.int64('index', [index], [])], this.shape(x).filter((_, i) => i !== axis), { axis }));
  }
  tile(x: OnnxValue, reps: number[]) {
    return this.unary(x, (v) => this.fold.tile(v, reps), () =>
      this.node('Tile', [x, this.g.int64('reps', reps)], this.shape(x).map((d, i) => (d === null ? null : d * reps[i]!))));
  }
  broadcastBatch(x: OnnxValue, like: OnnxValue) {
    const rank = this.shape(x).length;
    const batch = this.g.op('Slice', [this.g.op('Shape', [this.name(like)]), this.g.int64('zero', [0]), this.g.int64('one', [1])]);
    const reps = this.g.op('Concat', [batch, this.g.int64('ones', Array(rank - 1).fill(1))], { axis: 0 });
    return this.node('Tile', [x, reps], [this.shape(like)[0]!, ...this.shape(x).slice(1)]);
  }

  conv2d(x: OnnxValue, kernel: OnnxValue, o: ConvOptions<OnnxValue> = {}) {
    const stride = o.stride ?? 1, dilation = o.dilation ?? 1;
    const [cout, , k] = this.shape(kernel) as number[];
    const pad = (dilation * (k! - 1)) / 2;
    let input = x;
    let pads = [pad, pad, pad, pad];
    if (o.padding === 'edge' && pad > 0) {
      input = this.node('Pad', [x, this.g.int64('pads', [0, 0, pad, pad, 0, 0, pad, pad])], this.shape(x), { mode: 'edge' });
      pads = [0, 0, 0, 0];
    }
    const [b, c, h, w] = this.shape(x);
    const out = (d: number | null) => (d === null ? null : Math.floor((d + 2 * pad - dilation * (k! - 1) - 1) / stride) + 1);
    return this.node('Conv', o.bias ? [input, kernel, o.bias] : [input, kernel], [b!, o.depthwise ? c! : cout!, out(h!), out(w!)], {
      kernel_shape: { ints: [k!, k!] }, pads: { ints: pads }, strides: { ints: [stride, stride] }, dilations: { ints: [dilation, dilation] },
      ...(o.depthwise ? { group: c! } : {}),
    });
  }

  upsample2x(x: OnnxValue) {
    const [b, c, h, w] = this.shape(x);
    return this.node('Resize', [x, '', this.g.const('scales', new Float32Array([1, 1, 2, 2]), [4])], [b!, c!, h === null ? null : 2 * h!, w === null ? null : 2 * w!], {
      mode: 'nearest', coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor',
    });
  }

  downsample2x(x: OnnxValue) {
    const [b, c, h, w] = this.shape(x);
    const half = (d: number | null) => (d === null ? null : d / 2);
    return this.node('AveragePool', [x], [b!, c!, half(h!), half(w!)], { kernel_shape: { ints: [2, 2] }, strides: { ints: [2, 2] } });
  }

  noise(): OnnxValue {
    throw new Error('exported graphs use each layer\'s stored noise (noise mode "const"); random noise is for training');
  }

  /** Serialises the graph (exportOnnx frees the tensors folded on the way). */
  toBytes(docString: string): Uint8Array {
    return this.g.toBytes(docString);
  }
}

/** Runs `build` against a fresh ONNX interpreter inside tf.tidy (freeing every folded constant) and returns the model. */
export function exportOnnx(graphName: string, net: Module, docString: string, build: (ops: OnnxOps) => void): Uint8Array {
  return tf.tidy(() => {
    const ops = new OnnxOps(graphName, net);
    build(ops);
    return ops.toBytes(docString);
  });
}
