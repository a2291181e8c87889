import { selectTrainingBackend, type TrainingBackend } from '../nets/backend.js';
import { Discriminator } from '../nets/discriminator.js';
import { Generator, type GeneratorConfig } from '../nets/generator.js';
import type { Weights, WeightTensor } from '../nets/weights.js';
import { GanTrainer, type StepStats, type TrainConfig } from './gan-trainer.js';
import { OrtGanTrainer } from './ort/ort-gan-trainer.js';

/**
 * One GAN training loop, whichever runtime computes it. Both engines share GanTrainer's checkpoint format, so a run
 * can resume on the other engine.
 */
export interface TrainingEngine {
  /** e.g. 'onnxruntime' or 'tfjs'. */
  readonly engine: 'onnxruntime' | 'tfjs';
  /** The device as users should read it, e.g. 'CPU execution provider' or 'wasm (WebAssembly SIMD…)'. */
  readonly device: string;
  readonly step: number;
  readonly imagesSeen: number;
  trainStep(): Promise<StepStats>;
  checkpoint(): [string, WeightTensor][];
  restore(checkpoint: Weights): void;
  /** G_ema and D with the current weights, for writing a package (the caller disposes them). */
  exportNets(): { G: Generator; D: Discriminator };
  dispose(): Promise<void>;
}

/** The tfjs trainer (the reference) behind the interface. */
export class TfjsTrainingEngine implements TrainingEngine {
  readonly engine = 'tfjs' as const;
  constructor(readonly trainer: GanTrainer, readonly device: string) {}
  get step() {
    return this.trainer.step;
  }
  get imagesSeen() {
    return this.trainer.imagesSeen;
  }
  async trainStep() {
    return this.trainer.trainStep();
  }
  checkpoint() {
    return this.trainer.checkpoint();
  }
  restore(checkpoint: Weights) {
    this.trainer.restore(checkpoint);
  }
  exportNets() {
    return netsFrom(this.trainer.gConfig, new Map(this.trainer.checkpoint()));
  }
  async dispose() {
    this.trainer.dispose();
  }
}

/** The onnxruntime trainer (compiled step graphs) behind the interface. */
export class OrtTrainingEngine implements TrainingEngine {
  readonly engine = 'onnxruntime' as const;
  constructor(readonly trainer: OrtGanTrainer, readonly device: string) {}
  get step() {
    return this.trainer.step;
  }
  get imagesSeen() {
    return this.trainer.imagesSeen;
  }
  trainStep() {
    return this.trainer.trainStep();
  }
  checkpoint() {
    return this.trainer.checkpoint();
  }
  restore(checkpoint: Weights) {
    this.trainer.restore([...checkpoint]);
  }
  exportNets() {
    return netsFrom(this.trainer.gConfig, new Map(this.trainer.checkpoint()));
  }
  dispose() {
    return this.trainer.dispose();
  }
}

function netsFrom(gConfig: GeneratorConfig, w: Weights): { G: Generator; D: Discriminator } {
  const G = new Generator(gConfig, 0);
  const D = new Discriminator({ resolution: gConfig.resolution, channels: gConfig.channels }, 0);
  G.load(w, 'G_ema.');
  D.load(w, 'D.');
  return { G, D };
}

/** onnxruntime execution providers in the order of issue 14: GPUs first, the CPU last. */
export const EXECUTION_PROVIDER_ORDER = ['cuda', 'dml', 'webgpu', 'coreml', 'cpu'] as const;
/**
 * The providers whose training steps have been checked against the tfjs reference (test/ort-trainer.test.ts).
 * The others are skipped with that reason until their equality test runs (WebGPU on SwiftShader, CUDA on a GPU CI).
 */
export const VERIFIED_PROVIDERS: readonly string[] = ['cpu'];

export interface EngineCandidate { engine: 'onnxruntime' | 'tfjs'; provider?: string; skip?: string }

/** Every engine in the order tried, each with why it is skipped here (if it is). Pure, for tests and `--explain`. */
export function engineCandidates(available: readonly string[], prefer?: 'onnxruntime' | 'tfjs'): EngineCandidate[] {
  const ort: EngineCandidate[] = EXECUTION_PROVIDER_ORDER.map((provider) => ({
    engine: 'onnxruntime', provider,
    skip: !available.includes(provider) ? 'not in this onnxruntime-node build'
      : !VERIFIED_PROVIDERS.includes(provider) ? 'not yet checked against the tfjs reference' : undefined,
  }));
  const tfjs: EngineCandidate = { engine: 'tfjs' };
  if (prefer === 'tfjs') return [tfjs];
  if (prefer === 'onnxruntime') return ort;
  return [...ort, tfjs];
}

export interface EngineChoice { engine: TrainingEngine; tried: string[] }

/**
 * Opens the first engine that loads, in the order of engineCandidates, starting from `start` (a fresh trainer's
 * or a resumed run's checkpoint). `tried` says what was passed over and why, for the progress line.
 */
export async function openTrainingEngine(
  gConfig: GeneratorConfig, config: TrainConfig, data: { images: Uint8Array; count: number }, start: (t: GanTrainer) => void,
  options: { prefer?: 'onnxruntime' | 'tfjs'; tfjsBackend?: TrainingBackend } = {},
): Promise<EngineChoice> {
  const ort = await import('onnxruntime-node');
  const available = ort.listSupportedBackends().map((b) => b.name);
  const tried: string[] = [];
  for (const c of engineCandidates(available, options.prefer)) {
    if (c.skip) {
      tried.push(`${c.engine} ${c.provider}: ${c.skip}`);
      continue;
    }
    try {
      if (c.engine === 'tfjs') {
        const { backend, detail } = await selectTrainingBackend(options.tfjsBackend);
        const trainer = new GanTrainer(gConfig, config, data);
        start(trainer);
        return { engine: new TfjsTrainingEngine(trainer, `${backend} (${detail})`), tried };
      }
      // The starting state is made by the tfjs trainer's own initialisation, so both engines start identically.
      const seed = new GanTrainer(gConfig, config, data);
      let checkpoint: [string, WeightTensor][];
      try {
        start(seed);
        checkpoint = seed.checkpoint();
      } finally {
        seed.dispose();
      }
      const trainer = await OrtGanTrainer.create(gConfig, config, data, checkpoint, { executionProviders: [c.provider!] });
      return { engine: new OrtTrainingEngine(trainer, `${c.provider!.toUpperCase()} execution provider`), tried };
    } catch (err) {
      tried.push(`${c.engine}${c.provider ? ` ${c.provider}` : ''}: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  throw new Error(`no training engine could be opened (${tried.join('; ')})`);
}

/** "onnxruntime on CPU execution provider" — the line progress events, the status bar and the CLI show. */
export const describeEngine = (e: TrainingEngine) => `${e.engine} on ${e.device}`;
