import '../engine/nets/gradients.js';
import { describe, expect, it } from 'vitest';
import { gradients } from '../engine/nets/autodiff/backward.js';
import { emitOnnx } from '../engine/nets/autodiff/emit-onnx.js';
import { broadcastWs, meanSoftplus, total } from '../engine/nets/autodiff/losses.js';
import type { Sym } from '../engine/nets/autodiff/sym.js';
import { TraceOps } from '../engine/nets/autodiff/trace-ops.js';
import { Discriminator } from '../engine/nets/discriminator.js';
import type { Generator } from '../engine/nets/generator.js';
import { fileTensor, type Module } from '../engine/nets/module.js';
import { tf } from '../engine/nets/tf.js';
import { openSession } from '../engine/runtime/onnx.js';
import { relDiff } from './autodiff-helpers.js';
import { TINY_G, tinyGenerator } from './tiny-nets.js';

const B = 4;
const nhwc = (t: tf.Tensor) => tf.transpose(t, [0, 2, 3, 1]) as tf.Tensor4D;

/** Feeds for every parameter input of the emitted graph, in file (logical) layout. */
function paramFeeds(nets: [Module, string][]) {
  const feeds: Record<string, { data: Float32Array; dims: number[] }> = {};
  for (const [net, prefix] of nets) for (const [name, p] of net.namedParams(prefix)) {
    const f = fileTensor(p.variable, p.layout);
    feeds[name] = { data: f.data, dims: f.shape };
  }
  return feeds;
}

/** The autodiff's gradients of `loss` for `net`'s trainable parameters, run in onnxruntime, keyed by variable name. */
async function ortGradients(t: TraceOps, loss: Sym, net: Module, feeds: Record<string, { data: Float32Array; dims: number[] }>) {
  const vars = net.trainableVariables();
  const syms = vars.map((v) => t.paramSym(v)!);
  const grads = gradients(t, loss, syms);
  const { bytes, inputs } = emitOnnx('grads', Object.fromEntries([['loss', loss], ...grads.map((g, i) => [`g${i}`, g] as const)]));
  const session = await openSession(bytes, 'gradient graph');
  const out = await session.run(Object.fromEntries(inputs.map((i) => [i.name, feeds[i.name]!])));
  return { loss: out.loss!.data[0]!, grads: new Map(vars.map((v, i) => [v.name, out[`g${i}`]!.data])) };
}

/** Compares with tfjs' variableGrads (converted to file layout); returns the largest relative difference. */
function compare(net: Module, ref: { value: tf.Scalar; grads: Record<string, tf.Tensor> }, ort: { loss: number; grads: Map<string, Float32Array> }) {
  let worst = relDiff([ort.loss], [ref.value.dataSync()[0]!]);
  let nonZero = 0, weightsNonZero = 0;
  for (const [name, p] of net.namedParams()) {
    if (!p.trainable) continue;
    // tfjs leaves out variables the loss does not reach; the autodiff gives them zeros.
    const g = ref.grads[p.variable.name];
    const r = g ? fileTensor(g, p.layout).data : new Float32Array(p.variable.size);
    const d = relDiff(ort.grads.get(p.variable.name)!, r);
    if (d > 1e-4) console.log(`${name}: ${d}`);
    worst = Math.max(worst, d);
    if (Math.max(...Array.from(r, Math.abs)) > 1e-6) {
      nonZero++;
      if (name.endsWith('weight')) weightsNonZero++;
    }
  }
  return { worst, nonZero, weightsNonZero };
}

describe('autodiff on whole nets: parameter gradients in onnxruntime equal tfjs variableGrads', () => {
  it('discriminator, softplus loss on images', async () => {
    const D = new Discriminator({ resolution: 16, channels: TINY_G.channels }, 3);
    const img = tf.randomNormal([B, 3, 16, 16], 0, 1, 'float32', 5);
    const ref = tf.variableGrads(() => tf.mean(tf.softplus(D.forward(nhwc(img)))) as tf.Scalar, D.trainableVariables());
    const t = new TraceOps().bind(D, 'D.');
    const loss = meanSoftplus(t, D.apply(t, t.input('img', [B, 3, 16, 16])), 1);
    const ort = await ortGradients(t, loss, D, { ...paramFeeds([[D, 'D.']]), img: { data: img.dataSync() as Float32Array, dims: img.shape } });
    const { worst, nonZero } = compare(D, ref, ort);
    console.log(`D: max relative difference ${worst.toExponential(2)} over ${nonZero} parameter gradients`);
    expect(nonZero).toBe(D.trainableVariables().length);
    expect(worst).toBeLessThanOrEqual(1e-5);
  });

  it('generator (mapping + synthesis, stored noise as an input) through D, non-saturating loss', async () => {
    const G: Generator = tinyGenerator(2);
    const D = new Discriminator({ resolution: 16, channels: TINY_G.channels }, 4);
    const z = tf.randomNormal([B, TINY_G.zDim], 0, 1, 'float32', 6) as tf.Tensor2D;
    const ref = tf.variableGrads(() => tf.mean(tf.softplus(tf.neg(D.forward(G.forward(z))))) as tf.Scalar, G.trainableVariables());
    const t = new TraceOps().bind(G, 'G.').bind(D, 'D.');
    const w = G.mapping.apply(t, t.input('z', [B, TINY_G.zDim]), 1);
    const img = G.synthesis.apply(t, broadcastWs(t, w, G.numWs), 'const');
    const loss = meanSoftplus(t, D.apply(t, img), -1);
    const ort = await ortGradients(t, loss, G, { ...paramFeeds([[G, 'G.'], [D, 'D.']]), z: { data: z.dataSync() as Float32Array, dims: z.shape } });
    const { worst, nonZero } = compare(G, ref, ort);
    console.log(`G: max relative difference ${worst.toExponential(2)} over ${nonZero} parameter gradients`);
    expect(nonZero).toBeGreaterThan(G.trainableVariables().length / 2);
    expect(worst).toBeLessThanOrEqual(1e-5);
  });

  it('double backward: the R1 penalty ‖∇ₓ D(x)‖² differentiated for D\'s parameters', async () => {
    const D = new Discriminator({ resolution: 16, channels: TINY_G.channels }, 5);
    const img = tf.randomNormal([B, 3, 16, 16], 0, 1, 'float32', 7);
    const ref = tf.variableGrads(() => {
      const g = tf.grad((x: tf.Tensor) => tf.sum(D.forward(x as tf.Tensor4D)))(nhwc(img));
      return tf.mean(tf.sum(tf.square(g), [1, 2, 3])) as tf.Scalar;
    }, D.trainableVariables());
    const t = new TraceOps().bind(D, 'D.');
    const x = t.input('img', [B, 3, 16, 16]);
    const [gx] = gradients(t, total(t, D.apply(t, x)), [x]);
    const penalty = t.mean(t.sum(t.square(gx!), [1, 2, 3]), [0]);
    const ort = await ortGradients(t, penalty, D, { ...paramFeeds([[D, 'D.']]), img: { data: img.dataSync() as Float32Array, dims: img.shape } });
    const { worst, nonZero, weightsNonZero } = compare(D, ref, ort);
    console.log(`R1: max relative difference ${worst.toExponential(2)} over ${nonZero} parameter gradients`);
    // Biases reach ∇ₓD only through lrelu's piecewise-constant slope (or are centred away by the minibatch std), so
    // several have a zero R1 gradient in both; every weight must have a non-zero one.
    expect(weightsNonZero).toBe([...D.namedParams()].filter(([n]) => n.endsWith('weight')).length);
    expect(worst).toBeLessThanOrEqual(1e-5);
  });
});
