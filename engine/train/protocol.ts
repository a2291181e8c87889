/** Messages between the engine and the training worker thread. */
export interface FineTuneRequest {
  /** The package to start from (its folder) and where the fine-tuned package goes. */
  modelDir: string;
  outDir: string;
  outId: string;
  outName: string;
  dataDir: string;
  /** Checkpoints live here; a run started again with the same folder resumes from its last checkpoint. */
  runDir: string;
  kimg: number;
  batch: number;
  seed: number;
  checkpointEvery: number;
  backend?: 'tensorflow' | 'wasm' | 'cpu';
  /** Which training engine (engine/train/engine.ts); by default the first that loads in its order. */
  engine?: 'onnxruntime' | 'tfjs';
  /** For tests of the divergence path: a learning rate that makes the losses non-finite. */
  lr?: number;
}

export interface TrainProgress {
  phase: 'loading' | 'training' | 'saving';
  step: number;
  kimg: number;
  totalKimg: number;
  imgPerSec: number;
  lossG: number | null;
  lossD: number | null;
  r1: number | null;
  etaSeconds: number | null;
  /** The device the engine runs on (a tfjs backend, or an onnxruntime execution provider). */
  backend: string;
  /** The engine and its device, e.g. 'onnxruntime on CPU execution provider'. */
  engine?: string;
  /** Engines passed over before this one, each with the reason. */
  passedOver?: string[];
  message?: string;
}

export type WorkerMessage =
  | { type: 'progress'; progress: TrainProgress }
  | { type: 'done'; modelId: string; steps: number; seconds: number; skipped: { file: string; reason: string }[]; resumedFrom: number }
  | { type: 'error'; message: string; code: string; checkpointStep: number | null };
