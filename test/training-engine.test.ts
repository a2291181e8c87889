import '../engine/nets/gradients.js';
import { describe, expect, it } from 'vitest';
import { defaultTrainConfig, type TrainConfig } from '../engine/train/gan-trainer.js';
import { describeEngine, engineCandidates, openTrainingEngine } from '../engine/train/engine.js';
import { relDiff } from './autodiff-helpers.js';
import { TINY_G } from './tiny-nets.js';

const plain: TrainConfig = { ...defaultTrainConfig, batch: 4, r1Every: 2, augment: [], seed: 5 };
const r = TINY_G.resolution;
const data = { images: new Uint8Array(4 * r * r * 3).map((_, i) => (i * 97) & 255), count: 4 };

describe('TrainingEngine selection', () => {
  it('orders onnxruntime providers (GPUs first, CPU last) before tfjs, and says why each is skipped', () => {
    const c = engineCandidates(['cpu', 'webgpu', 'cuda'], plain);
    expect(c.map((x) => x.provider ?? x.engine)).toEqual(['cuda', 'dml', 'webgpu', 'coreml', 'cpu', 'tfjs']);
    expect(c.find((x) => x.provider === 'dml')!.skip).toMatch(/not in this onnxruntime-node build/);
    expect(c.find((x) => x.provider === 'webgpu')!.skip).toMatch(/not yet checked/);
    expect(c.find((x) => x.provider === 'cpu')!.skip).toBeUndefined();
    // With DiffAugment on, every onnxruntime provider is skipped for that reason and tfjs remains.
    const aug = engineCandidates(['cpu'], defaultTrainConfig);
    expect(aug.filter((x) => !x.skip).map((x) => x.engine)).toEqual(['tfjs']);
    expect(aug[0]!.skip).toMatch(/DiffAugment/);
    expect(engineCandidates(['cpu'], plain, 'tfjs').map((x) => x.engine)).toEqual(['tfjs']);
  });

  it('opens onnxruntime on the CPU here; its checkpoint resumes on the tfjs engine unchanged', async () => {
    const { engine: ort, tried } = await openTrainingEngine(TINY_G, plain, data, () => {});
    try {
      expect(describeEngine(ort)).toBe('onnxruntime on CPU execution provider');
      expect(tried.some((t) => t.startsWith('onnxruntime webgpu'))).toBe(true);
      await ort.trainStep();
      await ort.trainStep();
      const saved = ort.checkpoint();
      const { engine: tfjs } = await openTrainingEngine(TINY_G, plain, data, () => {}, { prefer: 'tfjs', tfjsBackend: 'cpu' });
      try {
        expect(tfjs.engine).toBe('tfjs');
        tfjs.restore(new Map(saved));
        expect(tfjs.step).toBe(2);
        const back = new Map(tfjs.checkpoint());
        // Adam moments change memory order between the engines (file order vs tfjs order): must round-trip exactly.
        for (const [name, w] of saved) expect(relDiff(back.get(name)!.data, w.data), name).toBe(0);
      } finally {
        await tfjs.dispose();
      }
    } finally {
      await ort.dispose();
    }
  }, 300_000);

  it('falls back to tfjs when DiffAugment is asked for, and reports it', async () => {
    const { engine, tried } = await openTrainingEngine(TINY_G, { ...plain, augment: ['color'] }, data, () => {}, { tfjsBackend: 'cpu' });
    try {
      expect(engine.engine).toBe('tfjs');
      expect(tried[0]).toMatch(/DiffAugment/);
    } finally {
      await engine.dispose();
    }
  });
});
