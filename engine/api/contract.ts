import { z } from 'zod';
import {
  AssetHash, Bytes, Direction, EngineInfo, HistoryEntry, JobState, LayerId, ModelInfo, ProjectState, RecentProject,
} from './schemas.js';
import { limits } from './limits.js';

const method = <Req extends z.ZodType, Res extends z.ZodType>(request: Req, reply: Res, doc: string) => ({
  request,
  reply,
  doc,
});

const Float32 = z.custom<Float32Array>((v) => v instanceof Float32Array, 'expected a Float32Array');
const Seed = z.number().int().min(0).max(2 ** 31 - 1);
const Row = z.number().int().min(0).max(63);
const Slider = z.object({ directionId: z.number().int().optional(), vector: Float32.optional(), alpha: z.number(), start: Row, end: Row }).strict();
const Mix = z.object({ fromLayerId: LayerId.optional(), fromSeed: Seed.optional(), start: Row, end: Row }).strict();
const Keyframe = z.union([z.object({ seed: Seed }).strict(), z.object({ layerId: LayerId }).strict()]);

const LayerPatch = z
  .object({
    name: z.string().min(1).max(200),
    x: z.number().finite(),
    y: z.number().finite(),
    visible: z.boolean(),
    opacity: z.number().min(0).max(1),
  })
  .partial()
  .strict()
  .refine((p) => Object.keys(p).length > 0, 'patch changes nothing');

/**
 * Every engine method: its request and reply schema. Both transports (Electron IPC and WebSocket) and the
 * renderer's client are generated from this table; nothing else defines the API.
 */
export const methods = {
  'engine.info': method(z.object({}).strict(), EngineInfo, 'Host, version and the compute backends found.'),

  'project.create': method(
    z.object({
      name: z.string().min(1).max(120),
      width: z.number().int().min(1).max(limits.maxDocumentSide).default(1280),
      height: z.number().int().min(1).max(limits.maxDocumentSide).default(800),
      /** A `.ganvas` file in the projects folder or a folder the user allowed (engine/files/policy.ts). */
      path: z.string().min(1).max(limits.maxStringLength).optional(),
    }).strict().refine((r) => r.width * r.height <= limits.maxDocumentPixels, {
      message: `a document may have at most ${limits.maxDocumentPixels / 1e6} MP (width × height)`,
    }),
    ProjectState,
    'Create a project file (in the projects folder unless a path is given: then in a folder the user allowed) and open it.',
  ),
  'project.open': method(
    z.object({ path: z.string().min(1).max(limits.maxStringLength) }).strict(),
    ProjectState,
    'Open a project file: a `.ganvas` file in the projects folder, a folder the user allowed, or the recent list.',
  ),
  'project.recent': method(z.object({}).strict(), z.array(RecentProject), 'Recently opened projects, newest first.'),
  'project.state': method(z.object({}).strict(), ProjectState, 'The open project as of its undo pointer.'),
  'project.export': method(
    z.object({}).strict(),
    z.object({ png: Bytes, width: z.number().int(), height: z.number().int() }),
    `The composite of visible layers as PNG bytes (refused above ${limits.maxDocumentPixels / 1e6} MP before anything is allocated).`,
  ),

  'layer.import': method(
    z.object({ name: z.string().min(1).max(200), bytes: Bytes }).strict(),
    ProjectState,
    'Decode an image and add it as the top layer.',
  ),
  'layer.update': method(z.object({ id: LayerId, patch: LayerPatch }).strict(), ProjectState, 'Move, rename, hide, fade.'),
  'layer.reorder': method(
    z.object({ id: LayerId, index: z.number().int().min(0) }).strict(),
    ProjectState,
    'Move a layer to a stack index (0 = bottom).',
  ),
  'layer.delete': method(z.object({ id: LayerId }).strict(), ProjectState, 'Remove a layer.'),

  'asset.get': method(
    z.object({ hash: AssetHash }).strict(),
    z.object({ bytes: Bytes, mime: z.string() }),
    'Content-addressed bytes of an image or mask.',
  ),

  'history.list': method(z.object({}).strict(), z.array(HistoryEntry), 'The op log from the root to the undo pointer.'),
  'history.undo': method(z.object({}).strict(), ProjectState, 'Move the undo pointer to the parent edit.'),
  'history.redo': method(z.object({}).strict(), ProjectState, 'Move the undo pointer to the newest child edit.'),

  'models.list': method(z.object({}).strict(), z.array(ModelInfo), 'The model packages installed: shipped, imported and fine-tuned.'),
  'models.importFile': method(
    z.object({ name: z.string().min(1).max(200), bytes: Bytes }).strict(),
    ModelInfo,
    'Install a model from the bytes of a file (a bare ONNX inpainter or z → image generator, named by `name`), after the checks `ganvas models import` makes.',
  ),

  'inpaint.run': method(
    z.object({
      layerId: LayerId,
      /** PNG (or any image) the size of the layer: white = fill. */
      mask: Bytes,
      modelId: z.string().min(1).optional(),
      margin: z.number().min(0).max(4).default(0.5),
      /** Blend band outside the hole, px (engine/edit/inpaint.ts). */
      feather: z.number().min(0).max(8).default(4),
    }).strict(),
    ProjectState,
    'Fill the masked pixels of a layer with an inpainter; the result is a new layer above it (one edit).',
  ),
  'history.rerender': method(
    z.object({ editId: z.number().int().positive() }).strict(),
    z.object({ editId: z.number(), identical: z.boolean(), png: Bytes }),
    'Compute a recorded edit again from its inputs and say whether it gives the stored pixels.',
  ),

  'latent.sample': method(
    z.object({ modelId: z.string().optional(), seeds: z.array(Seed).min(1).max(64), psi: z.number().min(-1).max(2).default(0.7), display: z.number().int().min(8).max(1024).optional() }).strict(),
    z.object({ images: z.array(Bytes), size: z.number() }),
    'Render samples for seeds (PNG), with truncation ψ around the model\'s w_avg.',
  ),
  'latent.place': method(
    z.object({ modelId: z.string().optional(), seed: Seed.optional(), latent: Float32.optional(), psi: z.number().min(-1).max(2).default(0.7), display: z.number().int().min(8).max(2048).default(256), name: z.string().max(200).optional() }).strict(),
    ProjectState,
    'Place a sample as a layer linked to its latent (one edit).',
  ),
  'latent.get': method(
    z.object({ layerId: LayerId }).strict(),
    z.object({ ws: Float32, numWs: z.number(), wDim: z.number(), modelId: z.string(), modelHash: z.string() }),
    'The w+ latent of a generated layer.',
  ),
  'latent.preview': method(
    z.object({ layerId: LayerId, sliders: z.array(Slider).max(32).default([]), mixes: z.array(Mix).max(8).default([]) }).strict(),
    z.object({ rgba: Bytes, width: z.number(), height: z.number() }),
    'Render an edited latent without recording it (for slider drags): raw RGBA at the model size.',
  ),
  'latent.apply': method(
    z.object({ layerId: LayerId, sliders: z.array(Slider).max(32).default([]), mixes: z.array(Mix).max(8).default([]), label: z.string().max(200).optional() }).strict(),
    ProjectState,
    'Commit slider moves and style mixes of a generated layer as one edit.',
  ),
  'latent.applyLocal': method(
    z.object({
      layerId: LayerId, sliders: z.array(Slider).max(32).default([]), mixes: z.array(Mix).max(8).default([]),
      /** PNG the size of the layer: white = where the edit applies. */
      mask: Bytes, feather: z.number().min(0).max(256).default(8),
      /** Refill a band this wide around the mask's edge with the inpainter (0 = no healing). */
      healBand: z.number().min(0).max(64).default(4), inpainterId: z.string().optional(),
    }).strict(),
    ProjectState,
    'Apply sliders or mixes only inside a mask and heal the seam with the inpainter (one edit).',
  ),
  'latent.variations': method(
    z.object({ layerId: LayerId, count: z.number().int().min(1).max(16).default(6), strength: z.number().min(0).max(5).default(0.5), seed: Seed.default(0) }).strict(),
    z.object({ images: z.array(Bytes), latents: z.array(Float32) }),
    'Small random steps in w from a generated layer (not recorded until placed).',
  ),
  'latent.interpolate': method(
    z.object({
      modelId: z.string().optional(), keys: z.array(Keyframe).min(2).max(16), frames: z.number().int().min(2).max(240).default(48),
      space: z.enum(['z', 'w']).default('w'), method: z.enum(['lerp', 'slerp']).default('lerp'), psi: z.number().min(-1).max(2).default(0.7),
      display: z.number().int().min(8).max(512).default(128), delayMs: z.number().int().min(10).max(2000).default(60),
    }).strict(),
    z.object({ gif: Bytes, frames: z.array(Bytes) }),
    'Frames between keyframes as an animated GIF and PNGs (a job with progress).',
  ),
  'latent.frame': method(
    z.object({ modelId: z.string().optional(), keys: z.array(Keyframe).min(2).max(16), t: z.number(), space: z.enum(['z', 'w']).default('w'), method: z.enum(['lerp', 'slerp']).default('lerp'), psi: z.number().min(-1).max(2).default(0.7) }).strict(),
    z.object({ rgba: Bytes, width: z.number(), height: z.number() }),
    'One point t ∈ [0, 1] of an interpolation path, for scrubbing a timeline: raw RGBA.',
  ),
  'latent.mixGrid': method(
    z.object({ modelId: z.string().optional(), rows: z.array(Seed).min(1).max(8), cols: z.array(Seed).min(1).max(8), start: Row, end: Row, psi: z.number().min(-1).max(2).default(0.7), cell: z.number().int().min(16).max(256).default(96) }).strict(),
    z.object({ png: Bytes }),
    'StyleGAN\'s style-mixing figure: rows take layers start–end from the row seeds.',
  ),
  'latent.analogy': method(
    z.object({ a: LayerId, b: LayerId, c: LayerId, display: z.number().int().min(8).max(2048).default(256) }).strict(),
    ProjectState,
    'Place A − B + C (vector arithmetic) as a new layer.',
  ),
  'latent.project': method(
    z.object({ image: Bytes, modelId: z.string().optional(), steps: z.number().int().min(2).max(2000).default(200), display: z.number().int().min(8).max(2048).default(256), name: z.string().max(200).optional(), align: z.boolean().default(true) }).strict(),
    z.object({ state: ProjectState, loss: z.number(), note: z.string() }),
    'Project a photo into W then W+ (a job with progress and previews) and place it as a generated layer.',
  ),
  'direction.compute': method(
    z.object({ modelId: z.string().optional(), method: z.enum(['sefa', 'ganspace']), count: z.number().int().min(1).max(32).default(8), start: Row, end: Row }).strict(),
    z.array(Direction),
    'Unsupervised directions for a layer range, saved in the project.',
  ),
  'direction.fromSets': method(
    z.object({ name: z.string().min(1).max(120), positive: z.array(LayerId).min(1), negative: z.array(LayerId).min(1), method: z.enum(['mean', 'boundary']).default('boundary'), conditionOn: z.number().int().optional(), start: Row, end: Row }).strict(),
    Direction,
    'A named attribute direction from two tagged sets of generated layers.',
  ),
  'direction.list': method(
    z.object({ modelId: z.string().optional() }).strict(),
    z.array(Direction),
    'Directions saved in this project (for one model, or all).',
  ),

  'train.start': method(
    z.object({
      modelId: z.string().min(1),
      /** A folder in the projects folder or one the user allowed (engine/files/policy.ts). */
      dataDir: z.string().min(1).max(limits.maxStringLength),
      kimg: z.number().positive().max(100_000),
      batch: z.number().int().min(2).max(64).default(8),
      seed: z.number().int().min(0).default(0),
      name: z.string().min(1).max(120).optional(),
      /** The model id of an earlier run to continue from its last checkpoint, under the same id. */
      resume: z.string().min(1).max(64).optional(),
    }).strict(),
    z.object({ jobId: z.string(), modelId: z.string(), runDir: z.string() }),
    'Fine-tune a generator on a folder of images in a worker thread (one run at a time; `resume` continues an earlier run); progress comes as job.progress events.',
  ),

  'job.cancel': method(z.object({ id: z.string() }).strict(), z.object({ cancelled: z.boolean() }), 'Cancel a job.'),
  'job.list': method(
    z.object({}).strict(),
    z.array(z.object({ id: z.string(), kind: z.string(), done: z.number(), total: z.number(), message: z.string().optional() })),
    'The jobs running now, with their last progress (a window that connects mid-run shows them).',
  ),
} as const;

/** Every event the engine pushes to its clients. */
export const events = {
  'project.changed': ProjectState,
  'job.state': z.object({
    id: z.string(),
    kind: z.string(),
    state: JobState,
    error: z.string().optional(),
  }),
  'job.progress': z.object({
    id: z.string(),
    done: z.number(),
    total: z.number(),
    message: z.string().optional(),
  }),
  log: z.object({ level: z.enum(['info', 'warn', 'error']), message: z.string() }),
  /** The current state of a running projection, every few steps. */
  'projection.preview': z.object({ step: z.number(), rgba: Bytes, width: z.number(), height: z.number() }),
} as const;

export type Methods = typeof methods;
export type MethodName = keyof Methods;
export type Request<M extends MethodName> = z.input<Methods[M]['request']>;
export type ParsedRequest<M extends MethodName> = z.output<Methods[M]['request']>;
export type Reply<M extends MethodName> = z.output<Methods[M]['reply']>;

export type Events = typeof events;
export type EventName = keyof Events;
export type EventPayload<E extends EventName> = z.output<Events[E]>;

export const methodNames = Object.keys(methods) as MethodName[];
export const eventNames = Object.keys(events) as EventName[];

export const isMethodName = (m: unknown): m is MethodName => typeof m === 'string' && Object.hasOwn(methods, m);
export const isEventName = (e: unknown): e is EventName => typeof e === 'string' && Object.hasOwn(events, e);
