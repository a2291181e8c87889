import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { EngineError } from '../api/errors.js';
import { readWeights, writeWeights } from '../nets/weights.js';
import { readPackage } from '../runtime/package.js';
import { generatorConfig } from '../runtime/weights-check.js';
import { writePackage } from '../runtime/write-package.js';
import { loadImageFolder } from './dataset.js';
import { openTrainingEngine, describeEngine, type TrainingEngine } from './engine.js';
import { defaultTrainConfig, TrainingDiverged } from './gan-trainer.js';
import type { FineTuneRequest, TrainProgress, WorkerMessage } from './protocol.js';

const req = workerData as FineTuneRequest;
const post = (m: WorkerMessage) => parentPort!.postMessage(m);
let cancelled = false;
parentPort!.on('message', (m: { type: string }) => {
  if (m.type === 'cancel') cancelled = true;
});

/** checkpoint.gnvw is written to a temporary name and renamed, so a kill mid-write keeps the previous one. */
function saveCheckpoint(trainer: TrainingEngine): void {
  mkdirSync(req.runDir, { recursive: true });
  const file = join(req.runDir, 'checkpoint.gnvw');
  writeFileSync(`${file}.tmp`, writeWeights(trainer.checkpoint()));
  renameSync(`${file}.tmp`, file);
}

async function main(): Promise<void> {
  const started = Date.now();
  const pkg = readPackage(req.modelDir);
  const card = pkg.card;
  if (card.kind !== 'generator' || !pkg.files.weights) throw new EngineError('bad_model', `${card.id} cannot be fine-tuned: only generator packages with weights can`);
  post({ type: 'progress', progress: { step: 0, kimg: 0, totalKimg: req.kimg, imgPerSec: 0, lossG: null, lossD: null, r1: null, etaSeconds: null, backend: 'choosing', phase: 'loading', message: `reading ${req.dataDir}` } });
  const data = await loadImageFolder(req.dataDir, card.resolution);
  const config = { ...defaultTrainConfig, batch: req.batch, seed: req.seed, ...(req.lr ? { lrG: req.lr, lrD: req.lr } : {}) };
  const ckpt = join(req.runDir, 'checkpoint.gnvw');
  // A tfjs backend named in the request means the tfjs engine; otherwise the engines' own order (engine.ts).
  const { engine: trainer, tried } = await openTrainingEngine(generatorConfig(card), config, data, (t) => {
    t.loadModel(readWeights(pkg.files.weights!, card.id));
    if (existsSync(ckpt)) t.restore(readWeights(readFileSync(ckpt), 'checkpoint'));
  }, { prefer: req.engine ?? (req.backend ? 'tfjs' : undefined), tfjsBackend: req.backend });
  const base: Omit<TrainProgress, 'phase' | 'message'> = {
    step: 0, kimg: 0, totalKimg: req.kimg, imgPerSec: 0, lossG: null, lossD: null, r1: null, etaSeconds: null, backend: trainer.device,
    engine: describeEngine(trainer), passedOver: tried,
  };
  const resumedFrom = trainer.step;
  // The starting point is the first good checkpoint: a run that diverges at once still leaves one to resume.
  if (!existsSync(ckpt)) saveCheckpoint(trainer);
  let lastGood = trainer.step;
  const totalSteps = Math.ceil((req.kimg * 1000) / req.batch);
  const t0 = Date.now();
  let lastPost = 0;
  try {
    while (trainer.step < totalSteps && !cancelled) {
      const s = await trainer.trainStep();
      const done = trainer.step - resumedFrom;
      const rate = (done * req.batch) / ((Date.now() - t0) / 1000);
      if (Date.now() - lastPost > 250 || trainer.step === totalSteps) {
        lastPost = Date.now();
        post({ type: 'progress', progress: { ...base, phase: 'training', step: trainer.step, kimg: trainer.imagesSeen / 1000, imgPerSec: rate, lossG: s.lossG, lossD: s.lossD, r1: s.r1, etaSeconds: ((totalSteps - trainer.step) * req.batch) / rate } });
      }
      if (trainer.step % req.checkpointEvery === 0) {
        saveCheckpoint(trainer);
        lastGood = trainer.step;
      }
      // Yield so the cancel message can arrive between steps.
      await new Promise((r) => setImmediate(r));
    }
  } catch (err) {
    if (err instanceof TrainingDiverged) {
      post({ type: 'error', code: 'diverged', message: `${err.message}; the last good checkpoint (step ${lastGood}) is kept in ${req.runDir}`, checkpointStep: lastGood });
      return;
    }
    throw err;
  }
  saveCheckpoint(trainer);
  if (cancelled) {
    post({ type: 'error', code: 'cancelled', message: `cancelled at step ${trainer.step}; run it again to resume from there`, checkpointStep: trainer.step });
    return;
  }
  post({ type: 'progress', progress: { ...base, phase: 'saving', step: trainer.step, kimg: trainer.imagesSeen / 1000 } });
  const seconds = (Date.now() - started) / 1000;
  const nets = trainer.exportNets();
  writePackage(req.outDir, {
    id: req.outId, name: req.outName, licence: `${card.licence} (base model); your images' licence applies to the fine-tuned weights`,
    data: `${data.count} image(s) from ${req.dataDir}`,
    provenance: {
      source: 'trained', parent: card.hash, steps: trainer.step, images: trainer.imagesSeen, seconds, machine: `${cpus().length}× ${cpus()[0]?.model ?? 'CPU'}`,
      framework: describeEngine(trainer), command: `ganvas train --model ${card.id} --data ${req.dataDir} --kimg ${req.kimg} --batch ${req.batch} --seed ${req.seed}`,
    },
  }, { kind: 'generator', ...nets });
  nets.G.dispose();
  nets.D.dispose();
  await trainer.dispose();
  post({ type: 'done', modelId: req.outId, steps: trainer.step, seconds, skipped: data.skipped, resumedFrom });
}

main().catch((err: unknown) => {
  post({ type: 'error', code: err instanceof EngineError ? err.code : 'internal', message: err instanceof Error ? err.message : String(err), checkpointStep: null });
});
