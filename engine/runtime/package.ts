import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { z } from 'zod';
import { EngineError } from '../api/errors.js';

/**
 * model.json: what a model package is, where it came from and how it was made. ONNX files serve inference; a
 * package the studio can fine-tune also carries its weights (GNVW, engine/nets/weights.ts).
 */
export const ModelCard = z.object({
  format: z.literal('ganvas-model-1'),
  id: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'an id of lower-case letters, digits, dot, dash or underscore'),
  name: z.string().min(1).max(120),
  kind: z.enum(['generator', 'inpainter']),
  resolution: z.number().int().min(8).max(4096),
  generator: z.object({
    zDim: z.number().int().positive(),
    wDim: z.number().int().positive().optional(),
    numWs: z.number().int().positive().optional(),
    mappingLayers: z.number().int().positive().optional(),
    channels: z.record(z.string(), z.number().int().positive()).optional(),
  }).optional(),
  inpainter: z.object({ channels: z.number().int().positive().optional() }).optional(),
  licence: z.string().min(1),
  data: z.string().min(1),
  provenance: z.object({
    source: z.enum(['shipped', 'imported', 'trained']),
    parent: z.string().nullable().default(null),
    command: z.string().optional(),
    steps: z.number().optional(),
    images: z.number().optional(),
    seconds: z.number().optional(),
    machine: z.string().optional(),
    framework: z.string().optional(),
  }),
  metrics: z.record(z.string(), z.unknown()).optional(),
  /** role → file name in the package: mapping, synthesis, generator (z → image, for z-only imports), inpainter, weights. */
  files: z.partialRecord(z.enum(['mapping', 'synthesis', 'generator', 'inpainter', 'weights']), z.string().regex(/^[\w.-]+$/)),
  /** sha256 over the files, role by role in name order: identifies this exact version. */
  hash: z.string().regex(/^[0-9a-f]{64}$/),
});
export type ModelCard = z.infer<typeof ModelCard>;

export function packageHash(files: Record<string, Uint8Array>): string {
  const h = createHash('sha256');
  for (const role of Object.keys(files).sort()) {
    h.update(role).update('\0').update(createHash('sha256').update(files[role]!).digest('hex')).update('\n');
  }
  return h.digest('hex');
}

/** Reads model.json and every file it names; refuses a missing file, a malformed card or a changed file. */
export function readPackage(dir: string): { card: ModelCard; files: Record<string, Uint8Array> } {
  const what = basename(dir);
  const cardPath = join(dir, 'model.json');
  if (!existsSync(cardPath)) throw new EngineError('bad_model', `${what} is not a model package: it has no model.json`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(cardPath, 'utf8'));
  } catch (err) {
    throw new EngineError('bad_model', `${what}/model.json is not valid JSON (${(err as Error).message})`);
  }
  const parsed = ModelCard.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new EngineError('bad_model', `${what}/model.json: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  const card = parsed.data;
  const files: Record<string, Uint8Array> = {};
  for (const [role, file] of Object.entries(card.files)) {
    const p = join(dir, file);
    if (!existsSync(p)) throw new EngineError('bad_model', `${what}: model.json names ${file} (${role}) but the file is missing`);
    files[role] = readFileSync(p);
  }
  const actual = packageHash(files);
  if (actual !== card.hash) throw new EngineError('bad_model', `${what}: the files do not match model.json's hash (a file was changed or damaged)`);
  return { card, files };
}
