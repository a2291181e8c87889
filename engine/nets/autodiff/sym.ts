/**
 * The symbolic IR the autodiff works on: each Sym is one primitive op applied to earlier Syms, with a static shape.
 * The primitives are the NetOps ops (some lowered: mean → sum·1/n, select → slice + reshape, tile → broadcast) plus
 * the few that backward passes need (slice/padZeros, broadcastTo, the conv adjoints, the piecewise derivative
 * masks). Every primitive has a vector-Jacobian product written in primitives again (vjp.ts), so a backward graph
 * can itself be differentiated: R1's double backward.
 */
export type Op =
  | 'input' | 'param' | 'const'
  | 'add' | 'sub' | 'mul' | 'div' | 'matmul'
  | 'square' | 'sqrt' | 'rsqrt' | 'sigmoid' | 'tanh' | 'softplus' | 'leakyRelu' | 'leakyReluGrad' | 'clip' | 'clipGrad'
  | 'sum' | 'reshape' | 'transpose' | 'concat' | 'slice' | 'padZeros' | 'broadcastTo'
  | 'conv' | 'convTranspose' | 'convWeightGrad' | 'upsample2x' | 'downsample2x';

/** Convolution geometry shared by a conv and its two adjoints: symmetric zero padding `pad`, square kernel. */
export interface ConvGeometry { stride: number; dilation: number; pad: number; group: number }

export interface Attrs {
  /** input/param: the graph input name. */
  name?: string;
  /** const: the values (shape is the Sym's). */
  data?: Float32Array;
  axes?: number[];
  keepDims?: boolean;
  perm?: number[];
  axis?: number;
  begin?: number;
  size?: number;
  before?: number;
  after?: number;
  slope?: number;
  gain?: number;
  lo?: number;
  hi?: number;
  conv?: ConvGeometry;
}

export class Sym {
  private static next = 0;
  /** Creation order, which is a topological order: inputs are always created before their users. */
  readonly id = Sym.next++;
  constructor(readonly op: Op, readonly inputs: Sym[], readonly shape: number[], readonly attrs: Attrs = {}) {}

  get size(): number {
    return this.shape.reduce((a, b) => a * b, 1);
  }
}

export const showShape = (s: number[]) => `[${s.join(', ')}]`;

/** NumPy/ONNX broadcasting of two static shapes. */
export function broadcastShapes(a: number[], b: number[]): number[] {
  const n = Math.max(a.length, b.length);
  const pa = [...Array(n - a.length).fill(1), ...a], pb = [...Array(n - b.length).fill(1), ...b];
  return pa.map((d, i) => {
    const e = pb[i]!;
    if (d !== e && d !== 1 && e !== 1) throw new Error(`cannot broadcast ${showShape(a)} with ${showShape(b)}`);
    return d === 1 ? e : d;
  });
}

/** Output size of a conv along one spatial axis. */
export const convOut = (n: number, k: number, g: ConvGeometry) => Math.floor((n + 2 * g.pad - g.dilation * (k - 1) - 1) / g.stride) + 1;

/** Every Sym `roots` depend on, in topological (creation) order. */
export function ancestors(roots: Sym[]): Sym[] {
  const seen = new Map<number, Sym>();
  const stack = [...roots];
  while (stack.length) {
    const s = stack.pop()!;
    if (seen.has(s.id)) continue;
    seen.set(s.id, s);
    stack.push(...s.inputs);
  }
  return [...seen.values()].sort((a, b) => a.id - b.id);
}
