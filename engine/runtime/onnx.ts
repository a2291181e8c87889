import { EngineError } from '../api/errors.js';

type Ort = typeof import('onnxruntime-node');
let ort: Ort | null = null;

/** onnxruntime-node is loaded on first use: start-up and the CLI's non-GAN commands never pay for it. */
async function runtime(): Promise<Ort> {
  ort ??= await import('onnxruntime-node');
  return ort;
}

/** A graph input or output as the file declares it; symbolic or unknown dims are strings or -1. */
export interface ValueSpec { name: string; type: string; dims: readonly (number | string)[] }

export interface Session {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  readonly inputs: readonly ValueSpec[];
  readonly outputs: readonly ValueSpec[];
  run(feeds: Record<string, { data: Float32Array; dims: number[] }>): Promise<Record<string, { data: Float32Array; dims: readonly number[] }>>;
}

/** Every forward pass goes through here: one onnxruntime session per model file, CPU unless told otherwise. */
export async function openSession(model: Uint8Array, what: string): Promise<Session> {
  const o = await runtime();
  let session: import('onnxruntime-node').InferenceSession;
  try {
    session = await o.InferenceSession.create(model, { executionProviders: ['cpu'], intraOpNumThreads: 2 });
  } catch (err) {
    throw new EngineError('bad_model', `${what} is not a model onnxruntime can load: ${(err as Error).message.split('\n')[0]}`);
  }
  const spec = (m: import('onnxruntime-node').InferenceSession.ValueMetadata): ValueSpec =>
    m.isTensor ? { name: m.name, type: m.type, dims: m.shape } : { name: m.name, type: 'non-tensor', dims: [] };
  return {
    inputNames: session.inputNames,
    outputNames: session.outputNames,
    inputs: session.inputMetadata.map(spec),
    outputs: session.outputMetadata.map(spec),
    async run(feeds) {
      const tensors = Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, new o.Tensor('float32', v.data, v.dims)]));
      const out = await session.run(tensors);
      return Object.fromEntries(
        Object.entries(out).map(([k, t]) => [k, { data: t.data as Float32Array, dims: t.dims }]),
      );
    },
  };
}
