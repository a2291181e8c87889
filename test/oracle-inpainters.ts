/**
 * Oracle inpainters: tiny ONNX graphs in Ganvas's inpainter contract (image [B, 3, H, W] in [-1, 1], mask
 * [B, 1, H, W] with 1 = hole → image) whose right answer is known in closed form, packaged like any model so
 * they run through the real registry, adapter and pipeline.
 */
import { join } from 'node:path';
import { GraphBuilder } from '../engine/nets/onnx/graph.js';
import { packageHash, ModelCard } from '../engine/runtime/package.js';
import { mkdirSync, writeFileSync } from 'node:fs';

export type Oracle = 'white' | 'negative' | 'mask-echo' | 'identity';

/**
 * white: every output pixel is +1 (255), whatever the input;
 * negative: the output is −image, so a fill pixel is 255 − the photo pixel the model saw at that place;
 * mask-echo: the output is 2·mask − 1 on all channels: white where the model was told "hole", black elsewhere;
 * identity: the output is the image it was given (with a prefill card: the classical fill, unchanged).
 */
export function oracleOnnx(kind: Oracle): Uint8Array {
  const g = new GraphBuilder(`oracle-${kind}`);
  const image = g.input('image', ['batch', 3, 'height', 'width']);
  const mask = g.input('mask', ['batch', 1, 'height', 'width']);
  let out: string;
  if (kind === 'white') out = g.op('Add', [g.op('Mul', [image, g.scalar('zero', 0)]), g.scalar('one', 1)]);
  else if (kind === 'negative') out = g.op('Neg', [image]);
  else if (kind === 'identity') out = g.op('Identity', [image]);
  else {
    const m = g.op('Sub', [g.op('Mul', [mask, g.scalar('two', 2)]), g.scalar('one', 1)]);
    out = g.op('Concat', [m, m, m], { axis: 1 });
  }
  g.output(out, 'output', ['batch', 3, 'height', 'width']);
  return g.toBytes(`oracle inpainter: ${kind}`);
}

/** Writes an installable package for an oracle, with the sizing its card states. */
export function writeOraclePackage(root: string, kind: Oracle, sizing: { maxSide: number; multiple?: number; prefill?: boolean }): string {
  const id = `oracle-${kind}-${sizing.maxSide}${sizing.prefill ? '-prefill' : ''}`;
  const dir = join(root, id);
  mkdirSync(dir, { recursive: true });
  const onnx = oracleOnnx(kind);
  const card = ModelCard.parse({
    format: 'ganvas-model-1', id, name: `Oracle (${kind})`, kind: 'inpainter', resolution: 256,
    inpainter: { maxSide: sizing.maxSide, multiple: sizing.multiple ?? 4, ...(sizing.prefill ? { prefill: 'pyramid' } : {}) },
    licence: 'CC0-1.0', data: 'none: a closed-form test oracle', provenance: { source: 'shipped', parent: null },
    files: { inpainter: 'inpainter.onnx' }, hash: packageHash({ inpainter: onnx }),
  });
  writeFileSync(join(dir, 'inpainter.onnx'), onnx);
  writeFileSync(join(dir, 'model.json'), JSON.stringify(card, null, 2));
  return id;
}
