import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { EngineError } from '../api/errors.js';
import type { ErrorCode } from '../api/schemas.js';
import type { FineTuneRequest, TrainProgress, WorkerMessage } from './protocol.js';

export type FineTuneResult = Extract<WorkerMessage, { type: 'done' }>;

/** The worker's entry: the TypeScript source under tsx (dev, tests, CLI), the bundled file in the desktop app. */
function workerEntry(): { url: URL; execArgv: string[] } {
  const bootstrap = new URL('./worker-bootstrap.mjs', import.meta.url);
  if (existsSync(fileURLToPath(bootstrap))) return { url: bootstrap, execArgv: [] };
  return { url: new URL('./train-worker.js', import.meta.url), execArgv: [] };
}

/**
 * Fine-tunes a generator package on a folder of images in a worker thread, so the engine keeps answering.
 * Progress arrives through `onProgress`; aborting `signal` stops the run after the current step and keeps a
 * checkpoint that a later call with the same runDir resumes from.
 */
export function fineTune(req: FineTuneRequest, onProgress: (p: TrainProgress) => void, signal?: AbortSignal): Promise<FineTuneResult> {
  const { url, execArgv } = workerEntry();
  const worker = new Worker(url, { workerData: req, execArgv });
  const onAbort = () => worker.postMessage({ type: 'cancel' });
  signal?.addEventListener('abort', onAbort);
  return new Promise<FineTuneResult>((resolve, reject) => {
    let settled = false;
    worker.on('message', (m: WorkerMessage) => {
      if (m.type === 'progress') onProgress(m.progress);
      else if (m.type === 'done') {
        settled = true;
        resolve(m);
      } else {
        settled = true;
        const known: ErrorCode[] = ['bad_request', 'bad_model', 'not_found', 'cancelled', 'diverged'];
        reject(new EngineError(known.includes(m.code as ErrorCode) ? (m.code as ErrorCode) : 'internal', m.message));
      }
    });
    worker.on('error', (err) => {
      settled = true;
      reject(new EngineError('internal', `training worker failed: ${err.message}`));
    });
    worker.on('exit', (code) => {
      signal?.removeEventListener('abort', onAbort);
      if (!settled) reject(new EngineError('internal', `training worker exited with code ${code}`));
    });
  }).finally(() => void worker.terminate());
}
