import { z } from 'zod';
import {
  AssetHash, Bytes, EngineInfo, HistoryEntry, JobState, LayerId, ModelInfo, ProjectState, RecentProject,
} from './schemas.js';

const method = <Req extends z.ZodType, Res extends z.ZodType>(request: Req, reply: Res, doc: string) => ({
  request,
  reply,
  doc,
});

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
      width: z.number().int().min(1).max(32768).default(1280),
      height: z.number().int().min(1).max(32768).default(800),
      path: z.string().optional(),
    }).strict(),
    ProjectState,
    'Create a project file (in the projects folder unless a path is given) and open it.',
  ),
  'project.open': method(z.object({ path: z.string().min(1) }).strict(), ProjectState, 'Open a project file.'),
  'project.recent': method(z.object({}).strict(), z.array(RecentProject), 'Recently opened projects, newest first.'),
  'project.state': method(z.object({}).strict(), ProjectState, 'The open project as of its undo pointer.'),
  'project.export': method(
    z.object({}).strict(),
    z.object({ png: Bytes, width: z.number().int(), height: z.number().int() }),
    'The composite of visible layers as PNG bytes.',
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

  'inpaint.run': method(
    z.object({
      layerId: LayerId,
      /** PNG (or any image) the size of the layer: white = fill. */
      mask: Bytes,
      modelId: z.string().min(1).optional(),
      margin: z.number().min(0).max(4).default(0.5),
      feather: z.number().min(0).max(256).default(6),
    }).strict(),
    ProjectState,
    'Fill the masked pixels of a layer with an inpainter; the result is a new layer above it (one edit).',
  ),
  'history.rerender': method(
    z.object({ editId: z.number().int().positive() }).strict(),
    z.object({ editId: z.number(), identical: z.boolean(), png: Bytes }),
    'Compute a recorded edit again from its inputs and say whether it gives the stored pixels.',
  ),

  'train.start': method(
    z.object({
      modelId: z.string().min(1),
      dataDir: z.string().min(1),
      kimg: z.number().positive().max(100_000),
      batch: z.number().int().min(2).max(64).default(8),
      seed: z.number().int().min(0).default(0),
      name: z.string().min(1).max(120).optional(),
    }).strict(),
    z.object({ jobId: z.string(), modelId: z.string(), runDir: z.string() }),
    'Fine-tune a generator on a folder of images in a worker thread; progress comes as job.progress events.',
  ),

  'job.cancel': method(z.object({ id: z.string() }).strict(), z.object({ cancelled: z.boolean() }), 'Cancel a job.'),
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
