import { createRequire } from 'node:module';
import type { Backend } from '../api/schemas.js';

const require = createRequire(import.meta.url);

function installed(pkg: string): string | null {
  try {
    return (require(`${pkg}/package.json`) as { version: string }).version;
  } catch {
    return null;
  }
}

/**
 * What compute this machine offers, in the order the engine prefers it (DESIGN.md "Compute"). Only
 * resolvable packages are reported available; native ones are loaded lazily by the code that uses them.
 */
export function probeBackends(): Backend[] {
  const ort = installed('onnxruntime-node');
  const candidates: Array<[string, Backend['role'], string | null, string]> = [
    ['onnxruntime-node', 'inference', ort, 'CPU execution provider'],
    ['@tensorflow/tfjs-node-gpu', 'training', installed('@tensorflow/tfjs-node-gpu'), 'CUDA'],
    ['@tensorflow/tfjs-node', 'training', installed('@tensorflow/tfjs-node'), 'libtensorflow CPU'],
    ['@tensorflow/tfjs-backend-wasm', 'training', installed('@tensorflow/tfjs-backend-wasm'), 'WebAssembly SIMD'],
    ['@tensorflow/tfjs-backend-cpu', 'training', installed('@tensorflow/tfjs-backend-cpu'), 'plain JS'],
  ];
  return candidates.map(([name, role, version, what]) => ({
    name,
    role,
    available: version !== null,
    detail: version ? `${what}, v${version}` : 'not installed',
  }));
}
