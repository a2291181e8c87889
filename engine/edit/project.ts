import { EngineError } from '../api/errors.js';
import { Generator } from '../nets/generator.js';
import { tf } from '../nets/tf.js';
import { readWeights } from '../nets/weights.js';
import type { LoadedModel } from '../runtime/registry.js';
import { generatorConfig } from '../runtime/weights-check.js';
import { selectTrainingBackend } from '../nets/backend.js';

export interface ProjectionStep { step: number; total: number; phase: 'W' | 'W+'; loss: number }

/** Pixel MSE plus MSE of 2× and 4× downsampled images, so coarse structure is matched before detail. */
function multiScaleLoss(a: tf.Tensor4D, b: tf.Tensor4D): tf.Scalar {
  let loss = tf.mean(tf.squaredDifference(a, b));
  let x = a, y = b;
  for (let s = 0; s < 2; s++) {
    x = tf.avgPool(x, 2, 2, 'valid');
    y = tf.avgPool(y, 2, 2, 'valid');
    loss = tf.add(loss, tf.mean(tf.squaredDifference(x, y)));
  }
  return loss as tf.Scalar;
}

/**
 * Projects an image into the generator's latent space (Image2StyleGAN's recipe): Adam on one w starting at
 * w_avg for the first half of the steps, then on every row of w+ for the rest. `target` is RGB bytes at the
 * model's resolution. Steps yield to the event loop so the engine keeps answering while it runs.
 */
export async function projectImage(model: LoadedModel, target: Uint8Array, steps: number, onStep: (s: ProjectionStep, ws: Float32Array | null) => void, signal?: AbortSignal): Promise<{ ws: Float32Array; loss: number }> {
  if (!model.weights) throw new EngineError('bad_request', `${model.card.id} ships no weights: projection needs gradients through the generator`);
  await selectTrainingBackend();
  const G = new Generator(generatorConfig(model.card));
  try {
    G.load(readWeights(model.weights), 'G_ema.');
    const r = model.card.resolution, wDim = G.config.wDim, L = G.numWs;
    const t = tf.tidy(() => tf.sub(tf.div(tf.tensor4d(Float32Array.from(target), [1, r, r, 3]), 127.5), 1)) as tf.Tensor4D;
    const render = (ws: tf.Tensor3D) => G.synthesis.forward(ws, 'const');
    const firstHalf = Math.ceil(steps / 2);
    const w = tf.variable(tf.reshape(G.mapping.wAvg, [1, wDim]), true);
    let wPlus: tf.Variable | null = null;
    const optimiser = () => tf.train.adam(0.05, 0.9, 0.999);
    let opt = optimiser();
    let loss = Infinity;
    for (let step = 0; step < steps; step++) {
      if (signal?.aborted) throw new EngineError('cancelled', 'projection was cancelled');
      const phase = step < firstHalf ? 'W' : 'W+';
      if (phase === 'W+' && !wPlus) {
        wPlus = tf.variable(tf.tidy(() => tf.tile(tf.expandDims(w, 1), [1, L, 1])), true);
        opt.dispose();
        opt = optimiser();
      }
      const value = opt.minimize(() => multiScaleLoss(render(wPlus ? (wPlus as tf.Tensor3D) : (tf.tile(tf.expandDims(w, 1), [1, L, 1]) as tf.Tensor3D)), t), true, [wPlus ?? w]);
      loss = value!.dataSync()[0]!;
      value!.dispose();
      if (!Number.isFinite(loss)) throw new EngineError('diverged', `projection diverged at step ${step + 1}`);
      const report = step === steps - 1 || step % 10 === 0;
      const ws = report ? (wPlus ? (wPlus.dataSync() as Float32Array).slice() : tf.tidy(() => tf.tile(w, [L, 1]).dataSync() as Float32Array).slice()) : null;
      onStep({ step: step + 1, total: steps, phase, loss }, ws);
      await new Promise((resolve) => setImmediate(resolve));
    }
    const ws = (wPlus ? wPlus.dataSync() : tf.tidy(() => tf.tile(w, [L, 1]).dataSync())) as Float32Array;
    const out = ws.slice();
    opt.dispose();
    w.dispose();
    wPlus?.dispose();
    t.dispose();
    return { ws: out, loss };
  } finally {
    G.dispose();
  }
}
