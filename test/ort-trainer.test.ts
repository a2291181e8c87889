import '../engine/nets/gradients.js';
import { describe, expect, it } from 'vitest';
import { defaultTrainConfig, GanTrainer, type TrainConfig } from '../engine/train/gan-trainer.js';
import { OrtGanTrainer } from '../engine/train/ort/ort-gan-trainer.js';
import { relDiff } from './autodiff-helpers.js';
import { TINY_G } from './tiny-nets.js';

/**
 * The onnxruntime trainer (one graph per phase, weights and Adam moments fed back between runs) against the tfjs
 * trainer from the same checkpoint and seed: losses, R1 and every tensor of the checkpoint after 3 steps.
 */
describe('onnxruntime training steps equal the tfjs trainer', () => {
  it('3 steps (R1 at steps 0 and 2, style mixing, EMA ramp-up): losses and all weights and Adam moments within 1e-4 relative', async () => {
    // r1Every 2 puts the lazy R1 phase (a double backward) into steps 0 and 2; emaKimg small so the EMA moves, with
    // the ramp-up (a per-step β); style mixing on every step; a w_avg β and Adam β2 other than the defaults.
    const config: TrainConfig = {
      ...defaultTrainConfig, batch: 4, r1Gamma: 1, r1Every: 2, emaKimg: 0.01, emaRampUp: 0.5, styleMixing: 1, wAvgBeta: 0.9,
      adam: { beta1: 0, beta2: 0.95, eps: 1e-8 }, augment: [], seed: 3,
    };
    const count = 6, r = TINY_G.resolution;
    const images = new Uint8Array(count * r * r * 3).map((_, i) => (i * 2654435761) >>> 24);
    const data = { images, count };
    const tfjs = new GanTrainer(TINY_G, config, data);
    const ort = await OrtGanTrainer.create(TINY_G, config, data, tfjs.checkpoint());
    try {
      let worstLoss = 0;
      for (let s = 0; s < 3; s++) {
        const a = tfjs.trainStep();
        const b = await ort.trainStep();
        expect(b.r1 === null).toBe(a.r1 === null);
        const d = Math.max(relDiff([b.lossG], [a.lossG]), relDiff([b.lossD], [a.lossD]), a.r1 === null ? 0 : relDiff([b.r1!], [a.r1]));
        console.log(`step ${s}: tfjs G ${a.lossG} D ${a.lossD} R1 ${a.r1}; onnxruntime G ${b.lossG} D ${b.lossD} R1 ${b.r1}`);
        worstLoss = Math.max(worstLoss, d);
      }
      const want = new Map(tfjs.checkpoint());
      const got = new Map(ort.checkpoint());
      expect([...got.keys()].sort()).toEqual([...want.keys()].sort());
      let worst = 0, worstName = '', moved = 0;
      const start = new Map((await freshCheckpoint(config, data)));
      for (const [name, w] of want) {
        const d = relDiff(got.get(name)!.data, w.data);
        if (d > worst) [worst, worstName] = [d, name];
        if (relDiff(w.data, start.get(name)!.data) > 1e-3) moved++;
      }
      console.log(`losses: max relative difference ${worstLoss.toExponential(2)}; checkpoint: ${want.size} tensors, ${moved} changed by training, max relative difference ${worst.toExponential(2)} (${worstName})`);
      expect(moved).toBeGreaterThan(want.size / 2); // the steps did move the weights and moments being compared
      expect(worstLoss).toBeLessThanOrEqual(1e-4);
      expect(worst).toBeLessThanOrEqual(1e-4);
    } finally {
      tfjs.dispose();
      await ort.dispose();
    }
  }, 600_000);

  it('with DiffAugment (color, translation, cutout) in the graphs and the recipe\'s style mixing: 2 steps within 1e-4 relative', async () => {
    const config: TrainConfig = { ...defaultTrainConfig, batch: 4, r1Gamma: 1, r1Every: 2, emaKimg: 0.01, seed: 4 };
    expect(config.augment).toEqual(['color', 'translation', 'cutout']);
    expect(config.styleMixing).toBe(0.5);
    const r = TINY_G.resolution;
    const data = { images: new Uint8Array(6 * r * r * 3).map((_, i) => (i * 2246822519) >>> 24), count: 6 };
    const tfjs = new GanTrainer(TINY_G, config, data);
    const ort = await OrtGanTrainer.create(TINY_G, config, data, tfjs.checkpoint());
    try {
      let worstLoss = 0;
      for (let s = 0; s < 2; s++) {
        const a = tfjs.trainStep();
        const b = await ort.trainStep();
        worstLoss = Math.max(worstLoss, relDiff([b.lossG], [a.lossG]), relDiff([b.lossD], [a.lossD]), a.r1 === null ? 0 : relDiff([b.r1!], [a.r1]));
      }
      const want = new Map(tfjs.checkpoint());
      let worst = 0, worstName = '';
      for (const [name, w] of ort.checkpoint()) {
        const d = relDiff(w.data, want.get(name)!.data);
        if (d > worst) [worst, worstName] = [d, name];
      }
      console.log(`DiffAugment: losses max relative difference ${worstLoss.toExponential(2)}; checkpoint max ${worst.toExponential(2)} (${worstName})`);
      expect(worstLoss).toBeLessThanOrEqual(1e-4);
      expect(worst).toBeLessThanOrEqual(1e-4);
    } finally {
      tfjs.dispose();
      await ort.dispose();
    }
  }, 600_000);
});

describe('onnxruntime trainer resume', () => {
  it('a run resumed from its checkpoint continues bit for bit', async () => {
    const config: TrainConfig = { ...defaultTrainConfig, batch: 4, r1Gamma: 1, r1Every: 2, emaKimg: 0.01, augment: [], seed: 9 };
    const r = TINY_G.resolution;
    const data = { images: new Uint8Array(4 * r * r * 3).map((_, i) => (i * 131) & 255), count: 4 };
    const start = await freshCheckpoint(config, data);
    const a = await OrtGanTrainer.create(TINY_G, config, data, start);
    const b = await OrtGanTrainer.create(TINY_G, config, data, start);
    try {
      await a.trainStep();
      const saved = a.checkpoint();
      const lossA = (await a.trainStep()).lossD; // step 1 (no R1) …
      const lossA2 = (await a.trainStep()).r1; // … and step 2 (R1)
      b.restore(saved);
      expect(b.step).toBe(1);
      expect((await b.trainStep()).lossD).toBe(lossA);
      expect((await b.trainStep()).r1).toBe(lossA2);
      const want = new Map(a.checkpoint());
      const got = b.checkpoint();
      expect(got.length).toBe(want.size);
      for (const [name, t] of got) expect(Array.from(t.data), name).toEqual(Array.from(want.get(name)!.data));
    } finally {
      await a.dispose();
      await b.dispose();
    }
  }, 300_000);
});

async function freshCheckpoint(config: TrainConfig, data: { images: Uint8Array; count: number }) {
  const t = new GanTrainer(TINY_G, config, data);
  try {
    return t.checkpoint();
  } finally {
    t.dispose();
  }
}
