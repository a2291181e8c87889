import { gradients } from '../../nets/autodiff/backward.js';
import { emitOnnx, type EmittedGraph } from '../../nets/autodiff/emit-onnx.js';
import { broadcastWs, meanSoftplus, total } from '../../nets/autodiff/losses.js';
import type { Sym } from '../../nets/autodiff/sym.js';
import { TraceOps } from '../../nets/autodiff/trace-ops.js';
import type { Discriminator } from '../../nets/discriminator.js';
import type { Generator } from '../../nets/generator.js';
import type { Module } from '../../nets/module.js';
import type { Augment } from '../augment.js';
import { adamUpdate, type AdamHyper } from './adam-graph.js';
import { traceAugment } from './augment-graph.js';

/**
 * The phases of StyleGAN2's loop (engine/train/gan-trainer.ts), each one ONNX graph: weights, Adam moments and
 * the step's data are inputs, the updated values outputs named `next:<input name>`, so a trainer feeds a run's
 * outputs back as the next run's inputs. State names follow GanTrainer.checkpoint(): 'G.…', 'G_ema.…', 'D.…',
 * 'optG.m.<i>' / 'optG.v.<i>' (i: the index in trainableVariables()).
 */
export const next = (name: string) => `next:${name}`;

export interface PhaseSpec {
  G: Generator;
  D: Discriminator;
  batch: number;
  adamG: AdamHyper;
  adamD: AdamHyper;
  /** Style mixing on (StyleGAN §3.1): fakes take inputs z2 and mix [1, L, 1] (1: the row comes from z2's w). */
  styleMixing: boolean;
  wAvgBeta: number;
  /** DiffAugment before D; its draws are inputs 'aug3.…' (G step's fakes), 'aug5.…' and 'aug6.…' (D step's fakes, reals). */
  augment: readonly Augment[];
}

const augmented = (t: TraceOps, s: PhaseSpec, x: Sym, k: number) => (s.augment.length ? traceAugment(t, x, s.augment, `aug${k}`) : x);

/**
 * G(z) with stored noise. With style mixing, ws = ws(z)·(1 − mix) + ws(z2)·mix: the per-step cut is data (a 0/1 row
 * mask), so one graph serves every step; a 0/1 mask gives exactly GanTrainer's slice-and-concat.
 */
function fakes(t: TraceOps, s: PhaseSpec): Sym {
  const { G, batch } = s;
  const ws = (name: string) => broadcastWs(t, G.mapping.apply(t, t.input(name, [batch, G.config.zDim]), 1), G.numWs);
  let rows = ws('z');
  if (s.styleMixing) {
    const mix = t.input('mix', [1, G.numWs, 1]);
    rows = t.add(t.mul(rows, t.sub(1, mix)), t.mul(ws('z2'), mix));
  }
  return G.synthesis.apply(t, rows, 'const');
}

/** Adam on every trainable parameter of `net`; returns the outputs to add to the graph. */
function optimise(t: TraceOps, net: Module, prefix: string, opt: string, h: AdamHyper, loss: Sym): Record<string, Sym> {
  const vars = net.trainableVariables();
  const names = new Map([...net.namedParams(prefix)].map(([n, p]) => [p.variable, n]));
  const ws = vars.map((v) => t.paramSym(v)!);
  const grads = gradients(t, loss, ws);
  const scalars = { lrOverC1: t.input(`${opt}.lr_c1`, []), c2: t.input(`${opt}.c2`, []) };
  const out: Record<string, Sym> = {};
  vars.forEach((v, i) => {
    const [m, vv] = [t.input(`${opt}.m.${i}`, ws[i]!.shape), t.input(`${opt}.v.${i}`, ws[i]!.shape)];
    const u = adamUpdate(t, h, scalars, ws[i]!, grads[i]!, m, vv);
    out[next(names.get(v)!)] = u.w;
    out[next(`${opt}.m.${i}`)] = u.m;
    out[next(`${opt}.v.${i}`)] = u.v;
  });
  return out;
}

/** G main: softplus(−D(G(z))), backward to G, Adam. Inputs: G.*, D.*, z, optG.*; outputs lossG and next:… */
export function gStepGraph(s: PhaseSpec): EmittedGraph {
  const t = new TraceOps().bind(s.G, 'G.').bind(s.D, 'D.');
  const loss = meanSoftplus(t, s.D.apply(t, augmented(t, s, fakes(t, s), 3)), -1);
  return emitOnnx('g_step', { lossG: loss, ...optimise(t, s.G, 'G.', 'optG', s.adamG, loss) }, 'Ganvas G step');
}

/**
 * D main (and, with `r1Weight`, lazy R1: the penalty's gradient is a double backward through D):
 * softplus(D(G(z))) + softplus(−D(real)) [+ r1Weight·mean ‖∇ D(real)‖²], backward to D, Adam.
 */
export function dStepGraph(s: PhaseSpec, r1Weight: number | null): EmittedGraph {
  const t = new TraceOps().bind(s.G, 'G.').bind(s.D, 'D.');
  const res = s.G.config.resolution;
  // R1 differentiates with respect to the augmented reals, as GanTrainer does.
  const real = augmented(t, s, t.input('reals', [s.batch, 3, res, res]), 6);
  const realLogits = s.D.apply(t, real);
  let loss = t.add(meanSoftplus(t, s.D.apply(t, augmented(t, s, fakes(t, s), 5)), 1), meanSoftplus(t, realLogits, -1));
  const outputs: Record<string, Sym> = {};
  if (r1Weight !== null) {
    const [g] = gradients(t, total(t, realLogits), [real]);
    const penalty = t.mean(t.sum(t.square(g!), [1, 2, 3]), [0]);
    outputs.r1 = penalty;
    loss = t.add(loss, t.mul(penalty, r1Weight));
  }
  outputs.lossD = loss;
  return emitOnnx(r1Weight === null ? 'd_step' : 'd_step_r1', { ...outputs, ...optimise(t, s.D, 'D.', 'optD', s.adamD, loss) }, 'Ganvas D step');
}

/**
 * EMA of G and w_avg tracking: G_ema ← G + (G_ema − G)·β (β an input) for trainable parameters (the others are copied), then
 * w_avg ← mean(mapping(z))·(1 − wBeta) + w_avg·wBeta. Inputs G.*, G_ema.*, z; outputs next:G_ema.… and next:G.…w_avg.
 */
export function emaGraph(s: PhaseSpec): EmittedGraph {
  const t = new TraceOps().bind(s.G, 'G.');
  const outputs: Record<string, Sym> = {};
  const beta = t.input('ema.beta', []); // an input: the EMA's ramp-up changes it per step
  const wBeta = s.wAvgBeta;
  for (const [name, p] of s.G.namedParams()) {
    const g = t.param(p.variable);
    const ema = t.input(`G_ema.${name}`, g.shape);
    outputs[next(`G_ema.${name}`)] = p.trainable ? t.add(g, t.mul(t.sub(ema, g), beta)) : t.add(g, 0);
  }
  const w = s.G.mapping.apply(t, t.input('z', [s.batch, s.G.config.zDim]), 1);
  const avg = t.param(s.G.mapping.wAvg);
  outputs[next('G.mapping.w_avg')] = t.add(t.mul(t.mean(w, [0]), 1 - wBeta), t.mul(avg, wBeta));
  return emitOnnx('ema', outputs, 'Ganvas EMA of G and w_avg');
}
