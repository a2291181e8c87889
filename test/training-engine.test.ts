import '../engine/nets/gradients.js';
import { describe, expect, it } from 'vitest';
import { defaultTrainConfig, type TrainConfig } from '../engine/train/gan-trainer.js';
import { describeEngine, engineCandidates, openTrainingEngine } from '../engine/train/engine.js';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readWeights } from '../engine/nets/weights.js';
import { ModelRegistry } from '../engine/runtime/registry.js';
import { fineTune } from '../engine/train/fine-tune.js';
import type { TrainProgress } from '../engine/train/protocol.js';
import { relDiff } from './autodiff-helpers.js';
import { makePng, tempDir } from './helpers.js';
import { TINY_G, tinyGenerator, tinyPackage } from './tiny-nets.js';

async function imageFolder(): Promise<string> {
  const dir = tempDir();
  for (let i = 0; i < 6; i++) writeFileSync(join(dir, `img${i}.png`), await makePng(20 + i, 24, i + 1));
  return dir;
}


const plain: TrainConfig = { ...defaultTrainConfig, batch: 4, r1Every: 2, augment: [], seed: 5 };
const r = TINY_G.resolution;
const data = { images: new Uint8Array(4 * r * r * 3).map((_, i) => (i * 97) & 255), count: 4 };

describe('TrainingEngine selection', () => {
  it('orders onnxruntime providers (GPUs first, CPU last) before tfjs, and says why each is skipped', () => {
    const c = engineCandidates(['cpu', 'webgpu', 'cuda']);
    expect(c.map((x) => x.provider ?? x.engine)).toEqual(['cuda', 'dml', 'webgpu', 'coreml', 'cpu', 'tfjs']);
    expect(c.find((x) => x.provider === 'dml')!.skip).toMatch(/not in this onnxruntime-node build/);
    expect(c.find((x) => x.provider === 'webgpu')!.skip).toMatch(/not yet checked/);
    expect(c.find((x) => x.provider === 'cpu')!.skip).toBeUndefined();
    expect(engineCandidates(['cpu'], 'tfjs').map((x) => x.engine)).toEqual(['tfjs']);
    expect(engineCandidates(['cpu'], 'onnxruntime').every((x) => x.engine === 'onnxruntime')).toBe(true);
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

  it('falls back to tfjs for random noise (tfjs draws it unseeded), and says why', async () => {
    const { engine, tried } = await openTrainingEngine(TINY_G, { ...plain, noise: 'random' }, data, () => {}, { tfjsBackend: 'cpu' });
    try {
      expect(engine.engine).toBe('tfjs');
      expect(tried.find((t) => t.startsWith('onnxruntime cpu'))).toMatch(/stored noise only/);
    } finally {
      await engine.dispose();
    }
  });

  it('the fine-tune worker trains on onnxruntime with DiffAugment, reports the engine and writes a package', async () => {
    const home = tempDir();
    const modelDir = tinyPackage(home);
    const progress: TrainProgress[] = [];
    const r = await fineTune({
      modelDir, outDir: join(home, 'models', 'tiny-ft'), outId: 'tiny-ft', outName: 'Tiny, fine-tuned', dataDir: await imageFolder(),
      runDir: join(home, 'runs', 'a'), kimg: 0.016, batch: 4, seed: 1, checkpointEvery: 2,
    }, (p) => progress.push(p));
    expect(r.steps).toBe(4);
    const last = progress.filter((p) => p.phase === 'training').at(-1)!;
    expect(last.engine).toBe('onnxruntime on CPU execution provider');
    expect(Number.isFinite(last.lossG)).toBe(true);
    const child = new ModelRegistry(home, join(home, 'none')).list().models.find((m) => m.id === 'tiny-ft')!;
    expect(child.source).toBe('trained');
    // The package holds the trained G_ema: it differs from the starting generator.
    const start = readWeights(readFileSync(join(modelDir, 'weights.gnvw')));
    const trained = readWeights(readFileSync(join(home, 'models', 'tiny-ft', 'weights.gnvw')));
    const name = 'G_ema.synthesis.blocks.1.conv1.conv.weight';
    expect(Array.from(trained.get(name)!.data)).not.toEqual(Array.from(start.get(name)!.data));
  }, 300_000);
});
