import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Discriminator } from '../nets/discriminator.js';
import type { Generator } from '../nets/generator.js';
import type { Inpainter, PatchDiscriminator } from '../nets/inpainter.js';
import { writeWeights } from '../nets/weights.js';
import { ModelCard, packageHash } from './package.js';

type CardFields = Pick<ModelCard, 'id' | 'name' | 'licence' | 'data' | 'provenance'> & { metrics?: ModelCard['metrics'] };

export type PackageNets =
  | { kind: 'generator'; G: Generator; D?: Discriminator }
  | { kind: 'inpainter'; G: Inpainter; D?: PatchDiscriminator };

/**
 * Writes a complete model package (ONNX graphs exported from the engine's weights, the weights themselves and
 * model.json with its hash) into a temporary folder, then renames it into place: a package is whole or absent.
 */
export function writePackage(dir: string, fields: CardFields, nets: PackageNets): ModelCard {
  const files: Record<string, Uint8Array> = {};
  const names: Record<string, string> = {};
  let card: Omit<ModelCard, 'files' | 'hash'>;
  if (nets.kind === 'generator') {
    const { G } = nets;
    files.mapping = G.mapping.toOnnx();
    files.synthesis = G.synthesis.toOnnx();
    files.weights = writeWeights([...G.exportWeights('G_ema.'), ...(nets.D ? nets.D.exportWeights('D.') : [])]);
    Object.assign(names, { mapping: 'mapping.onnx', synthesis: 'synthesis.onnx', weights: 'weights.gnvw' });
    const c = G.config;
    card = {
      format: 'ganvas-model-1', kind: 'generator', resolution: c.resolution, ...fields,
      generator: { zDim: c.zDim, wDim: c.wDim, numWs: G.numWs, mappingLayers: c.mappingLayers, channels: Object.fromEntries(Object.entries(c.channels).map(([k, v]) => [String(k), v])) },
    };
  } else {
    const { G } = nets;
    files.inpainter = G.toOnnx();
    files.weights = writeWeights([...G.exportWeights('G.'), ...(nets.D ? nets.D.exportWeights('D.') : [])]);
    Object.assign(names, { inpainter: 'inpainter.onnx', weights: 'weights.gnvw' });
    card = { format: 'ganvas-model-1', kind: 'inpainter', resolution: G.config.resolution, ...fields, inpainter: {
      channels: G.config.channels, multiple: 4,
      ...(G.config.maxSide ? { maxSide: G.config.maxSide } : {}), ...(G.config.prefill ? { prefill: 'pyramid' as const } : {}),
    } };
  }
  const full = ModelCard.parse({ ...card, files: names, hash: packageHash(files) });
  const staging = `${dir}.writing`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  for (const [role, bytes] of Object.entries(files)) writeFileSync(join(staging, names[role]!), bytes);
  writeFileSync(join(staging, 'model.json'), JSON.stringify(full, null, 2) + '\n');
  mkdirSync(dirname(dir), { recursive: true });
  rmSync(dir, { recursive: true, force: true });
  renameSync(staging, dir);
  return full;
}
