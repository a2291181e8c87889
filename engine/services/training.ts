import { existsSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { userModelsDir } from '../runtime/registry.js';
import { EngineError } from '../api/errors.js';
import { fineTune, type FineTuneResult } from '../train/fine-tune.js';
import type { TrainProgress } from '../train/protocol.js';
import type { EngineContext, ServiceHandlers } from './context.js';
import type { ModelsService } from './models.js';

/** The status-bar line of a fine-tuning run: kimg, speed, losses, ETA, backend. */
export function describeProgress(p: TrainProgress): string {
  if (p.phase !== 'training') return p.message ?? p.phase;
  const eta = p.etaSeconds === null ? '' : ` · ETA ${Math.round(p.etaSeconds)} s`;
  const losses = p.lossG === null ? '' : ` · G ${p.lossG.toFixed(3)} · D ${p.lossD!.toFixed(3)}`;
  return `${p.kimg.toFixed(2)}/${p.totalKimg} kimg · ${p.imgPerSec.toFixed(1)} img/s${losses}${eta} · ${p.engine ?? p.backend}`;
}

export interface TrainOptions {
  modelId: string;
  dataDir: string;
  kimg: number;
  batch: number;
  seed: number;
  name?: string;
  /** The id of an earlier run to continue from its last checkpoint (its model id); default: a new run. */
  resume?: string;
  /** Trusted callers (the CLI) may pick the new model's id and the tfjs backend. */
  outId?: string;
  backend?: 'tensorflow' | 'wasm' | 'cpu';
}

/**
 * Fine-tuning a generator on a folder of the user's images, as a job in a worker thread. One run at a time: a
 * second would halve the speed of both and fight over the same checkpoints.
 */
export class TrainingService {
  private running: { jobId: string; modelId: string } | null = null;

  constructor(private readonly ctx: EngineContext, private readonly models: ModelsService) {}

  /** A new run's id is the base model's id and the time; a resumed run keeps its id, folder and step count. */
  private runId(baseId: string, opts: TrainOptions): string {
    if (opts.resume) {
      if (!/^[a-z0-9][a-z0-9._-]{0,63}$/.test(opts.resume)) throw new EngineError('bad_request', `"${opts.resume}" is not a run id`);
      return opts.resume;
    }
    if (opts.outId) return opts.outId;
    const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');
    return `${baseId}-ft-${stamp}`.toLowerCase().slice(0, 64);
  }

  async start(opts: TrainOptions, onProgress?: (p: TrainProgress) => void): Promise<{ jobId: string; modelId: string; runDir: string; result: Promise<FineTuneResult> }> {
    if (this.running) throw new EngineError('conflict', `a fine-tuning run (${this.running.modelId}) is already going; cancel it or wait for it to finish`);
    const base = await this.ctx.registry.get(opts.modelId);
    const outId = this.runId(base.card.id, opts);
    const runDir = join(this.ctx.home, 'runs', outId);
    if (opts.resume && !existsSync(runDir)) throw new EngineError('not_found', `there is no run ${opts.resume} to resume`);
    const { id, result } = this.ctx.jobs.start('train', async (job) => {
      const r = await fineTune({
        modelDir: base.dir, outDir: join(userModelsDir(this.ctx.home), outId), outId, outName: opts.name ?? `${base.card.name}, fine-tuned on ${basename(opts.dataDir)}`,
        dataDir: resolve(opts.dataDir), runDir, kimg: opts.kimg, batch: opts.batch, seed: opts.seed, checkpointEvery: 200, backend: opts.backend,
      }, (p) => {
        onProgress?.(p);
        job.progress(Math.round(p.kimg * 1000), Math.round(p.totalKimg * 1000), describeProgress(p));
      }, job.signal);
      this.models.registerAll();
      return r;
    });
    this.running = { jobId: id, modelId: outId };
    void result.finally(() => { this.running = null; }).catch(() => {});
    return { jobId: id, modelId: outId, runDir, result };
  }

  readonly handlers: ServiceHandlers<'train.start'> = {
    'train.start': async (r) => {
      const { jobId, modelId, runDir } = await this.start({ ...r, dataDir: this.ctx.files.dataDir(r.dataDir) });
      return { jobId, modelId, runDir };
    },
  };
}
