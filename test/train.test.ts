import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { methods } from '../engine/api/contract.js';
import { Engine } from '../engine/engine.js';
import { Discriminator } from '../engine/nets/discriminator.js';
import { tf } from '../engine/nets/tf.js';
import { readWeights } from '../engine/nets/weights.js';
import { ModelRegistry } from '../engine/runtime/registry.js';
import { selectTrainingBackend } from '../engine/nets/backend.js';
import { loadImageFolder } from '../engine/train/dataset.js';
import { fineTune } from '../engine/train/fine-tune.js';
import { GanTrainer, defaultTrainConfig } from '../engine/train/gan-trainer.js';
import type { TrainProgress } from '../engine/train/protocol.js';
import { makePng, tempDir } from './helpers.js';
import { TINY_G, tinyGenerator, tinyPackage } from './tiny-nets.js';

async function imageFolder(): Promise<string> {
  const dir = tempDir();
  for (let i = 0; i < 6; i++) writeFileSync(join(dir, `img${i}.png`), await makePng(20 + i, 24, i + 1));
  writeFileSync(join(dir, 'notes.txt'), 'not an image');
  const png = await makePng(30, 30, 9);
  writeFileSync(join(dir, 'truncated.png'), png.subarray(0, png.length >> 1));
  return dir;
}


const allWeights = (t: GanTrainer) => new Map(t.checkpoint().map(([n, w]) => [n, Array.from(w.data)]));

describe('training core (wasm backend, custom conv gradient)', () => {
  beforeAll(async () => {
    expect((await selectTrainingBackend('wasm')).backend).toBe('wasm');
  });

  it('R1 needs ∇θ‖∇ₓD‖²: the custom conv gradient gives the same second-order gradient as the stock one', async () => {
    const x = tf.randomNormal([4, 16, 16, 3], 0, 1, 'float32', 9) as tf.Tensor4D;
    const D = new Discriminator({ resolution: 16, channels: TINY_G.channels }, 3);
    const r1 = () => tf.sum(tf.square(tf.grad((xx: tf.Tensor) => tf.sum(D.forward(xx as tf.Tensor4D)))(x))) as tf.Scalar;
    const wasm = tf.variableGrads(r1, D.trainableVariables());
    // A variable R1 does not depend on (the last bias) has no gradient at all: compare those as zeros.
    const values = (grads: Record<string, tf.Tensor>, v: tf.Variable) => grads[v.name]?.dataSync() ?? new Float32Array(v.size);
    const wasmGrads = D.trainableVariables().map((v) => values(wasm.grads, v).slice());
    await tf.setBackend('cpu'); // the stock Conv2D gradients (with Conv2DBackpropFilter)
    const cpu = tf.variableGrads(r1, D.trainableVariables());
    await selectTrainingBackend('wasm');
    let maxDiff = 0, maxAbs = 0;
    D.trainableVariables().forEach((v, i) => values(cpu.grads, v).forEach((g, j) => {
      maxDiff = Math.max(maxDiff, Math.abs(g - wasmGrads[i]![j]!));
      maxAbs = Math.max(maxAbs, Math.abs(g));
    }));
    expect(maxAbs).toBeGreaterThan(1e-3);
    expect(maxDiff).toBeLessThan(1e-5 * Math.max(1, maxAbs));
  });

  it('is deterministic under a seed and resumes bit-exactly from a checkpoint', async () => {
    const data = await loadImageFolder(await imageFolder(), 16);
    const config = { ...defaultTrainConfig, batch: 4, r1Every: 2, seed: 3 };
    const straight = new GanTrainer(TINY_G, config, data);
    for (let i = 0; i < 4; i++) straight.trainStep();

    const first = new GanTrainer(TINY_G, config, data);
    first.trainStep();
    first.trainStep();
    const saved = first.checkpoint();
    first.dispose();
    const resumed = new GanTrainer(TINY_G, { ...config, seed: 3 }, data);
    resumed.restore(new Map(saved.map(([n, w]) => [n, { shape: w.shape, data: new Float32Array(w.data) }])));
    resumed.trainStep();
    resumed.trainStep();

    const a = allWeights(straight), b = allWeights(resumed);
    expect([...b.keys()]).toEqual([...a.keys()]);
    for (const [name, values] of a) expect(b.get(name), name).toEqual(values);
    // and training moved the weights at all
    const init = allWeights(new GanTrainer(TINY_G, config, data));
    expect(init.get('G.synthesis.blocks.1.conv0.conv.weight')).not.toEqual(a.get('G.synthesis.blocks.1.conv0.conv.weight'));
  });
});

describe('fine-tuning in a worker thread', () => {
  it('trains from a package on a folder, reports progress, skips non-images and installs a child package', async () => {
    const home = tempDir();
    const modelDir = tinyPackage(home);
    const progress: TrainProgress[] = [];
    const r = await fineTune({
      modelDir, outDir: join(home, 'models', 'tiny-ft'), outId: 'tiny-ft', outName: 'Tiny, fine-tuned', dataDir: await imageFolder(),
      runDir: join(home, 'runs', 'a'), kimg: 0.024, batch: 4, seed: 1, checkpointEvery: 2, backend: 'wasm',
    }, (p) => progress.push(p));
    expect(r.steps).toBe(6);
    expect(r.skipped.map((s) => s.file).sort()).toEqual(['notes.txt', 'truncated.png']);
    const training = progress.filter((p) => p.phase === 'training');
    expect(training.length).toBeGreaterThan(0);
    expect(training.at(-1)!.kimg).toBeCloseTo(0.024);
    expect(training.at(-1)!.backend).toMatch(/^wasm/);
    expect(Number.isFinite(training.at(-1)!.lossG)).toBe(true);
    const models = new ModelRegistry(home, join(home, 'none')).list().models;
    const parent = models.find((m) => m.id === 'tiny')!;
    const child = models.find((m) => m.id === 'tiny-ft')!;
    expect(child.parent).toBe(parent.hash);
    expect(child.source).toBe('trained');
    const loaded = await new ModelRegistry(home, join(home, 'none')).get('tiny-ft');
    expect(loaded.sessions.synthesis).toBeDefined();
  }, 120_000);

  it('cancel stops after a step and keeps a checkpoint; the same run resumes from it', async () => {
    const home = tempDir();
    const modelDir = tinyPackage(home);
    const dataDir = await imageFolder();
    const req = { modelDir, outDir: join(home, 'models', 'ft'), outId: 'ft', outName: 'ft', dataDir, runDir: join(home, 'runs', 'b'), kimg: 1, batch: 4, seed: 1, checkpointEvery: 1000, backend: 'wasm' as const };
    const ctl = new AbortController();
    await expect(fineTune(req, (p) => { if (p.phase === 'training' && p.step >= 2) ctl.abort(); }, ctl.signal)).rejects.toThrow(/cancelled at step \d+/);
    expect(existsSync(join(req.runDir, 'checkpoint.gnvw'))).toBe(true);
    const stepAtCancel = readWeights(readFileSync(join(req.runDir, 'checkpoint.gnvw'))).get('step')!.data[0]!;
    expect(stepAtCancel).toBeGreaterThanOrEqual(2);
    const r = await fineTune({ ...req, kimg: (stepAtCancel + 2) * 4 / 1000 }, () => {});
    expect(r.resumedFrom).toBe(stepAtCancel);
    expect(r.steps).toBe(stepAtCancel + 2);
  }, 120_000);

  it('stops when the losses become NaN, says so, and keeps the last good checkpoint', async () => {
    const home = tempDir();
    const req = {
      modelDir: tinyPackage(home), outDir: join(home, 'models', 'nan'), outId: 'nan', outName: 'nan', dataDir: await imageFolder(),
      runDir: join(home, 'runs', 'c'), kimg: 0.1, batch: 4, seed: 1, checkpointEvery: 1, backend: 'wasm' as const, lr: 1e30,
    };
    await expect(fineTune(req, () => {})).rejects.toThrow(/diverged at step \d+.*last good checkpoint \(step \d+\)/);
    const ckpt = readWeights(readFileSync(join(req.runDir, 'checkpoint.gnvw')));
    for (const [name, t] of ckpt) expect(t.data.every(Number.isFinite), name).toBe(true);
    expect(existsSync(req.outDir)).toBe(false);
  }, 120_000);

  it('runs as an engine job: train.start answers at once, job events report progress, the model is then listed', async () => {
    const home = tempDir();
    tinyPackage(home);
    const engine = new Engine({ host: 'cli', hostDetail: 'test', home, shippedModels: join(home, 'none') });
    const events: { event: string; payload: any }[] = [];
    engine.onEvent((event, payload) => events.push({ event, payload }));
    const dataDir = await imageFolder();
    engine.files.allowFolder(dataDir); // a folder the user chose (engine/files/policy.ts)
    const t0 = Date.now();
    const started = await engine.handlers['train.start']({ modelId: 'tiny', dataDir, kimg: 0.016, batch: 4, seed: 0 });
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(started.modelId).toMatch(/^tiny-ft-/);
    // One run at a time: a second click on Train is refused while the first runs.
    await expect(engine.call('train.start', { modelId: 'tiny', dataDir, kimg: 0.016 })).rejects.toMatchObject({ code: 'conflict' });
    // A window that connects now learns of the run (and keeps its Train button off).
    expect((await engine.call('job.list', {})).map((j) => [j.id, j.kind])).toEqual([[started.jobId, 'train']]);
    await new Promise<void>((resolve, reject) => engine.onEvent((event, p: any) => {
      if (event === 'job.state' && p.id === started.jobId && p.state === 'done') resolve();
      if (event === 'job.state' && p.id === started.jobId && p.state === 'failed') reject(new Error(p.error));
    }));
    const progress = events.filter((e) => e.event === 'job.progress' && e.payload.id === started.jobId);
    expect(progress.some((e) => /img\/s · G [\d.-]+ · D [\d.-]+/.test(e.payload.message))).toBe(true);
    expect((await engine.handlers['models.list']({})).map((m) => m.id)).toContain(started.modelId);
    // Resume continues the same run: same id and folder, from its last checkpoint rather than step 0.
    await expect(engine.call('train.start', { modelId: 'tiny', dataDir, kimg: 0.016, resume: 'tiny-ft-nothing' })).rejects.toThrow(/no run tiny-ft-nothing to resume/);
    const again = await engine.training.start({ modelId: 'tiny', dataDir, kimg: 0.032, batch: 4, seed: 0, resume: started.modelId });
    expect([again.modelId, again.runDir]).toEqual([started.modelId, started.runDir]);
    const resumed = await again.result;
    expect(resumed.resumedFrom).toBeGreaterThan(0);
    expect(resumed.steps).toBeGreaterThan(resumed.resumedFrom);
    engine.close();
  }, 180_000);

  it('refuses a folder with no image in it', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'a.txt'), 'hello');
    await expect(loadImageFolder(dir, 16)).rejects.toThrow(/has no image Ganvas can train on \(1 file\(s\) skipped, e\.g\. a\.txt/);
  });
});

describe('one training recipe (engine/train/recipe.json) for both loops', () => {
  const root = join(import.meta.dirname, '..');
  const recipe = JSON.parse(readFileSync(join(root, 'engine', 'train', 'recipe.json'), 'utf8'));
  const { about: _a, loss: _l, fineTune, ...pretrain } = recipe;
  const { why, ...overrides } = fineTune;
  // Numbers to 12 significant digits: D's rate and β2 come back through the lazy-R1 scaling and its inverse.
  const rounded = (v: unknown): unknown => typeof v === 'number' ? Number(v.toPrecision(12)) : Array.isArray(v) ? v.map(rounded)
    : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, rounded(x)])) : v;
  const python = '/usr/bin/python3';
  const hasTorch = spawnSync(python, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;

  it('every setting in which fine-tuning differs from pretraining is a key of fineTune, with its reason', () => {
    expect(Object.keys(overrides).sort()).toEqual(Object.keys(why).sort());
    for (const k of Object.keys(overrides)) {
      expect(Object.keys(pretrain), `fineTune.${k} overrides nothing`).toContain(k);
      expect(overrides[k], `fineTune.${k} equals the pretraining value: not a difference`).not.toEqual(pretrain[k]);
      expect(why[k].length, `fineTune.why.${k}`).toBeGreaterThan(40);
    }
  });

  it('the fine-tuning loop runs the top level with fineTune laid over it (read back from its optimisers and config)', async () => {
    const data = { images: new Uint8Array(16 * 16 * 3 * 2), count: 2 };
    const trainer = new GanTrainer(TINY_G, defaultTrainConfig, data);
    expect(rounded(trainer.effectiveSettings())).toEqual(rounded({ ...pretrain, ...overrides }));
    trainer.dispose();
    // and the defaults a user meets: the API's and the CLI's batch
    expect(methods['train.start'].request.parse({ modelId: 'm', dataDir: 'd', kimg: 1 }).batch).toBe(overrides.batch);
    const help = spawnSync(process.execPath, [join(root, 'bin', 'ganvas.js'), 'train', '--help'], { encoding: 'utf8' }).stdout;
    expect(help).toMatch(new RegExp(`--batch <n>\\s+batch size \\(default: ${overrides.batch}\\)`));
  }, 60_000);

  it('fine-tuning mixes styles as the recipe says: with probability styleMixing, rows from a cut in 1 … L−1 on take a second w', () => {
    const data = { images: new Uint8Array(16 * 16 * 3 * 2), count: 2 };
    const cuts = (styleMixing: number) => {
      const trainer = new GanTrainer(TINY_G, { ...defaultTrainConfig, styleMixing }, data);
      const found: (number | null)[] = [];
      for (let step = 0; step < 200; step++) {
        trainer.step = step;
        const rows = tf.tidy(() => tf.unstack(trainer.fakeWs(2), 1).map((r) => Array.from(r.dataSync())));
        const same = (a: number[], b: number[]) => a.every((v, i) => v === b[i]);
        const cut = rows.findIndex((r) => !same(r, rows[0]!));
        if (cut === -1) found.push(null);
        else {
          expect(rows.slice(cut).every((r) => same(r, rows.at(-1)!)), 'every row from the cut on is the second w').toBe(true);
          found.push(cut);
        }
      }
      trainer.dispose();
      return found;
    };
    expect(cuts(0).every((c) => c === null)).toBe(true);
    const half = cuts(overrides.styleMixing ?? pretrain.styleMixing);
    const mixed = half.filter((c): c is number => c !== null);
    expect(mixed.length / half.length).toBeGreaterThan(pretrain.styleMixing - 0.1);
    expect(mixed.length / half.length).toBeLessThan(pretrain.styleMixing + 0.1);
    expect(Math.min(...mixed)).toBe(1);
    expect(Math.max(...mixed)).toBe(2 * Math.log2(TINY_G.resolution) - 3); // L − 1, with L = 2·log2(resolution) − 2 rows
  });

  it.skipIf(!hasTorch)(`the pretraining loop (train_generator.py --print-config) runs the top level${hasTorch ? '' : ' [skipped: python3-torch is not installed]'}`, () => {
    const r = spawnSync(python, [join(root, 'build', 'models', 'train_generator.py'), '--out', tempDir(), '--print-config'], { encoding: 'utf8', cwd: join(root, 'build', 'models') });
    expect(r.status, r.stderr).toBe(0);
    const { adam: { beta2D, ...adam }, ...effective } = JSON.parse(r.stdout);
    expect(rounded({ ...effective, adam })).toEqual(rounded(pretrain));
    expect(rounded(beta2D)).toBe(rounded(pretrain.adam.beta2)); // D's β2, with the lazy-R1 scaling undone
  }, 60_000);
});
