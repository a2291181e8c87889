import type { Sym } from './sym.js';
import type { TraceOps } from './trace-ops.js';

/** The terms of StyleGAN2's loss, traced: the same formulas as engine/train/gan-trainer.ts. */

/** mean softplus(sign·logits): sign −1 for G's non-saturating loss and D on reals, +1 for D on fakes. */
export const meanSoftplus = (t: TraceOps, logits: Sym, sign: 1 | -1): Sym => {
  const s = t.softplus(sign === 1 ? logits : t.neg(logits));
  return t.mean(s, s.shape.map((_, i) => i));
};

/** A scalar sum of every element. */
export const total = (t: TraceOps, x: Sym): Sym => t.sum(x, x.shape.map((_, i) => i));

/** w [B, W] repeated to ws [B, L, W]: Generator.broadcast. */
export const broadcastWs = (t: TraceOps, w: Sym, numWs: number): Sym => t.tile(t.reshape(w, [w.shape[0]!, 1, w.shape[1]!]), [1, numWs, 1]);
