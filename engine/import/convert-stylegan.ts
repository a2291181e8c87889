/**
 * Converts a read StyleGAN checkpoint (StyleGAN2-ADA, rosinality, StyleGAN3-T) into Ganvas's generator contract and writes
 * it as a model package (mapping.onnx + synthesis.onnx + model.json), whole or not at all.
 *
 * The truncation centre is the file's own (NVlabs `mapping.w_avg`, a converted rosinality file's `latent_avg`).
 * rosinality's train.py checkpoints store none, and its generate.py averages 4096 fresh samples on every run;
 * here the average is estimated once at import from `meanLatentSamples` seeded samples and baked into the graph.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { EngineError } from '../api/errors.js';
import { mulberry32, normals } from '../random.js';
import { openSession } from '../runtime/onnx.js';
import { ModelCard, packageHash } from '../runtime/package.js';
import type { StyleGanCheckpoint } from './stylegan-checkpoint.js';
import { planMapping, planSynthesis, type MappingPlan } from './stylegan2-plan.js';
import { mappingOnnx, synthesisOnnx, type ClassInput } from './stylegan2-onnx.js';
import { sg3SynthesisOnnx } from './stylegan3-onnx.js';

export interface ConvertOptions {
  /** Samples for the average w of a file that stores none (at least 4096, as rosinality's generate.py uses). */
  meanLatentSamples?: number;
  /** Seed of those samples: the same file always imports to the same package. */
  seed?: number;
  /**
   * Class-conditional files: the class baked into this package (0 … c_dim − 1), or 'input' for a mapping with a
   * third input c [B, c_dim] (which Ganvas's generator contract does not accept yet).
   */
  classIndex?: number | 'input';
}

export interface ConvertedGenerator {
  mapping: Uint8Array;
  synthesis: Uint8Array;
  wAvg: Float32Array;
  /** 'stored', or how the average was estimated. */
  wAvgSource: string;
  /** Class-conditional files: which class the mapping renders ('class 2 of 4'), or 'class input'. */
  classNote: string | null;
}

const MIN_MEAN_SAMPLES = 4096;

/** The mean of w over `samples` seeded z, through the imported mapping itself (run by onnxruntime). */
export async function estimateMeanLatent(plan: MappingPlan, samples: number, seed: number): Promise<Float32Array> {
  if (plan.embed) throw new Error('estimateMeanLatent: class-conditional files store their average');
  const session = await openSession(mappingOnnx(plan, new Float32Array(plan.wDim)), 'mapping (for the average w)');
  const rand = mulberry32(seed);
  const sum = new Float64Array(plan.wDim);
  const chunk = 1024;
  for (let done = 0; done < samples; done += chunk) {
    const n = Math.min(chunk, samples - done);
    const w = (await session.run({ z: { data: normals(rand, n * plan.zDim), dims: [n, plan.zDim] }, psi: { data: new Float32Array([1]), dims: [1] } })).w!.data;
    for (let i = 0; i < w.length; i++) sum[i % plan.wDim]! += w[i]!;
  }
  return Float32Array.from(sum, (s) => s / samples);
}

function classInput(ck: StyleGanCheckpoint, choice: ConvertOptions['classIndex']): ClassInput | null {
  const n = ck.config.cDim;
  if (n === 0) return null;
  if (choice === 'input') return { kind: 'input' };
  if (choice === undefined || !Number.isInteger(choice) || choice < 0 || choice >= n) {
    throw new EngineError('bad_request', `${ck.fileName} is class-conditional (c_dim ${n}): choose the class to import (0 to ${n - 1}); Ganvas's generator contract has no class input yet`);
  }
  return { kind: 'fixed', index: choice };
}

/** StyleGAN2-ADA (skip), rosinality and StyleGAN3-T; other variants are refused with the reason. */
export async function convertStyleGan(ck: StyleGanCheckpoint, opts: ConvertOptions = {}): Promise<ConvertedGenerator> {
  const mapping = planMapping(ck);
  const cls = classInput(ck, opts.classIndex);
  const synthesis = ck.format === 'stylegan3-t' ? sg3SynthesisOnnx(ck) : synthesisOnnx(planSynthesis(ck));
  let wAvg = ck.wAvg;
  let wAvgSource = 'stored';
  if (!wAvg) {
    const samples = Math.max(MIN_MEAN_SAMPLES, opts.meanLatentSamples ?? 8192);
    const seed = opts.seed ?? 1;
    wAvg = await estimateMeanLatent(mapping, samples, seed);
    wAvgSource = `estimated from ${samples} samples (seed ${seed})`;
  }
  const classNote = cls === null ? null : cls.kind === 'input' ? 'class input c' : `class ${cls.index} of ${ck.config.cDim}`;
  return { mapping: mappingOnnx(mapping, wAvg, cls), synthesis, wAvg, wAvgSource, classNote };
}

export type ImportFields = Pick<ModelCard, 'id' | 'name' | 'licence' | 'data'>;

/**
 * Writes the package into `dir` (staged beside it, then renamed into place). `source` is the checkpoint file's
 * bytes, hashed into the card's provenance so the package names the exact file it came from.
 */
export function writeImportedGenerator(dir: string, ck: StyleGanCheckpoint, converted: ConvertedGenerator, fields: ImportFields, source: Uint8Array): ModelCard {
  const files = { mapping: converted.mapping, synthesis: converted.synthesis };
  const names = { mapping: 'mapping.onnx', synthesis: 'synthesis.onnx' };
  const sha256 = createHash('sha256').update(source).digest('hex');
  const c = ck.config;
  const card = ModelCard.parse({
    format: 'ganvas-model-1', kind: 'generator', resolution: c.resolution, ...fields,
    generator: { zDim: c.zDim, wDim: c.wDim, numWs: c.numWs, mappingLayers: c.mappingLayers, channels: c.channels },
    provenance: {
      source: 'imported', parent: null, framework: ck.format,
      command: `import ${ck.fileName} (sha256 ${sha256}; ${ck.container}; w_avg ${converted.wAvgSource}${converted.classNote ? `; ${converted.classNote}` : ''})`,
    },
    files: names, hash: packageHash(files),
  });
  const staging = `${dir}.writing`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  for (const [role, bytes] of Object.entries(files)) writeFileSync(join(staging, names[role as keyof typeof names]), bytes);
  writeFileSync(join(staging, 'model.json'), JSON.stringify(card, null, 2) + '\n');
  mkdirSync(dirname(dir), { recursive: true });
  rmSync(dir, { recursive: true, force: true });
  renameSync(staging, dir);
  return card;
}
