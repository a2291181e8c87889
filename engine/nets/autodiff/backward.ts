import { ancestors, showShape, type Sym } from './sym.js';
import type { TraceOps } from './trace-ops.js';
import { vjp } from './vjp.js';

/**
 * Reverse-mode differentiation of a scalar `loss` with respect to `wrt`: walks the graph from the loss back in
 * reverse topological order, adding up each node's gradient from all its users before passing it on. Only nodes
 * between `wrt` and the loss are visited. The gradients are new Syms recorded by `t`, so they can be
 * differentiated again. An input the loss does not depend on gets zeros.
 */
export function gradients(t: TraceOps, loss: Sym, wrt: Sym[]): Sym[] {
  if (loss.size !== 1) throw new Error(`gradients: the loss must be a scalar, not ${showShape(loss.shape)}`);
  const nodes = ancestors([loss]);
  const wanted = new Set(wrt.map((s) => s.id));
  // Nodes on a path from some wrt to the loss: only their gradients are needed.
  const onPath = new Set<number>();
  for (const n of nodes) if (wanted.has(n.id) || n.inputs.some((i) => onPath.has(i.id))) onPath.add(n.id);

  const grads = new Map<number, Sym>();
  grads.set(loss.id, t.constant(new Float32Array(loss.size).fill(1), loss.shape));
  for (let i = nodes.length - 1; i >= 0; i--) {
    const n = nodes[i]!;
    const g = grads.get(n.id);
    if (!g || !onPath.has(n.id) || n.inputs.length === 0) continue;
    const gs = vjp(t, n, g);
    n.inputs.forEach((x, k) => {
      const gx = gs[k];
      if (!gx || !onPath.has(x.id)) return;
      if (gx.shape.join() !== x.shape.join()) throw new Error(`vjp of ${n.op}: gradient ${showShape(gx.shape)} for input ${showShape(x.shape)}`);
      const prev = grads.get(x.id);
      grads.set(x.id, prev ? t.add(prev, gx) : gx);
    });
  }
  return wrt.map((w) => grads.get(w.id) ?? t.constant(new Float32Array(w.size), w.shape));
}
