import '../engine/nets/gradients.js';
import { gradients } from '../engine/nets/autodiff/backward.js';
import { emitOnnx } from '../engine/nets/autodiff/emit-onnx.js';
import type { Sym } from '../engine/nets/autodiff/sym.js';
import { TraceOps } from '../engine/nets/autodiff/trace-ops.js';
import { eager, type Eager } from '../engine/nets/eager-ops.js';
import type { NetOps } from '../engine/nets/ops.js';
import { tf } from '../engine/nets/tf.js';
import { openSession } from '../engine/runtime/onnx.js';

/** max |a − b| / max |b|: the error relative to the reference's scale. */
export function relDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let d = 0, s = 0;
  for (let i = 0; i < a.length; i++) {
    d = Math.max(d, Math.abs(a[i]! - b[i]!));
    s = Math.max(s, Math.abs(b[i]!));
  }
  return s === 0 ? d : d / s;
}

export type NetFn = <T>(ops: NetOps<T>, xs: T[]) => T;

/**
 * The value of f and the gradient of Σ f(x)·r with respect to every input, twice: by tf.grads through the eager
 * interpreter (the reference), and by the autodiff's emitted ONNX graph run in onnxruntime-node.
 */
export interface CompareOptions {
  /** The reference in plain tfjs, logical layout, where the eager interpreter's tfjs kernels have no gradient. */
  reference?: (xs: tf.Tensor[]) => tf.Tensor;
  /** The traced function, where it needs primitives beyond NetOps. */
  trace?: (t: TraceOps, xs: Sym[]) => Sym;
}

export async function compareGradients(f: NetFn, shapes: number[][], seed: number, o: CompareOptions = {}) {
  const xs = shapes.map((s, i) => tf.randomNormal(s, 0, 1, 'float32', seed + i));
  const forward = o.reference ?? ((ts: tf.Tensor[]) => eager.logical(f(eager, ts.map((t) => eager.plain(t)))));
  const refY = forward(xs);
  const yShape = refY.shape;
  const r = tf.randomNormal(yShape, 0, 1, 'float32', seed + 100);
  const ref = tf.grads((...ts: tf.Tensor[]) => tf.sum(tf.mul(forward(ts), r)))(xs);

  const t = new TraceOps();
  const ins = shapes.map((s, i) => t.input(`x${i}`, s));
  const y = o.trace ? o.trace(t, ins) : f(t, ins);
  const l = t.sum(t.mul(y, t.constant(r.dataSync() as Float32Array, yShape)), yShape.map((_, i) => i));
  const gs = gradients(t, l, ins);
  const { bytes } = emitOnnx('grad', Object.fromEntries([['y', y], ...gs.map((g, i) => [`g${i}`, g])]));
  const session = await openSession(bytes, 'gradient graph');
  const out = await session.run(Object.fromEntries(xs.map((x, i) => [`x${i}`, { data: x.dataSync() as Float32Array, dims: x.shape }])));
  return {
    y: relDiff(out.y!.data, refY.dataSync()),
    grads: ref.map((g, i) => relDiff(out[`g${i}`]!.data, g.dataSync())),
    gradScale: ref.map((g) => Math.max(...Array.from(g.dataSync(), Math.abs))),
  };
}

export type { Eager };
