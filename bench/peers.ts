import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import type { GeneratorConfig } from '../engine/nets/generator.js';

/** Channels per resolution of the benches' generator, the same in both runtimes and in torch_peer.py. */
const CH = { 4: 128, 8: 128, 16: 96, 32: 48, 64: 24, 128: 16 };
export const benchGenerator = (resolution: number): GeneratorConfig => ({
  zDim: 128, wDim: 128, mappingLayers: 4, resolution, channels: Object.fromEntries(Object.entries(CH).filter(([k]) => Number(k) <= resolution)),
});

/** Mean time of `fn` over `reps` runs, after one warm-up run. */
export async function timed(fn: () => Promise<unknown> | unknown, reps: number): Promise<number> {
  await fn();
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) await fn();
  return (performance.now() - t0) / reps;
}

/** The same networks timed in PyTorch CPU (torch_peer.py), in ms per case; null (and why) where torch is missing. */
export function torchPeer(cases: object[]): Record<string, number> | null {
  const r = spawnSync('/usr/bin/python3', [join(import.meta.dirname, 'torch_peer.py'), JSON.stringify(cases)], { encoding: 'utf8' });
  if (r.status !== 0) {
    console.error(`PyTorch peer not measured (${(r.stderr || r.error?.message || '').trim().split('\n').at(-1)}); install python3-torch`);
    return null;
  }
  return JSON.parse(r.stdout) as Record<string, number>;
}
