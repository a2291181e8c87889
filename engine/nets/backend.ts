import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { tf } from './tf.js';
import './gradients.js';
import { registerConvGradient } from './conv-grad.js';

const require = createRequire(import.meta.url);

export type TrainingBackend = 'tensorflow' | 'wasm' | 'cpu';

/**
 * Picks the fastest tfjs backend that loads on this machine (for training, projection and face alignment, so it lives
 * beside the nets rather than in engine/train, which engine/edit may not import), in the order of ../shared/DESIGN.md "Compute": libtensorflow (tfjs-node-gpu
 * on CUDA machines, else tfjs-node), WebAssembly, plain JS. The optional native packages are imported inside
 * try/catch: where they are absent or their library is missing, the next one is used.
 */
export async function selectTrainingBackend(prefer?: TrainingBackend): Promise<{ backend: TrainingBackend; detail: string }> {
  const order: TrainingBackend[] = prefer ? [prefer] : ['tensorflow', 'wasm', 'cpu'];
  const tried: string[] = [];
  for (const b of order) {
    try {
      if (b === 'tensorflow') {
        let pkg = '@tensorflow/tfjs-node-gpu';
        try {
          await import(/* @vite-ignore */ pkg);
        } catch {
          pkg = '@tensorflow/tfjs-node';
          await import(/* @vite-ignore */ pkg);
        }
        if (!(await tf.setBackend('tensorflow'))) throw new Error('backend did not initialise');
        return { backend: b, detail: pkg };
      }
      if (b === 'wasm') {
        const wasm = await import('@tensorflow/tfjs-backend-wasm');
        wasm.setWasmPaths(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm')) + '/');
        if (!(await tf.setBackend('wasm'))) throw new Error('backend did not initialise');
        registerConvGradient();
        return { backend: b, detail: 'WebAssembly SIMD, custom conv gradient' };
      }
      await tf.setBackend('cpu');
      return { backend: 'cpu', detail: 'plain JS' };
    } catch (err) {
      tried.push(`${b}: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  throw new Error(`no training backend could be loaded (${tried.join('; ')})`);
}
