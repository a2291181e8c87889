import type { Sym } from '../../nets/autodiff/sym.js';
import type { TraceOps } from '../../nets/autodiff/trace-ops.js';

export interface AdamHyper { beta1: number; beta2: number; eps: number }

/** The per-step scalars of Adam's bias correction, fed as graph inputs so one graph serves every step. */
export interface AdamScalars { lrOverC1: Sym; c2: Sym }

/**
 * One Adam update traced into the step graph, in the same order of operations as engine/train/adam.ts (so the
 * engines agree to rounding): m' = β1·m + (1−β1)·g, v' = β2·v + (1−β2)·g², w' = w − (m'·lr/c1) / (√(v'/c2) + ε).
 */
export function adamUpdate(t: TraceOps, h: AdamHyper, s: AdamScalars, w: Sym, g: Sym, m: Sym, v: Sym): { w: Sym; m: Sym; v: Sym } {
  const m2 = t.add(t.mul(m, h.beta1), t.mul(g, 1 - h.beta1));
  const v2 = t.add(t.mul(v, h.beta2), t.mul(t.square(g), 1 - h.beta2));
  const update = t.div(t.mul(m2, s.lrOverC1), t.add(t.sqrt(t.div(v2, s.c2)), h.eps));
  return { w: t.sub(w, update), m: m2, v: v2 };
}

/** The scalars for step number `step` (1-based, as Adam.t after its increment). */
export function adamScalars(lr: number, h: AdamHyper, step: number): { lrOverC1: number; c2: number } {
  return { lrOverC1: lr / (1 - h.beta1 ** step), c2: 1 - h.beta2 ** step };
}
