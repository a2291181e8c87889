/**
 * One call from a checkpoint file to a model package folder: read (nothing executed), convert, check the graphs
 * against Ganvas's generator signature, then write. Any failure throws before anything is written.
 *
 * The model registry's import (engine/runtime/registry.ts) can call this for .pkl / .pt files with its staging
 * folder as `dir`, then run its own load-and-check and rename, as it does for ONNX files.
 */
import { readFileSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { openSession } from '../runtime/onnx.js';
import { ModelCard } from '../runtime/package.js';
import { checkSignature } from '../runtime/signature.js';
import { convertStyleGan, writeImportedGenerator, type ConvertOptions } from './convert-stylegan.js';
import { readStyleGanCheckpoint, type StyleGanFormat } from './stylegan-checkpoint.js';

export interface StyleGanImportOptions extends ConvertOptions {
  id?: string;
  name?: string;
  /** The licence the user confirmed at import; the default names the usual one and asks to check it. */
  licence?: string;
  data?: string;
}

/** What the code that trains each family usually implies for its weights; the user confirms at import. */
const DEFAULT_LICENCE: Record<StyleGanFormat, string> = {
  'stylegan2-ada': 'unconfirmed: NVlabs StyleGAN models are usually under the NVIDIA Source Code License (non-commercial use only)',
  'stylegan3-t': 'unconfirmed: NVlabs StyleGAN models are usually under the NVIDIA Source Code License (non-commercial use only)',
  'stylegan3-r': 'unconfirmed: NVlabs StyleGAN models are usually under the NVIDIA Source Code License (non-commercial use only)',
  rosinality: 'unconfirmed: ask the model\'s author (rosinality/stylegan2-pytorch is MIT; the weights may not be)',
};

export const isStyleGanCheckpointFile = (file: string) => ['.pkl', '.pt', '.pth'].includes(extname(file).toLowerCase());

export async function importStyleGanCheckpoint(file: string, dir: string, opts: StyleGanImportOptions = {}): Promise<ModelCard> {
  const bytes = new Uint8Array(readFileSync(file));
  const fileName = basename(file);
  const ck = readStyleGanCheckpoint(bytes, fileName);
  const converted = await convertStyleGan(ck, opts);
  const id = opts.id ?? (basename(file, extname(file)).toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^[^a-z0-9]+/, '').slice(0, 64) || 'imported-stylegan');
  const fields = {
    id, name: opts.name ?? `${fileName} (${ck.format}${converted.classNote ? `, ${converted.classNote}` : ''})`,
    licence: opts.licence ?? DEFAULT_LICENCE[ck.format], data: opts.data ?? 'unknown (imported by the user)',
  };
  // Check the graphs as the registry will, before writing a byte.
  const probe = ModelCard.parse({
    format: 'ganvas-model-1', kind: 'generator', resolution: ck.config.resolution, ...fields,
    generator: { zDim: ck.config.zDim, wDim: ck.config.wDim, numWs: ck.config.numWs },
    provenance: { source: 'imported' }, files: { mapping: 'mapping.onnx', synthesis: 'synthesis.onnx' }, hash: '0'.repeat(64),
  });
  checkSignature(probe, { mapping: await openSession(converted.mapping, `${fileName} → mapping.onnx`), synthesis: await openSession(converted.synthesis, `${fileName} → synthesis.onnx`) });
  return writeImportedGenerator(dir, ck, converted, fields, bytes);
}
