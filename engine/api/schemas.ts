import { z } from 'zod';

/** Bytes of an image or mask; always a typed array on the wire, never base64. */
export const Bytes = z.custom<Uint8Array>((v) => v instanceof Uint8Array, 'expected bytes (a Uint8Array)');

export const LayerId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/);
export const AssetHash = z.string().regex(/^[0-9a-f]{64}$/);

export const Layer = z.object({
  id: LayerId,
  name: z.string(),
  assetHash: AssetHash,
  x: z.number(),
  y: z.number(),
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  visible: z.boolean(),
  opacity: z.number().min(0).max(1),
  /** Set on layers drawn by a generator: the w+ latent they render, so they can be edited in latent space. */
  latent: z.object({
    modelId: z.string(), modelHash: z.string(), latentHash: AssetHash, display: z.number().int().positive(),
    /** Edits made inside a mask since the latent was set: the pixels are no longer its render alone. */
    localEdits: z.number().int().positive().optional(),
  }).optional(),
});
export type Layer = z.infer<typeof Layer>;

export const Direction = z.object({
  id: z.number().int(),
  name: z.string(),
  method: z.enum(['sefa', 'ganspace', 'mean', 'boundary', 'analogy']),
  modelHash: z.string(),
  layerStart: z.number().int(),
  layerEnd: z.number().int(),
  /** Spread of w along the direction; sliders run in units of it. */
  sigma: z.number(),
  vector: z.custom<Float32Array>((v) => v instanceof Float32Array, 'expected a Float32Array'),
});
export type Direction = z.infer<typeof Direction>;

export const HistoryEntry = z.object({
  id: z.number().int(),
  parentId: z.number().int().nullable(),
  kind: z.string(),
  label: z.string(),
  createdAt: z.string(),
});
export type HistoryEntry = z.infer<typeof HistoryEntry>;

/** Everything the renderer needs to draw a project; derived from the op log up to `headEditId`. */
export const ProjectState = z.object({
  path: z.string(),
  name: z.string(),
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  /** Bottom to top. */
  layers: z.array(Layer),
  headEditId: z.number().int().nullable(),
  canUndo: z.boolean(),
  canRedo: z.boolean(),
  undoLabel: z.string().nullable(),
  redoLabel: z.string().nullable(),
});
export type ProjectState = z.infer<typeof ProjectState>;

export const RecentProject = z.object({ path: z.string(), name: z.string(), openedAt: z.string() });
export type RecentProject = z.infer<typeof RecentProject>;

export const Backend = z.object({
  name: z.string(),
  role: z.enum(['inference', 'training']),
  available: z.boolean(),
  detail: z.string(),
});
export type Backend = z.infer<typeof Backend>;

export const EngineInfo = z.object({
  version: z.string(),
  host: z.enum(['electron', 'websocket', 'cli']),
  hostDetail: z.string(),
  backends: z.array(Backend),
  projectsDir: z.string(),
});
export type EngineInfo = z.infer<typeof EngineInfo>;

/** What the studio shows about a model package (engine/runtime/packages.ts holds the full model.json). */
export const ModelInfo = z.object({
  id: z.string(),
  name: z.string(),
  kind: z.enum(['generator', 'inpainter']),
  resolution: z.number().int(),
  licence: z.string(),
  data: z.string(),
  hash: z.string(),
  source: z.enum(['shipped', 'imported', 'trained']),
  parent: z.string().nullable(),
  /** A generator with mapping and synthesis graphs offers w-space tools; a z-only import does not. */
  styleBased: z.boolean(),
  /** Rows of ws (synthesis layers) of a style-based generator. */
  numWs: z.number().int().optional(),
});
export type ModelInfo = z.infer<typeof ModelInfo>;

export const JobState = z.enum(['queued', 'running', 'done', 'failed', 'cancelled']);
export type JobState = z.infer<typeof JobState>;

export const ErrorCode = z.enum([
  'bad_request',
  'unknown_method',
  'not_found',
  'bad_image',
  'bad_model',
  'not_a_project',
  'no_project',
  'conflict',
  'cancelled',
  'diverged',
  'internal',
]);
export type ErrorCode = z.infer<typeof ErrorCode>;

export const ErrorReply = z.object({ code: ErrorCode, message: z.string() });
export type ErrorReply = z.infer<typeof ErrorReply>;
