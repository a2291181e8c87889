import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Backend } from '../api/schemas.js';

const require = createRequire(import.meta.url);

function installed(pkg: string): string | null {
  try {
    return (require(`${pkg}/package.json`) as { version: string }).version;
  } catch {
    return null;
  }
}

/** tfjs-node(-gpu) install without their native library where it cannot be downloaded: check for the addon. */
function nativeTfjs(pkg: string): string | null {
  const version = installed(pkg);
  if (!version) return null;
  try {
    const dir = require.resolve(`${pkg}/package.json`).replace(/package\.json$/, '');
    const addon = readdirSync(join(dir, 'lib'), { recursive: true }).some((f) => String(f).endsWith('tfjs_binding.node'));
    return addon ? version : null;
  } catch {
    return null;
  }
}

/**
 * What compute this machine offers, in the order the engine prefers it (docs/ARCHITECTURE.md, "Compute"). Only
 * resolvable packages are reported available; native ones are loaded lazily by the code that uses them.
 */
export function probeBackends(): Backend[] {
  const ort = installed('onnxruntime-node');
  const candidates: Array<[string, Backend['role'], string | null, string]> = [
    ['onnxruntime-node', 'inference', ort, 'CPU execution provider'],
    ['@tensorflow/tfjs-node-gpu', 'training', nativeTfjs('@tensorflow/tfjs-node-gpu'), 'CUDA'],
    ['@tensorflow/tfjs-node', 'training', nativeTfjs('@tensorflow/tfjs-node'), 'libtensorflow CPU'],
    ['@tensorflow/tfjs-backend-wasm', 'training', installed('@tensorflow/tfjs-backend-wasm'), 'WebAssembly SIMD'],
    ['@tensorflow/tfjs-backend-cpu', 'training', installed('@tensorflow/tfjs-backend-cpu'), 'plain JS'],
  ];
  return candidates.map(([name, role, version, what]) => ({
    name,
    role,
    available: version !== null,
    detail: version ? `${what}, v${version}` : name.startsWith('@tensorflow/tfjs-node') && installed(name) ? 'installed without its native library (it could not be downloaded)' : 'not installed',
  }));
}
